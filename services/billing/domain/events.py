"""Integration events billing publishes, and those it handles (schemas: contracts/events/<Name>.v1.schema.json)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BillingAccountOpened:
    account_id: str
    org_id: str
    currency: str


@dataclass(frozen=True)
class InvoicePaid:
    """BI-06, BI-10: an invoice is paid in full; emitted once per invoice."""
    invoice_id: str
    org_id: str
    number: str
    total: dict  # Money as {amount_minor, currency}
    paid_at: str


@dataclass(frozen=True)
class BillingStandingChanged:
    """OR-15: what an organization owes (unpaid invoices) and holds (prepaid balance) changed."""
    org_id: str
    unpaid_invoices: int
    prepaid_balance_minor: int
    currency: str


@dataclass(frozen=True)
class PersonalDataErased:
    closure_id: str
    user_id: str
    service: str


# Received from orgs: a new organization gets its billing account.
@dataclass(frozen=True)
class OrganizationCreated:
    org_id: str
    country: str | None


# Received from orgs: the organization's country changed (OR-14).
@dataclass(frozen=True)
class OrganizationDetailsChanged:
    org_id: str
    country: str | None


# Received from identity: a person closes their account (ID-11).
@dataclass(frozen=True)
class AccountClosureRequested:
    user_id: str
    closure_id: str
