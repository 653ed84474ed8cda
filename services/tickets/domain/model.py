"""Support tickets of an organization (TI-01): a ticket in a department, its thread of messages
(public replies and staff's internal notes) and the files attached to them.

A ticket's state is one of three: `open` (support owes an answer), `waiting` (support answered, the
customer's turn), `closed`. A customer's reply puts it back to `open`; a public answer of staff to
`waiting`; an internal note changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import utcnow

PRIORITIES = ("low", "normal", "high", "critical")
EMERGENCY_KINDS = ("server_outage", "system_service_down", "website_offline")
OPEN, WAITING, CLOSED = "open", "waiting", "closed"
STATES = (OPEN, WAITING, CLOSED)
PUBLIC, INTERNAL = "public", "internal"
# who wrote a message: a member of the organization (web or API), the provider's staff, or a member by email
CUSTOMER, STAFF, EMAIL = "customer", "staff", "email"


@dataclass(eq=False)
class Ticket:
    id: str
    org_id: str
    number: str
    subject: str
    department: str
    opened_by: str
    reply_token: str
    priority: str = "normal"
    emergency: str | None = None
    product_type: str | None = None
    product_id: str | None = None
    state: str = OPEN
    assignee: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    closed_at: datetime | None = None


@dataclass(eq=False)
class Message:
    id: str
    ticket_id: str
    org_id: str
    author_kind: str
    author_id: str | None
    author_name: str | None
    author_email: str | None
    visibility: str
    body: str
    created_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Attachment:
    id: str
    message_id: str
    ticket_id: str
    org_id: str
    filename: str
    content_type: str
    size: int
    content: bytes | None
    created_at: datetime = field(default_factory=utcnow)
