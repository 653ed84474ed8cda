"""Short reads that wait for PostgreSQL without holding the event loop (docs/PERFORMANCE.md, item 21).

A short read runs on the worker's event loop (item 10). On PostgreSQL its query's round trip held
the loop: the worker served one read at a time and sat idle while the database answered, so its
rate was bound by one read's CPU and round trip together, and anything that slowed the database's
answer (another process on the database's core) slowed every read. Here the read's handler runs in
a greenlet and stays synchronous: the domain, the unit of work and the repositories know nothing of
it. When the driver would wait for the database's answer, the greenlet hands the wait to the loop,
which serves other requests meanwhile, and the read goes on once the answer is there.

A driver call made anywhere else (handler threads, consumers, relays, scripts) waits as before.
"""
from __future__ import annotations

from typing import Any, Callable

from psycopg import Connection, waiting
from sqlalchemy.util import await_only, greenlet_spawn
from sqlalchemy.util.concurrency import in_greenlet

__all__ = ["LoopWaitingConnection", "AtMost"]


class LoopWaitingConnection(Connection):
    """psycopg's connection, whose waits inside a read running on the loop go to the loop."""

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):  # type: ignore[override]
        if in_greenlet():
            return await_only(waiting.wait_async(gen, self.pgconn.socket, interval=interval, timeout=timeout))
        return super().wait(gen, interval=interval, timeout=timeout)


class AtMost:
    """Reads that may wait on the loop at once. Each holds a connection while it waits; beyond the
    limit a read holds the loop during its round trip, as it did before, so a burst never asks the
    pool for more connections than it has (a read blocked on an empty pool would hold the loop
    that the reads holding connections need in order to finish)."""

    def __init__(self, limit: int):
        self.limit, self.waiting = limit, 0

    async def run(self, handler: Callable[..., Any], arguments: dict) -> Any:
        if self.waiting >= self.limit:
            return handler(**arguments)
        self.waiting += 1
        try:
            return await greenlet_spawn(handler, **arguments)
        finally:
            self.waiting -= 1
