"""Integration events domains publishes, and those it handles (schemas: contracts/events/<Name>.v1.schema.json)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonalDataErased:
    closure_id: str
    user_id: str
    service: str


# Received from identity: a person closes their account (ID-11).
@dataclass(frozen=True)
class AccountClosureRequested:
    user_id: str
    closure_id: str


# --- managing a domain (DO-01) -------------------------------------------------------------------

# Received from orgs: the organization's contacts, chosen as a domain's contacts or new registrant.
@dataclass(frozen=True)
class ContactAdded:
    contact_id: str
    org_id: str
    purpose: str
    name: str
    email: str


@dataclass(frozen=True)
class ContactRemoved:
    contact_id: str
    org_id: str


# Received from orgs: the organization's name, country and postal address (a registry contact's address).
@dataclass(frozen=True)
class OrganizationCreated:
    org_id: str
    name: str
    country: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class OrganizationDetailsChanged:
    org_id: str
    name: str
    country: str | None = None
    address: dict | None = None


@dataclass(frozen=True)
class MemberAccessChanged:
    org_id: str
    user_id: str
    grants: list


@dataclass(frozen=True)
class DomainAuthCodeIssued:
    """The transfer auth code, for notifications to mail to the registrant (and only that)."""
    org_id: str
    domain_id: str
    domain: str
    registrant_name: str
    registrant_email: str | None
    language: str | None
    auth_code: str
    valid_until: str | None
    issued_at: str

    def __repr__(self) -> str:  # never in a log
        return f"DomainAuthCodeIssued(domain={self.domain!r}, auth_code=<hidden>)"


@dataclass(frozen=True)
class DomainOwnerChangeRequested:
    org_id: str
    domain_id: str
    domain: str
    change_id: str
    registrant_name: str
    registrant_email: str
    language: str | None
    token: str
    expires_at: str

    def __repr__(self) -> str:
        return f"DomainOwnerChangeRequested(domain={self.domain!r}, change_id={self.change_id!r}, token=<hidden>)"


@dataclass(frozen=True)
class DomainOwnerChanged:
    org_id: str
    domain_id: str
    domain: str
    change_id: str
    registrant_name: str
    registrant_email: str
    language: str | None
    changed_at: str
    transfer_locked_until: str | None
