"""The outbox relay: publishes committed events, oldest first, with publisher confirms.

A row is marked published only after the broker confirmed it. While the broker is down the rows
wait; the relay reconnects with back-off and sends them all when it is back. Several relays of one
service can run side by side on PostgreSQL (rows are claimed with SKIP LOCKED); a relay that dies
after publishing but before marking leads to a redelivery, which consumers' inboxes absorb.

A published row is kept a day (to look into what left, and when) and then deleted: events carry
personal data and, once, a link's secret, which must not outlive their use in the outbox.
"""
from __future__ import annotations

import logging
import signal
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import Table, delete, select, update
from sqlalchemy.engine import Engine

from .bus import Publisher
from .config import Settings
from .db import is_postgres

log = logging.getLogger(__name__)

KEEP_PUBLISHED = timedelta(days=1)
FORGET_EVERY = 300.0  # seconds between two deletions of old published rows, per relay


def forget_published(engine: Engine, outbox: Table, now: datetime) -> int:
    """Deletes the rows published more than KEEP_PUBLISHED ago; answers how many."""
    with engine.begin() as conn:
        return conn.execute(delete(outbox).where(outbox.c.published_at < now - KEEP_PUBLISHED)).rowcount


class OutboxRelay:
    BATCH = 100

    def __init__(self, settings: Settings, engine: Engine, outbox: Table, idle_interval: float = 0.2):
        self.settings = settings
        self.engine = engine
        self.outbox = outbox
        self.publisher = Publisher(settings)
        self.idle_interval = idle_interval
        self.running = True
        self._forgotten_at = 0.0

    def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published."""
        table = self.outbox
        query = (
            select(table.c.seq, table.c.routing_key, table.c.envelope)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(self.BATCH)
        )
        if is_postgres(self.engine):
            query = query.with_for_update(skip_locked=True)
        published, failure = 0, None
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            for seq, routing_key, envelope in rows:
                try:
                    self.publisher.publish(envelope, routing_key)
                except Exception as exc:
                    # Keep what was confirmed so far; this row and the rest wait for the next round.
                    conn.execute(
                        update(table).where(table.c.seq == seq)
                        .values(attempts=table.c.attempts + 1, last_error=str(exc)[:500])
                    )
                    self.publisher.close()
                    failure = exc
                    break
                conn.execute(
                    update(table).where(table.c.seq == seq)
                    .values(published_at=datetime.now(timezone.utc), attempts=table.c.attempts + 1)
                )
                published += 1
        if failure is not None:
            raise failure
        return published

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        backoff = 0.5
        log.info("%s relay: publishing outbox to %s", self.settings.component, self._broker_name())
        while self.running:
            try:
                if time.monotonic() - self._forgotten_at > FORGET_EVERY:
                    self._forgotten_at = time.monotonic()
                    forget_published(self.engine, self.outbox, datetime.now(timezone.utc))
                if self.publish_pending() == 0:
                    time.sleep(self.idle_interval)
                backoff = 0.5
            except Exception as exc:
                log.warning("%s relay: cannot publish (%s); retrying in %.1fs", self.settings.component, exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        self.publisher.close()

    def stop(self) -> None:
        self.running = False

    def _broker_name(self) -> str:
        return "the embedded bus" if self.settings.embedded_broker else "RabbitMQ"
