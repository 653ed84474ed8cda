"""Integration events the notifications service publishes, and those it handles (schemas:
contracts/events/<Name>.v1.schema.json). A received record names only the fields read here."""
from __future__ import annotations

from dataclasses import dataclass, field


# Published: the person's mails and what was known of them are erased (ID-11).
@dataclass(frozen=True)
class PersonalDataErased:
    closure_id: str
    user_id: str
    service: str


# Received from identity: mails to send (ID-02, ID-03, ID-07) and who the people are.
@dataclass(frozen=True)
class SecurityAlertRaised:
    user_id: str
    email: str
    language: str
    alert: str
    occurred_at: str
    details: dict = field(default_factory=dict)
    first_name: str | None = None
    time_zone: str | None = None
    mail: bool | None = None  # ID-04: the owner's choice as identity knew it (absent in older events)


@dataclass(frozen=True)
class EmailChangeRequested:
    user_id: str
    email_change_id: str
    new_email: str
    language: str
    first_name: str
    token: str
    expires_at: str
    time_zone: str | None = None


@dataclass(frozen=True)
class UserRegistered:
    user_id: str
    email: str
    first_name: str
    language: str


@dataclass(frozen=True)
class LoginEmailChanged:
    user_id: str
    new_email: str


@dataclass(frozen=True)
class LanguageOrTimeZoneChanged:
    user_id: str
    language: str
    time_zone: str | None = None


@dataclass(frozen=True)
class PersonRenamed:
    user_id: str
    first_name: str


@dataclass(frozen=True)
class AccountClosureRequested:
    user_id: str
    closure_id: str


# Received from orgs: who belongs to which organization, in which role (ID-14, ID-15).
@dataclass(frozen=True)
class MemberJoined:
    org_id: str
    user_id: str
    role: str


@dataclass(frozen=True)
class MemberLeft:
    org_id: str
    user_id: str


# Received from orgs: what happened in an organization that its people are mailed about.
@dataclass(frozen=True)
class UserInvited:  # OR-03, ID-16
    invitation_id: str
    org_id: str
    organization_name: str
    email: str
    role: str
    invited_by: str
    inviter_name: str
    inviter_language: str
    token: str
    expires_at: str
    invitee_language: str | None = None


@dataclass(frozen=True)
class SecurityWarningRequested:  # OR-11
    org_id: str
    organization_name: str
    user_id: str
    email: str
    language: str
    reason: str
    requester_name: str


@dataclass(frozen=True)
class ProductStateChanged:  # OR-12
    org_id: str
    product_type: str
    product_id: str
    locked: bool
    maintenance: bool
    changed_by: str


@dataclass(frozen=True)
class OrganizationDetailsChanged:  # OR-14
    org_id: str
    name: str
    changed_fields: list
    changed_by: str


@dataclass(frozen=True)
class MemberRoleChanged:  # OR-04, OR-05: the read model of roles decides who gets which mail
    org_id: str
    user_id: str
    role: str


@dataclass(frozen=True)
class StaffAccountCreated:  # the provider's staff are known before their first mail
    user_id: str
    email: str
    first_name: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class AlertChoicesChanged:  # ID-04: which optional security alerts the person wants emailed
    user_id: str
    new_sign_in_location: bool
    wrong_password: bool
    changed_at: str


# Received from orgs: a member's complete product access; who holds the accounting right on billing
# may be sent the invoice mails (BI-15, BI-16).
@dataclass(frozen=True)
class MemberAccessChanged:
    org_id: str
    user_id: str
    grants: list


@dataclass(frozen=True)
class OrganizationDeleted:  # OR-15
    org_id: str


# Received from orgs: the organization's named contacts (OR-17).
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


# Received from billing: documents and payments mailed as the organization's preferences say (BI-16).
@dataclass(frozen=True)
class InvoiceIssued:
    invoice_id: str
    org_id: str
    number: str
    kind: str
    total: dict
    issued_at: str
    due_on: str


# Received from billing: a person asked for a set of invoices by email (BI-13).
@dataclass(frozen=True)
class InvoicesExported:
    export_id: str
    org_id: str
    requested_by: str
    file_name: str
    invoice_count: int
    csv: str
    filters: dict


@dataclass(frozen=True)
class InvoicePaid:
    invoice_id: str
    org_id: str
    number: str
    total: dict
    paid_at: str


# Received from billing: dunning (BI-06, BI-16), mailed to whom the invoice preferences name.
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


# Received from billing: a direct debit the bank returned (BI-08); the invoice is open again.
@dataclass(frozen=True)
class DirectDebitReturned:
    invoice_id: str
    org_id: str
    number: str
    amount: dict
    reason_code: str
    returned_on: str
    reason: str = ""


# Received from domains: a domain expires (DO-04), mailed to the organization's owners.
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
# Received from tickets: support answered a ticket publicly (TI-01).
@dataclass(frozen=True)
class TicketReplied:
    ticket_id: str
    org_id: str
    number: str
    subject: str
    department: str
    user_id: str
    reply_to: str
    body: str
    attachments: int


# Received from domains: managing a domain (DO-01).
@dataclass(frozen=True)
class DomainAuthCodeIssued:
    org_id: str
    domain_id: str
    domain: str
    registrant_name: str
    registrant_email: str | None
    language: str | None
    auth_code: str
    valid_until: str | None

    def __repr__(self) -> str:  # the code is never in a log line
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
        return f"DomainOwnerChangeRequested(domain={self.domain!r}, token=<hidden>)"


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


# Received from tickets: a critical ticket reports an emergency (TI-03); the on-call address is mailed.
@dataclass(frozen=True)
class EmergencyReported:
    org_id: str
    ticket_id: str
    ticket_number: str
    department: str
    emergency_kind: str
    subject: str
    reported_at: str
