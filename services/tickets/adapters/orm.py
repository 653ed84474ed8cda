from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import Ticket

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

tickets = Table(
    "tickets", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("subject", String(200), nullable=False),
    Column("department", String(60), nullable=False),
    Column("opened_by", String(36), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
)

mapper_registry.map_imperatively(Ticket, tickets)

