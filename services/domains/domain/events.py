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


# DO-01 … DO-05: a domain changed state (registered, renewed, expired, redemption, pending delete, released).
@dataclass(frozen=True)
class DomainStateChanged:
    org_id: str
    domain_id: str
    domain: str
    status: str
    expires_on: str
    at: str


# DO-05: a released domain is no longer the organization's product (orgs drops its grants).
@dataclass(frozen=True)
class ProductRemoved:
    org_id: str
    product_type: str
    product_id: str


# Received from billing: an invoice is paid in full; `reference` names what it bills.
@dataclass(frozen=True)
class InvoicePaid:
    invoice_id: str
    org_id: str
    number: str
    total: dict
    paid_at: str
    reference: str | None = None
