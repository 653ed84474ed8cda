"""Integration events tickets publishes, and those it handles (schemas: contracts/events/<Name>.v1.schema.json)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonalDataErased:
    closure_id: str
    user_id: str
    service: str


# TI-01: staff answered a ticket publicly; notifications emails the answer to the person who opened
# it, in their language, with the ticket's reply address (internal notes are never sent).
@dataclass(frozen=True)
class TicketReplied:
    ticket_id: str
    org_id: str
    number: str
    subject: str
    department: str
    user_id: str
    message_id: str
    body: str
    reply_to: str
    attachments: int


# Received from identity: a person closes their account (ID-11).
@dataclass(frozen=True)
class AccountClosureRequested:
    user_id: str
    closure_id: str


# TI-03: a critical ticket is an emergency and is escalated at once, day and night.
@dataclass(frozen=True)
class EmergencyReported:
    org_id: str
    ticket_id: str
    ticket_number: str
    department: str
    emergency_kind: str
    subject: str
    reported_at: str


# TI-03: support confirmed that a critical ticket is an emergency.
@dataclass(frozen=True)
class EmergencyConfirmed:
    org_id: str
    ticket_id: str
    ticket_number: str
    confirmed_by: str
    confirmed_at: str


# BI-17: support found a critical ticket no emergency; billing charges the organization, once per ticket.
@dataclass(frozen=True)
class FalseEmergencyReported:
    org_id: str
    ticket_id: str
    reported_at: str
    reason: str | None = None
    ticket_number: str | None = None


# TI-04: a ticket's first response or resolution is soon due (warning) or overdue (breached), once each.
@dataclass(frozen=True)
class ServiceLevelWarning:
    org_id: str
    ticket_id: str
    ticket_number: str
    target: str  # first_response | resolution
    priority: str
    plan: str  # standard | premium (BI-18)
    due_at: str
    warned_at: str


@dataclass(frozen=True)
class ServiceLevelBreached:
    org_id: str
    ticket_id: str
    ticket_number: str
    target: str
    priority: str
    plan: str
    due_at: str
    breached_at: str


# Received from identity: who a person is (the names on messages; whose email lands in a thread).
@dataclass(frozen=True)
class UserRegistered:
    user_id: str
    email: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class LoginEmailChanged:
    user_id: str
    new_email: str


@dataclass(frozen=True)
class PersonRenamed:
    user_id: str
    first_name: str
    last_name: str


# Received from orgs: who belongs to an organization, and what they reach (OR-06..OR-08).
@dataclass(frozen=True)
class MemberJoined:
    org_id: str
    user_id: str


@dataclass(frozen=True)
class MemberLeft:
    org_id: str
    user_id: str


@dataclass(frozen=True)
class MemberRemoved:
    org_id: str
    user_id: str


@dataclass(frozen=True)
class MemberAccessChanged:
    org_id: str
    user_id: str
    grants: list


@dataclass(frozen=True)
class OrganizationDeleted:
    org_id: str


# Received from billing and domains: an organization's product exists, or no longer does (premium
# support, BI-18, gives the tickets opened while it exists their own targets).
@dataclass(frozen=True)
class ProductProvisioned:
    org_id: str
    product_type: str
    product_id: str


@dataclass(frozen=True)
class ProductRemoved:
    org_id: str
    product_type: str
    product_id: str
