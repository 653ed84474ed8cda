"""A lean HTTP/1.1 load generator: a few kept connections on loopback, one request in flight on
each, answers read by their Content-Length. The clients share two cores with what they measure, so
they spend as little CPU per request as a client can (no HTTP library, no parsing beyond the head).
"""
from __future__ import annotations

import asyncio
import time
from typing import NamedTuple
from urllib.parse import urlparse


class Rate(NamedTuple):
    per_second: float
    failed: int  # answers other than 200, and requests that got no answer

    def __str__(self) -> str:
        return f"{self.per_second:,.0f}/s" + (f" ({self.failed} failed)" if self.failed else "")


async def _client(host: str, port: int, request: bytes, count: int, statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(count):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
                    break
            if length:
                await reader.readexactly(length)
            statuses.append(status)
    finally:
        writer.close()


async def _run(url: str, headers: dict[str, str], clients: int, requests: int) -> Rate:
    address = urlparse(url)
    head = [f"GET {address.path}{'?' + address.query if address.query else ''} HTTP/1.1",
            f"Host: {address.hostname}:{address.port}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(head) + "\r\n\r\n").encode()
    warm: list[int] = []
    await asyncio.gather(*(_client(address.hostname, address.port, request, 20, warm) for _ in range(clients)))
    statuses: list[int] = []
    each = requests // clients
    started = time.perf_counter()
    await asyncio.gather(*(_client(address.hostname, address.port, request, each, statuses)
                           for _ in range(clients)), return_exceptions=True)
    elapsed = time.perf_counter() - started
    answered = sum(1 for s in statuses if s == 200)
    failed = clients * each - answered
    return Rate(answered / elapsed if elapsed else 0.0, failed)


def rate(url: str, headers: dict[str, str] | None = None, *, clients: int = 8, requests: int = 4000) -> Rate:
    """Requests per second that `url` answers 200 to, with `clients` connections in parallel."""
    try:
        import uvloop

        return uvloop.run(_run(url, headers or {}, clients, requests))
    except ImportError:
        return asyncio.run(_run(url, headers or {}, clients, requests))
