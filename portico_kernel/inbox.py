"""The consuming side: handlers run inside a unit of work together with the inbox row.

A handler receives the event's record (portico_kernel/records.py), typed as the receiving service
declares it in its domain/events.py, and the unit of work with the envelope's metadata in
`uow.received`.

A redelivered event finds its id in the inbox and has no second effect; the message is only
acknowledged after the commit (see bus.EventConsumer).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError

from .events import Envelope, SchemaViolation, validate
from .records import Received, record_from
from .uow import UnitOfWork, correlation_id

log = logging.getLogger(__name__)

EventHandler = Callable[[Any, UnitOfWork], None]


class PoisonMessage(Exception):
    """A message no retry can help (it breaks its schema): it goes to the dead-letter queue at once."""


class Inbox:
    def __init__(self, service: str, inbox: Table, uow_factory: Callable[[], UnitOfWork],
                 handlers: dict[str, EventHandler], records: dict[str, type]):
        missing = sorted(set(handlers) - set(records))
        if missing:
            raise ValueError(f"{service} handles {', '.join(missing)} but declares no record for it in domain/events.py")
        self.service = service
        self.table = inbox
        self.uow_factory = uow_factory
        self.handlers = handlers
        self.records = records

    def process(self, body: dict) -> None:
        try:
            validate(body)
        except SchemaViolation as exc:
            raise PoisonMessage(f"breaks its contract: {exc}") from exc
        event = Envelope.from_dict(body)
        handler = self.handlers.get(event.type)
        token = correlation_id.set(event.correlation_id or event.id)
        try:
            with self.uow_factory() as uow:
                seen = uow.session.execute(
                    select(self.table.c.event_id).where(
                        self.table.c.event_id == event.id, self.table.c.handler == self.service
                    )
                ).first()
                if seen:
                    log.info("%s: event %s already handled, skipping", self.service, event.id)
                    return
                if handler is not None:
                    uow.received = Received.of(event)
                    handler(record_from(self.records[event.type], event.payload), uow)
                    uow.session.flush()
                try:
                    uow.session.execute(
                        insert(self.table).values(
                            event_id=event.id, handler=self.service, event_type=event.type,
                            processed_at=datetime.now(timezone.utc),
                        )
                    )
                    uow.commit()
                except IntegrityError:
                    # Another consumer of this queue committed the same event first.
                    uow.rollback()
                    log.info("%s: event %s handled concurrently, skipping", self.service, event.id)
        finally:
            correlation_id.reset(token)
