"""A lean HTTP/1.1 load generator: a few kept connections on loopback, one request in flight on
each, answers read by their Content-Length. The clients share two cores with what they measure, so
they spend as little CPU per request as a client can: no HTTP library, no parsing beyond the head,
and no task or future per request. Each connection is a protocol that sends its next request from
the callback that received the last answer.
"""
from __future__ import annotations

import asyncio
import time
from typing import NamedTuple
from urllib.parse import urlparse

HEAD_END = b"\r\n\r\n"


class Rate(NamedTuple):
    per_second: float
    failed: int  # answers other than 200, and requests that got no answer

    def __str__(self) -> str:
        return f"{self.per_second:,.0f}/s" + (f" ({self.failed} failed)" if self.failed else "")


class _Client(asyncio.Protocol):
    """One kept connection sending `count` requests, one after the other."""

    def __init__(self, request: bytes, count: int, done: asyncio.Future):
        self.request, self.left, self.done = request, count, done
        self.buffer = b""
        self.ok = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer = self.buffer + data if self.buffer else data
        end = self.buffer.find(HEAD_END)
        if end < 0:
            return
        head = self.buffer[:end]
        length, at = 0, head.lower().find(b"\r\ncontent-length:")
        if at >= 0:
            line_end = head.find(b"\r\n", at + 2)
            length = int(head[at + 17:line_end if line_end > 0 else len(head)])
        whole = end + 4 + length
        if len(self.buffer) < whole:
            return
        if head[9:12] == b"200":
            self.ok += 1
        self.buffer = self.buffer[whole:]
        self.left -= 1
        if self.left > 0:
            self.transport.write(self.request)
        else:
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(self.ok)


async def _clients(host: str, port: int, request: bytes, clients: int, each: int) -> int:
    """How many of `clients * each` requests were answered 200."""
    loop = asyncio.get_running_loop()
    finished = [loop.create_future() for _ in range(clients)]
    for done in finished:
        await loop.create_connection(lambda done=done: _Client(request, each, done), host, port)
    return sum(await asyncio.gather(*finished))


async def _run(url: str, headers: dict[str, str], clients: int, requests: int) -> Rate:
    address = urlparse(url)
    head = [f"GET {address.path}{'?' + address.query if address.query else ''} HTTP/1.1",
            f"Host: {address.hostname}:{address.port}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(head) + "\r\n\r\n").encode()
    await _clients(address.hostname, address.port, request, clients, 20)  # warm: connections, caches
    each = requests // clients
    started = time.perf_counter()
    try:
        answered = await _clients(address.hostname, address.port, request, clients, each)
    except OSError:
        answered = 0
    elapsed = time.perf_counter() - started
    return Rate(answered / elapsed if elapsed else 0.0, clients * each - answered)


def rate(url: str, headers: dict[str, str] | None = None, *, clients: int = 8, requests: int = 4000) -> Rate:
    """Requests per second that `url` answers 200 to, with `clients` connections in parallel."""
    try:
        import uvloop

        return uvloop.run(_run(url, headers or {}, clients, requests))
    except ImportError:
        return asyncio.run(_run(url, headers or {}, clients, requests))
