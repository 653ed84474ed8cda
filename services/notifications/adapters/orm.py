"""The notifications service's tables, mapped onto its domain's classes."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import registry

from portico_kernel.access_model import access_table
from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import AlertChoices, Contact, Email, InvoicePreferences, Membership, Person, SmtpServer

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

emails = Table(
    "emails", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("language", String(5), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("context", JSON, nullable=False),
    Column("user_id", String(36), index=True),
    Column("org_id", String(36), index=True),
    Column("topic", String(60)),
    Column("secrets", JSON),
    Column("attachment_name", String(100)),
    Column("attachment", Text),
    Column("reply_to", String(320)),
    Column("security", Boolean, nullable=False),
    Column("via", String(20), nullable=False),
    Column("event_id", String(36)),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", String(300)),
    Column("next_attempt_at", UtcDateTime, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Index("ix_emails_user_created", "user_id", "created_at"),
    Index("ix_emails_org_created", "org_id", "created_at"),
)

people = Table(
    "people", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("language", String(5), nullable=False),
    Column("time_zone", String(64)),
)

memberships = Table(
    "memberships", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("user_id", String(36), primary_key=True, index=True),
    Column("role", String(40), nullable=False),
)

smtp_servers = Table(
    "smtp_servers", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("sender", String(320), nullable=False),
    Column("host", String(253), nullable=False),
    Column("port", Integer, nullable=False),
    Column("starttls", Boolean, nullable=False),
    Column("username", String(200)),
    Column("password_encrypted", Text),
    Column("updated_at", UtcDateTime, nullable=False),
)

alert_choices = Table(
    "alert_choices", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("new_sign_in_location", Boolean, nullable=False),
    Column("wrong_password", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

contacts = Table(
    "contacts", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("purpose", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
)

invoice_preferences = Table(
    "invoice_preferences", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("kinds", JSON, nullable=False),
    Column("legal_representatives", Boolean, nullable=False),
    Column("administrators", Boolean, nullable=False),
    Column("accounting", Boolean, nullable=False, default=False),
    Column("members", JSON, nullable=False),
    Column("contacts", JSON, nullable=False),
    Column("extra_addresses", JSON, nullable=False),
    Column("language", String(5)),
    Column("updated_at", UtcDateTime, nullable=False),
)

member_access = access_table(metadata)  # who holds the accounting right (orgs' MemberAccessChanged)

mapper_registry.map_imperatively(Email, emails)
mapper_registry.map_imperatively(Person, people)
mapper_registry.map_imperatively(Membership, memberships)
mapper_registry.map_imperatively(SmtpServer, smtp_servers)
mapper_registry.map_imperatively(AlertChoices, alert_choices)
mapper_registry.map_imperatively(Contact, contacts)
mapper_registry.map_imperatively(InvoicePreferences, invoice_preferences)
