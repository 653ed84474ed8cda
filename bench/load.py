"""A lean HTTP/1.1 load generator: a few kept connections on loopback, one request in flight on
each, answers read by their Content-Length. The clients share two cores with what they measure, so
they spend as little CPU per request as a client can: no HTTP library, no parsing beyond the head,
and no task or future per request. Each connection is a protocol that sends its next request from
the callback that received the last answer.

A `Load` keeps its connections between bursts, so several targets can be measured in turns of a
fraction of a second each (`in_turns`): a virtual machine's speed drifts within seconds, and two
targets measured in alternating turns see the same machine, where two measures one after the other
do not.
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
    """One kept connection sending requests one after the other in bursts: `count` of them, or as
    many as it can until the loop's clock reaches `until`."""

    def __init__(self, request: bytes):
        self.request = request
        self.buffer = b""
        self.left = self.answered = self.ok = 0
        self.until: float | None = None
        self.done: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def burst(self, done: asyncio.Future, count: int, until: float | None) -> None:
        self.done, self.left, self.until, self.answered, self.ok = done, count, until, 0, 0
        self.transport.write(self.request)

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
            self._finish()

    def connection_lost(self, exc) -> None:
        self._finish()

    def _finish(self) -> None:
        """The burst's (sent, answered 200): a request still in flight when the connection closed was sent too."""
        if self.done is not None and not self.done.done():
            self.done.set_result((self.answered + (self.left > 0), self.ok))


class Load:
    """`clients` kept connections to `url`, each with one request in flight during a burst."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, clients: int = 8):
        address = urlparse(url)
        head = [f"GET {address.path}{'?' + address.query if address.query else ''} HTTP/1.1",
                f"Host: {address.hostname}:{address.port}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        self.request = ("\r\n".join(head) + "\r\n\r\n").encode()
        self.host, self.port, self.clients = address.hostname, address.port, clients
        self.connections: list[_Client] = []

    async def open(self) -> None:
        """Opens the connections, and again those the server closed (it closes idle ones)."""
        loop = asyncio.get_running_loop()
        self.connections = [client for client in self.connections if not client.transport.is_closing()]
        while len(self.connections) < self.clients:
            _, client = await loop.create_connection(lambda: _Client(self.request), self.host, self.port)
            self.connections.append(client)

    async def burst(self, *, each: int | None = None, seconds: float | None = None) -> tuple[int, int, float]:
        """(sent, answered 200, seconds it took): `each` requests per connection, or as many as
        answered within `seconds`."""
        await self.open()
        loop = asyncio.get_running_loop()
        count, until = (each, None) if seconds is None else (1 << 62, loop.time() + seconds)
        finished = [loop.create_future() for _ in self.connections]
        started = time.perf_counter()
        for client, done in zip(self.connections, finished):
            client.burst(done, count, until)
        results = await asyncio.gather(*finished)
        return sum(sent for sent, _ in results), sum(ok for _, ok in results), time.perf_counter() - started

    def close(self) -> None:
        for client in self.connections:
            client.transport.close()
        self.connections.clear()


class Turns(NamedTuple):
    """What one target answered over its turns, and the CPU its processes spent meanwhile."""

    rate: Rate
    cpu_seconds: tuple[float, ...]  # how much each of the caller's counters grew over the target's turns


async def in_turns(loads: dict[str, Load], turns: int, seconds: float,
                   cpu: Callable[[str], tuple[float, ...]], warmed: Callable[[], None] | None = None) -> dict[str, Turns]:
    """Each load in turn for `seconds`, `turns` times over, after a warm-up of each (connections,
    caches, what a process builds on its first requests). `cpu(name)` reads counters of seconds
    (the CPU of what serves that target, a core's idle time) before and after each of its turns."""
    for load in loads.values():
        await load.burst(each=20)
    if warmed is not None:
        warmed()
    sent = dict.fromkeys(loads, 0)
    answered = dict.fromkeys(loads, 0)
    elapsed = dict.fromkeys(loads, 0.0)
    spent: dict[str, list[float]] = {}
    try:
        for _ in range(turns):
            for name, load in loads.items():
                before = cpu(name)
                turn_sent, turn_answered, took = await load.burst(seconds=seconds)
                after = cpu(name)
                sent[name] += turn_sent
                answered[name] += turn_answered
                elapsed[name] += took
                totals = spent.setdefault(name, [0.0] * len(after))
                for index, (b, a) in enumerate(zip(before, after)):
                    totals[index] += a - b
    finally:
        for load in loads.values():
            load.close()
    return {name: Turns(Rate(answered[name] / elapsed[name] if elapsed[name] else 0.0, sent[name] - answered[name],
                             answered[name]), tuple(spent[name])) for name in loads}


def run(main):
    """`main` (a coroutine) on uvloop where it is installed."""
    try:
        import uvloop

        return uvloop.run(main)
    except ImportError:
        return asyncio.run(main)
