from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table, Text
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import Ticket
from ..domain.support_codes import SupportCodeLookup

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


# TI-05: an organization's support code, sealed (shown to its members) and as keyed digest (looked up).
support_codes = Table(
    "support_codes", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("code_sealed", Text, nullable=False),
    Column("digest", String(120), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(36), nullable=True),
)

# TI-05: every lookup by support code: who, when, what came of it.
support_code_lookups = Table(
    "support_code_lookups", metadata,
    Column("id", String(36), primary_key=True),
    Column("staff_id", String(36), nullable=False),
    Column("looked_up_at", UtcDateTime, nullable=False),
    Column("result", String(10), nullable=False),
    Column("org_id", String(36), nullable=True, index=True),
    Index("ix_support_code_lookups_staff", "staff_id", "looked_up_at"),
)
mapper_registry.map_imperatively(SupportCodeLookup, support_code_lookups)
