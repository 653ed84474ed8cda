"""Unit of work: one database transaction, and the events it causes written beside the data.

`emit()` puts an integration event into the outbox table in the same transaction as the state
change, so the event leaves if and only if the change commits (the relay publishes it later).
"""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from . import events
from .clock import SYSTEM, Clock
from .records import Received
from .problems import request_id as correlation_id  # the request an event or a refusal comes from


class repository:
    """A repository of a unit of work (`users = repository(Users)`), made on its first use in each
    unit of work: a request uses one or two of its service's dozen or two, and making every one for
    every request cost a short read more than its query's parameters (docs/PERFORMANCE.md)."""

    def __init__(self, make: Callable[[Session], Any]):
        self.make = make

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, uow, owner=None):
        if uow is None:
            return self
        made = uow.__dict__[self.name] = self.make(uow.session)
        return made


@functools.cache
def _repositories_of(kind: type) -> frozenset[str]:
    return frozenset(name for klass in kind.__mro__ for name, value in vars(klass).items() if isinstance(value, repository))


class UnitOfWork:
    clock: Clock = SYSTEM  # what "now" is for the rules run inside it; unit tests' fakes move theirs
    received: Received | None = None  # in a consumer: the envelope of the event being handled

    def __init__(self, session_factory: sessionmaker[Session], producer: str, outbox: Table, *, reading: bool = False):
        self._session_factory = session_factory
        self.reading = reading
        self.producer = producer
        self._outbox = outbox
        self.emitted: list[events.Envelope] = []

    def __enter__(self):
        self.session = self._session_factory()
        self.emitted = []
        for name in self.__dict__.keys() & _repositories_of(type(self)):  # made again, on this session, when used
            del self.__dict__[name]
        return self

    def __exit__(self, *exc):
        give_back = getattr(self._session_factory, "give_back", None)  # db.ReadingSessions keeps a clean one
        if give_back is not None:
            give_back(self.session)
        else:
            self.session.close()  # what was not committed is rolled back

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        """Makes the changes so far visible to the queries that follow, before the commit."""
        self.session.flush()

    def emit(self, record: Any, org_id: str | None = None) -> events.Envelope:
        if self.reading:
            raise RuntimeError("a reading unit of work changes nothing and emits nothing")
        envelope = events.Envelope(
            type=events.event_type_of(record),
            producer=self.producer,
            payload=events.payload_of(record),
            org_id=org_id,
            correlation_id=correlation_id.get(),
        )
        body = envelope.to_dict()
        events.validate(body)
        self.session.execute(
            insert(self._outbox).values(
                id=envelope.id,
                routing_key=envelope.routing_key,
                envelope=body,
                created_at=datetime.now(timezone.utc),
                attempts=0,
            )
        )
        self.emitted.append(envelope)
        return envelope
