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
