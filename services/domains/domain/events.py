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


# DO-04: the owners hear that a domain expires (about 30 and 7 days before, once within 5 days after);
# notifications mails them. `notice` is before_<days> or after_expiry.
@dataclass(frozen=True)
class DomainExpiring:
    org_id: str
    domain_id: str
    domain: str
    expires_on: str
    notice: str
    auto_renew: bool
    renewal_warranty: bool
    renew_by: str
    restore_by: str | None = None


# DO-07, DO-06: a domain's next term is to be invoiced (billing: reference domain-renewal:<domain_id>:<expires_on>).
@dataclass(frozen=True)
class DomainRenewalRequested:
    org_id: str
    domain_id: str
    domain: str
    years: int
    price: dict
    expires_on: str


# DO-05, DO-07: a renewal asked for will not be carried out; billing withdraws its invoice.
@dataclass(frozen=True)
class DomainRenewalWithdrawn:
    org_id: str
    domain_id: str
    domain: str
    expires_on: str
    reason: str


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


# DO-05: a released domain is no longer the organization's product (orgs drops its grants).
@dataclass(frozen=True)
class ProductRemoved:
    org_id: str
    product_type: str
    product_id: str


# Received from billing: an invoice is paid in full; `domain-order:<order_id>` and
# `domain-renewal:<domain_id>:<expires_on>` are ours.
@dataclass(frozen=True)
class InvoicePaid:
    invoice_id: str
    org_id: str
    number: str = ""
    total: dict | None = None
    paid_at: str | None = None
    reference: str | None = None


# Received from billing: the currency the organization is invoiced in, which orders are priced in.
@dataclass(frozen=True)
class BillingAccountOpened:
    org_id: str
    currency: str
