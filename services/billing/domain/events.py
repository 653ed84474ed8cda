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
    reference: str | None = None  # what it billed once only, e.g. a domain's renewal (DO-07)


@dataclass(frozen=True)
class InvoicesExported:
    """BI-13: a set of invoices as CSV, for notifications to mail to the person who asked."""
    export_id: str
    org_id: str
    requested_by: str
    file_name: str
    invoice_count: int
    csv: str
    filters: dict


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


@dataclass(frozen=True)
class InvoiceIssued:
    invoice_id: str
    org_id: str
    number: str
    kind: str
    total: dict
    issued_at: str
    due_on: str
    reference: str | None = None


# A subscription started (orgs lets members be granted rights on it) or ended.
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


# OR-16: the team-member seats a plan includes, until when.
@dataclass(frozen=True)
class SeatsProvisioned:
    org_id: str
    product_type: str
    product_id: str
    seats: int
    valid_until: str


# Received from orgs: a new organization gets its billing account.
@dataclass(frozen=True)
class OrganizationCreated:
    org_id: str
    country: str | None
    name: str | None = None
    type: str | None = None
    language: str | None = None  # the organization's language (its invoices'); absent from older events


# Received from orgs: the organization's details changed (OR-14); what its invoices name.
@dataclass(frozen=True)
class OrganizationDetailsChanged:
    org_id: str
    country: str | None
    name: str | None = None
    type: str | None = None
    address: dict | None = None
    vat_id: str | None = None


# Received from orgs: a member's complete product access (BI-15: the `accounting` right on billing).
@dataclass(frozen=True)
class MemberAccessChanged:
    org_id: str
    user_id: str
    grants: list


# Received from tickets: a ticket reported as critical was no emergency (BI-17).
@dataclass(frozen=True)
class FalseEmergencyReported:
    org_id: str
    ticket_id: str
    reported_at: str
    reason: str | None = None  # why support found it no emergency, shown on the invoice line
    ticket_number: str | None = None


# Received from identity: a person closes their account (ID-11).
@dataclass(frozen=True)
class AccountClosureRequested:
    user_id: str
    closure_id: str


# Dunning (BI-16): a reminder of an unpaid invoice, level 1 first.
@dataclass(frozen=True)
class InvoiceOverdue:
    invoice_id: str
    org_id: str
    number: str
    level: int
    total: dict
    outstanding: dict
    due_on: str
    reminded_at: str
    suspend_on: str | None = None
    payment_reference: str | None = None


@dataclass(frozen=True)
class ServiceSuspended:
    org_id: str
    product_type: str
    product_id: str
    invoice_id: str
    reason: str
    suspended_at: str
    subscription_id: str | None = None


@dataclass(frozen=True)
class ServiceResumed:
    org_id: str
    product_type: str
    product_id: str
    resumed_at: str
    subscription_id: str | None = None


# BI-08: a direct debit the bank returned; the invoice it paid is open again.
@dataclass(frozen=True)
class DirectDebitReturned:
    invoice_id: str
    org_id: str
    number: str
    amount: dict
    reason_code: str
    returned_on: str
    reason: str = ""


# DO-07, received from domains: a domain's renewal to invoice and collect.
@dataclass(frozen=True)
class DomainRenewalRequested:
    org_id: str
    domain_id: str
    domain: str
    years: int
    price: dict
    expires_on: str


# DO-02, DO-03, received from domains: a domain's registration, transfer or restore to invoice and collect.
@dataclass(frozen=True)
class DomainOrderPlaced:
    org_id: str
    order_id: str
    kind: str
    domain: str
    years: int
    price: dict


# DO-05, DO-07, received from domains: a domain's renewal will not be carried out; its invoice is withdrawn.
@dataclass(frozen=True)
class DomainRenewalWithdrawn:
    org_id: str
    domain_id: str
    domain: str
    expires_on: str
    reason: str


# DO-02, DO-03, received from domains: the registry refused the order; its invoice is withdrawn.
@dataclass(frozen=True)
class DomainOrderFailed:
    org_id: str
    order_id: str
    reason: str
