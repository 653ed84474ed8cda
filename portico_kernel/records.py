"""Event records as a consumer's handlers receive them: typed, never the payload's dict.

Each service declares, in its `domain/events.py`, a record (a frozen dataclass named like the
event type) for every event it publishes and for every event it handles. A record of a received
event names only the fields the receiver reads (a tolerant reader): the producer may add fields
without breaking it. The consumer (portico_kernel/inbox.py) builds the record from the envelope's
payload before calling the handler, and puts the envelope's metadata in `uow.received`.
Framework-free, so `domain/` modules may use it.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from .clock import parse_iso


@dataclass(frozen=True)
class Received:
    """The envelope of the event being handled, for the handlers that need more than its record."""

    id: str
    type: str
    producer: str
    occurred_at: datetime
    org_id: str | None = None
    correlation_id: str | None = None

    @classmethod
    def of(cls, envelope) -> "Received":
        return cls(id=envelope.id, type=envelope.type, producer=envelope.producer,
                   occurred_at=parse_iso(envelope.occurred_at), org_id=envelope.org_id,
                   correlation_id=envelope.correlation_id)


def records_in(module: ModuleType) -> dict[str, type]:
    """The record classes a `domain/events.py` declares, by event type."""
    return {name: value for name, value in vars(module).items()
            if isinstance(value, type) and is_dataclass(value) and value.__module__ == module.__name__}


def record_from(record_class: type, payload: dict[str, Any]) -> Any:
    """The record of a payload that passed its schema: the fields its class declares."""
    return record_class(**{f.name: payload[f.name] for f in fields(record_class) if f.name in payload})
