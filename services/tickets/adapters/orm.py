from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text
from sqlalchemy.orm import deferred, registry

from portico_kernel.access_model import access_table
from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import Attachment, Message, Ticket
from ..domain.emergencies import Emergency
from ..domain.sensitive_data import Reading
from ..domain.sla_tracking import TicketServiceLevel
from ..domain.support_codes import SupportCodeLookup

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)
member_access = access_table(metadata)  # OR-06..OR-08: who may see the tickets about a product

tickets = Table(
    "tickets", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("subject", String(200), nullable=False),
    Column("department", String(40), nullable=False),
    Column("opened_by", String(36), nullable=False, index=True),
    Column("reply_token", String(64), nullable=False, unique=True),
    Column("priority", String(10), nullable=False),
    Column("emergency", String(40), nullable=True),
    Column("product_type", String(40), nullable=True),
    Column("product_id", String(100), nullable=True),
    Column("state", String(10), nullable=False),
    Column("assignee", String(36), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Index("ix_tickets_org_created", "org_id", "created_at", "id"),
    Index("ix_tickets_department_created", "department", "created_at", "id"),
)

ticket_messages = Table(
    "ticket_messages", metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(36), nullable=False, index=True),
    Column("org_id", String(36), nullable=False),
    Column("author_kind", String(10), nullable=False),
    Column("author_id", String(36), nullable=True, index=True),
    Column("author_name", String(200), nullable=True),
    Column("author_email", String(320), nullable=True),
    Column("visibility", String(10), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

ticket_attachments = Table(
    "ticket_attachments", metadata,
    Column("id", String(36), primary_key=True),
    Column("message_id", String(36), nullable=False, index=True),
    Column("ticket_id", String(36), nullable=False, index=True),
    Column("org_id", String(36), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=True),  # None once the ticket's retention has run out
    Column("created_at", UtcDateTime, nullable=False),
)

# The ticket numbers handed out so far (T-000123): one counter row per series.
ticket_counters = Table(
    "ticket_counters", metadata,
    Column("series", String(20), primary_key=True),
    Column("value", Integer, nullable=False),
)

# Read models of other services' events.
products = Table(  # the organizations' products (ProductProvisioned / ProductRemoved)
    "products", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("product_type", String(40), primary_key=True),
    Column("product_id", String(100), primary_key=True),
)
people = Table(  # who a person is (identity's UserRegistered, LoginEmailChanged, PersonRenamed)
    "people", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("email_key", String(320), nullable=False, index=True),
    Column("name", String(200), nullable=False),
)
memberships = Table(  # who belongs to which organization (orgs' MemberJoined, MemberLeft, MemberRemoved)
    "memberships", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("user_id", String(36), primary_key=True, index=True),
)
# Organizations deleted (OR-15): their tickets are kept until `purge_after`, then deleted.
deleted_organizations = Table(
    "deleted_organizations", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("deleted_at", UtcDateTime, nullable=False),
    Column("purge_after", UtcDateTime, nullable=False, index=True),
)

mapper_registry.map_imperatively(Ticket, tickets)
mapper_registry.map_imperatively(Message, ticket_messages)
mapper_registry.map_imperatively(Attachment, ticket_attachments, properties={
    "content": deferred(ticket_attachments.c.content)})

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

# TI-03, BI-17: a critical ticket's emergency and what support decided about it.
ticket_emergencies = Table(
    "ticket_emergencies", metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("decided_by", String(36), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("reason", String(500), nullable=True),
)
mapper_registry.map_imperatively(Emergency, ticket_emergencies)

# TI-02: a ticket's credentials, sealed (envelope encryption, bound to the ticket's row); NULL once erased.
ticket_sensitive_data = Table(
    "ticket_sensitive_data", metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("written_by", String(36), nullable=False),
    Column("written_at", UtcDateTime, nullable=False),
    Column("sealed", Text, nullable=True),
    Column("erased_at", UtcDateTime, nullable=True),
)

# TI-02: every reading of a ticket's sensitive data.
sensitive_data_readings = Table(
    "sensitive_data_readings", metadata,
    Column("id", String(36), primary_key=True),
    Column("ticket_id", String(36), nullable=False),
    Column("org_id", String(36), nullable=False, index=True),
    Column("reader_id", String(36), nullable=False),
    Column("reader_kind", String(10), nullable=False),
    Column("read_at", UtcDateTime, nullable=False),
    Index("ix_sensitive_data_readings_ticket", "ticket_id", "read_at"),
)
mapper_registry.map_imperatively(Reading, sensitive_data_readings)
