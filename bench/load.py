"""A lean HTTP/1.1 load generator: a few kept connections on loopback, one request in flight on
each, answers read by their Content-Length. The clients share two cores with what they measure, so
they spend as little CPU per request as a client can: no HTTP library, no parsing beyond the head,
and no task or future per request. Each connection is a protocol that sends its next request from
the callback that received the last answer.
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable, NamedTuple
from urllib.parse import urlparse

HEAD_END = b"\r\n\r\n"


class Rate(NamedTuple):
    per_second: float
    failed: int  # answers other than 200, and requests that got no answer
    answered: int = 0  # answered 200

    def __str__(self) -> str:
        return f"{self.per_second:,.0f}/s" + (f" ({self.failed} failed)" if self.failed else "")


class _Client(asyncio.Protocol):
    """One kept connection sending requests one after the other: `count` of them, or as many as
    it can until the loop's clock reaches `until`."""

    def __init__(self, request: bytes, count: int, done: asyncio.Future, until: float | None = None):
        self.request, self.planned, self.left, self.done, self.until = request, count, count, done, until
        self.buffer = b""
        self.answered = self.ok = 0
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
        self.answered += 1
        if head[9:12] == b"200":
            self.ok += 1
        self.buffer = self.buffer[whole:]
        self.left -= 1
        if self.left > 0 and (self.until is None or self.done.get_loop().time() < self.until):
            self.transport.write(self.request)
        else:
            self.left = 0
            self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.done.done():  # sent: those planned, or until the clock, those answered and one lost on the way
            self.done.set_result((self.planned if self.until is None else self.answered + (self.left > 0), self.ok))


async def _clients(host: str, port: int, request: bytes, clients: int, each: int, until: float | None = None) -> tuple[int, int]:
    """How many requests were sent, and how many of them were answered 200."""
    loop = asyncio.get_running_loop()
    finished = [loop.create_future() for _ in range(clients)]
    for done in finished:
        await loop.create_connection(lambda done=done: _Client(request, each, done, until), host, port)
    results = await asyncio.gather(*finished)
    return sum(sent for sent, _ in results), sum(ok for _, ok in results)


async def _run(url: str, headers: dict[str, str], clients: int, requests: int | None, seconds: float | None,
               warmed) -> Rate:
    address = urlparse(url)
    head = [f"GET {address.path}{'?' + address.query if address.query else ''} HTTP/1.1",
            f"Host: {address.hostname}:{address.port}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(head) + "\r\n\r\n").encode()
    await _clients(address.hostname, address.port, request, clients, 20)  # warm: connections, caches
    if warmed is not None:
        warmed()
    loop = asyncio.get_running_loop()
    each, until = (requests // clients, None) if seconds is None else (1 << 62, loop.time() + seconds)
    started = time.perf_counter()
    try:
        sent, answered = await _clients(address.hostname, address.port, request, clients, each, until)
    except OSError:
        sent, answered = clients * each if seconds is None else 1, 0
    elapsed = time.perf_counter() - started
    return Rate(answered / elapsed if elapsed else 0.0, sent - answered, answered)


def rate(url: str, headers: dict[str, str] | None = None, *, clients: int = 8, requests: int | None = 4000,
         seconds: float | None = None, warmed: Callable[[], None] | None = None) -> Rate:
    """Requests per second that `url` answers 200 to, with `clients` connections in parallel, for
    `requests` requests or, given `seconds`, for that long. `warmed` is called after the warm-up,
    right before the requests that are timed."""
    try:
        import uvloop

        return uvloop.run(_run(url, headers or {}, clients, requests, seconds, warmed))
    except ImportError:
        return asyncio.run(_run(url, headers or {}, clients, requests, seconds, warmed))
