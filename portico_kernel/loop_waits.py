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

import asyncio
from collections import deque
from typing import Any, Callable

from psycopg import Connection, waiting
from sqlalchemy.util import await_only, greenlet_spawn
from sqlalchemy.util.concurrency import in_greenlet

__all__ = ["LoopWaitingConnection", "AtMost"]


class LoopWaitingConnection(Connection):
    """psycopg's connection, whose waits inside a read running on the loop go to the loop once
    the pool has handed it out. While the pool sets a new connection up, SQLAlchemy holds a lock
    for the engine's first connection (the dialect's set-up runs once): a read that handed its
    wait to the loop there would leave the lock held while another read, on the same thread,
    blocks on it, and the loop with it. Set-up waits therefore block, as everywhere else."""

    handed_out = False  # set by the pool's checkout (portico_kernel/db.py)

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):  # type: ignore[override]
        if self.handed_out and in_greenlet():
            return await_only(waiting.wait_async(gen, self.pgconn.socket, interval=interval, timeout=timeout))
        return super().wait(gen, interval=interval, timeout=timeout)


class AtMost:
    """At most `limit` short reads under way at once on a worker's loop, each on a reading connection
    of its own; the others wait for their turn on the loop, holding nothing. A few suffice to keep
    the worker busy while the database answers; more would only wake as many database processes
    at once, to share the same few cores."""

    def __init__(self, limit: int):
        self.limit, self.running = limit, 0
        self.queued: deque[asyncio.Future] = deque()

    async def run(self, handler: Callable[..., Any], arguments: dict) -> Any:
        if self.running < self.limit:
            self.running += 1
        else:
            turn = asyncio.get_running_loop().create_future()
            self.queued.append(turn)
            try:
                await turn  # a read that ends hands its place over
            except BaseException:
                if turn.done() and not turn.cancelled():
                    self._hand_over()  # given the place, then stopped: the next one takes it
                else:
                    self.queued.remove(turn)
                raise
        try:
            return await greenlet_spawn(handler, **arguments)
        finally:
            self._hand_over()

    def _hand_over(self) -> None:
        while self.queued:
            turn = self.queued.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.running -= 1
