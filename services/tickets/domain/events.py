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


# Received from billing and domains: an organization's product exists, or no longer does.
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
