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

# DO-02, DO-03: an order for billing to invoice (reference `domain-order:<order_id>`).
@dataclass(frozen=True)
class DomainOrderPlaced:
    org_id: str
    order_id: str
    kind: str  # registration, transfer or restore
    domain: str
    years: int
    price: dict  # {amount_minor, currency}


# DO-02, DO-03: the order failed; billing cancels or refunds its invoice.
@dataclass(frozen=True)
class DomainOrderFailed:
    org_id: str
    order_id: str
    reason: str


# DO-01 … DO-05: every change of a domain's state.
@dataclass(frozen=True)
class DomainStateChanged:
    org_id: str
    domain_id: str
    domain: str
    status: str
    expires_on: str
    at: str


# A domain of the organization exists (orgs' product access applies to it, OR-06).
@dataclass(frozen=True)
class ProductProvisioned:
    org_id: str
    product_type: str
    product_id: str


# Received from billing: an invoice is paid in full; `domain-order:<order_id>` is ours.
@dataclass(frozen=True)
class InvoicePaid:
    invoice_id: str
    org_id: str
    reference: str | None = None


# Received from billing: the currency the organization is invoiced in, which orders are priced in.
@dataclass(frozen=True)
class BillingAccountOpened:
    org_id: str
    currency: str
