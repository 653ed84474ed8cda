"""Integration events orgs publishes, and those it handles (schemas: contracts/events/<Name>.v1.schema.json)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizationCreated:
    org_id: str
    name: str
    type: str
    country: str | None
    created_by: str
    language: str | None = None  # the founder's language: what billing writes the invoices in


@dataclass(frozen=True)
class OrganizationDetailsChanged:
    """OR-14: the details changed; billing takes the currency from the country, and the legal
    representatives get a summary mail naming `changed_fields`."""
    org_id: str
    name: str
    type: str
    country: str | None
    changed_fields: list
    changed_by: str
    address: dict | None = None  # street, house_number, postcode, town: what billing's invoices name
    vat_id: str | None = None


@dataclass(frozen=True)
class MemberJoined:
    org_id: str
    user_id: str
    role: str


@dataclass(frozen=True)
class MemberLeft:
    org_id: str
    user_id: str


@dataclass(frozen=True)
class MemberRoleChanged:
    """OR-04, OR-05: a member's role changed; identity updates the roles of their next tokens."""
    org_id: str
    user_id: str
    role: str
    previous_role: str
    changed_by: str


@dataclass(frozen=True)
class UserInvited:
    """OR-03: what the invitation mail needs (the notifications service sends it): the link's
    token, in the invitee's language when they have an account, else the inviter's."""
    invitation_id: str
    org_id: str
    organization_name: str
    email: str
    role: str
    invited_by: str
    inviter_name: str
    inviter_language: str
    invitee_language: str | None
    token: str
    expires_at: str


@dataclass(frozen=True)
class MemberRemoved:
    """OR-09: a member was removed; what happens to their product data was decided in the same
    step (`transfer` to `transfer_to`, or `delete`), for the services that hold the products."""
    org_id: str
    user_id: str
    removed_by: str
    product_data: str
    transfer_to: str | None


@dataclass(frozen=True)
class MemberAccessChanged:
    """OR-06..OR-08: a member's complete access in one organization, for every service's copy
    (portico_kernel/access_model.py); the latest replaces the one before."""
    org_id: str
    user_id: str
    grants: list


@dataclass(frozen=True)
class SecurityWarningRequested:
    """OR-11: a security warning is to be mailed to a member (the notifications service sends it)."""
    org_id: str
    organization_name: str
    user_id: str
    email: str
    language: str
    reason: str
    requested_by: str
    requester_name: str


@dataclass(frozen=True)
class ProductStateChanged:
    """OR-12: a product's management was locked or unlocked, or a mail product put into or out of
    maintenance; the members are emailed (by the notifications service), and the product's service
    stops letting anyone read mail in maintenance."""
    org_id: str
    product_type: str
    product_id: str
    locked: bool
    maintenance: bool
    changed_by: str


@dataclass(frozen=True)
class MemberBlocked:
    """OR-13: the gateway refuses the member's calls for this organization until unblocked."""
    org_id: str
    user_id: str
    blocked_by: str


@dataclass(frozen=True)
class MemberUnblocked:
    org_id: str
    user_id: str
    unblocked_by: str


@dataclass(frozen=True)
class TwoFactorPolicyChanged:
    org_id: str
    required: bool
    changed_by: str


@dataclass(frozen=True)
class ResellerLinked:
    reseller_org_id: str
    customer_org_id: str


@dataclass(frozen=True)
class ResellerUnlinked:
    reseller_org_id: str
    customer_org_id: str


@dataclass(frozen=True)
class PersonalDataErased:
    closure_id: str
    user_id: str
    service: str


# Received from identity: people, their names and addresses, whether they have 2FA (OR-10).
@dataclass(frozen=True)
class UserRegistered:
    user_id: str
    email: str
    first_name: str
    last_name: str
    country: str | None
    self_signup: bool
    language: str = "en"
    personal_org_id: str | None = None
    invitation_id: str | None = None


@dataclass(frozen=True)
class LoginEmailChanged:
    user_id: str
    new_email: str


@dataclass(frozen=True)
class PersonRenamed:
    user_id: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class TwoFactorStatusChanged:
    user_id: str
    enabled: bool


# Received from the services that provision products (billing, domains): what exists (OR-06).
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


@dataclass(frozen=True)
class OrganizationDeleted:
    org_id: str
    deleted_by: str


# Received from billing: what an organization owes and holds (OR-15).
@dataclass(frozen=True)
class BillingStandingChanged:
    org_id: str
    unpaid_invoices: int
    prepaid_balance_minor: int


@dataclass(frozen=True)
class SeatsProvisioned:
    """OR-16, from billing: the plan includes `seats` team-member seats until `valid_until`."""
    org_id: str
    product_type: str
    product_id: str
    seats: int
    valid_until: str


@dataclass(frozen=True)
class SeatAssigned:
    org_id: str
    seat_id: str
    product_type: str
    product_id: str
    user_id: str
    valid_until: str


@dataclass(frozen=True)
class SeatReleased:
    org_id: str
    seat_id: str
    user_id: str


@dataclass(frozen=True)
class ContactAdded:
    """OR-17: a named contact of the organization; the notifications service can mail it by purpose."""

    contact_id: str
    org_id: str
    purpose: str
    name: str
    email: str


@dataclass(frozen=True)
class ContactRemoved:
    contact_id: str
    org_id: str


# Received from identity: a person closes their account (ID-11).
@dataclass(frozen=True)
class AccountClosureRequested:
    user_id: str
    closure_id: str
