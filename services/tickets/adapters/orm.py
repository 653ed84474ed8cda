from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, MetaData, String, Table, Text
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import Ticket
from ..domain.sla_tracking import TicketServiceLevel
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

# TI-04, BI-18: each ticket's service level clocks; the scheduler looks at those whose next_check_at has come.
ticket_service_levels = Table(
    "ticket_service_levels", metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("ticket_number", String(40), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("plan", String(10), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("pauses", JSON, nullable=False),
    Column("first_responded_at", UtcDateTime, nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("first_response_due", UtcDateTime, nullable=True),
    Column("resolution_due", UtcDateTime, nullable=True),
    Column("next_check_at", UtcDateTime, nullable=True, index=True),
    Column("done", JSON, nullable=False),
)
mapper_registry.map_imperatively(TicketServiceLevel, ticket_service_levels)

# TI-04: every warning and breach emitted, once: the key claims it however many schedulers run.
service_level_alerts = Table(
    "service_level_alerts", metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("stage", String(40), primary_key=True),
    Column("emitted_at", UtcDateTime, nullable=False),
)

# BI-18: organizations that have the premium support product (from billing's events).
premium_orgs = Table(
    "premium_orgs", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("premium", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)
