"""Organizations, their members (OR-01, OR-02), the people they can add, and reseller links (OR-19)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portico_kernel.clock import utcnow

from portico_kernel.roles import ADMINISTRATOR, COLLABORATOR, EXTERNAL, LEGAL_REPRESENTATIVE, MANAGING_ROLES, ROLES  # noqa: F401

ORGANIZATION_TYPES = ("private", "association", "company", "public_body", "other")
DEFAULT_LINK_DAYS = 60  # ID-16: links that expire (invitations) last this long unless the organization chose otherwise


def new_id() -> str:
    return str(uuid.uuid4())


def email_key(email: str) -> str:
    """Email addresses are the same whatever their letter case (as identity compares logins)."""
    return email.strip().casefold()


@dataclass(eq=False)
class Member:
    org_id: str
    user_id: str
    role: str
    email: str
    first_name: str
    last_name: str
    joined_at: datetime = field(default_factory=utcnow)
    blocked_at: datetime | None = None  # OR-13: blocked after a security incident, still a member
    blocked_by: str | None = None

    @property
    def blocked(self) -> bool:
        return self.blocked_at is not None


@dataclass(eq=False)
class Organization:
    id: str
    name: str
    type: str
    country: str | None
    created_by: str
    created_at: datetime = field(default_factory=utcnow)
    two_factor_required: bool = False  # OR-10
    link_days: int = DEFAULT_LINK_DAYS  # ID-16
    # OR-14: structured postal address (the country decides the invoice currency), phone, VAT ID, register number
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    town: str | None = None
    phone: str | None = None
    vat_id: str | None = None
    commercial_register: str | None = None
    is_reseller: bool = False  # OR-19: the provider made it a partner that creates and manages customers
    # OR-15: what billing last said the organization owes and holds
    unpaid_invoices: int = 0
    prepaid_balance_minor: int = 0
    billing_standing_at: datetime | None = None  # when billing said it: an older word arriving late changes nothing

    @classmethod
    def personal(cls, user_id: str, first_name: str, last_name: str, country: str | None,
                 org_id: str | None = None) -> "Organization":
        """ID-01: the organization of a person who signed up on their own, in their name (identity
        names its id, so that the person's first token acts for it)."""
        return cls(id=org_id or new_id(), name=f"{first_name} {last_name}".strip(), type="private",
                   country=country, created_by=user_id)


@dataclass(eq=False)
class Person:
    """Someone with an account, as identity announced them: who can be made a member."""
    user_id: str
    email: str
    first_name: str
    last_name: str
    language: str = "en"


@dataclass(eq=False)
class TwoFactorStatus:
    """OR-10: whether a person has set up 2FA, as identity last announced it (TwoFactorStatusChanged)."""
    user_id: str
    enabled: bool
    changed_at: datetime

    def update(self, enabled: bool, at: datetime) -> None:
        if at >= self.changed_at:  # an event older than what we know (redelivered late) changes nothing
            self.enabled, self.changed_at = enabled, at


@dataclass(eq=False)
class ResellerLink:
    """OR-19: the reseller organization manages the customer organization through the API."""
    reseller_org_id: str
    customer_org_id: str
    linked_by: str
    linked_at: datetime = field(default_factory=utcnow)


PENDING, ACCEPTED, REVOKED = "pending", "accepted", "revoked"


def hash_link_token(token: str) -> str:
    # 256 random bits: a fast hash is enough; only the hash is kept.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(eq=False)
class Invitation:
    """OR-03: someone invited by email into an organization in a role; the link works once, until
    it expires (ID-16) or is revoked. Only the hash of the link's token is kept."""
    id: str
    org_id: str
    email: str
    email_key: str
    role: str
    invited_by: str
    token_hash: str
    expires_at: datetime
    created_at: datetime = field(default_factory=utcnow)
    status: str = PENDING
    sent_count: int = 1
    accepted_by: str | None = None
    finished_at: datetime | None = None
    product_access: list = field(default_factory=list)  # grant specifications the member gets on joining

    @classmethod
    def issue(cls, org_id: str, email: str, role: str, invited_by: str, now: datetime,
              days: int) -> tuple["Invitation", str]:
        token = secrets.token_urlsafe(32)
        invitation = cls(id=new_id(), org_id=org_id, email=email.strip(), email_key=email_key(email), role=role,
                         invited_by=invited_by, token_hash=hash_link_token(token),
                         expires_at=now + timedelta(days=days), created_at=now)
        return invitation, token

    def renew(self, now: datetime, days: int) -> str:
        """Resent: a new link (the old one stops working) with a new expiry."""
        token = secrets.token_urlsafe(32)
        self.token_hash, self.expires_at = hash_link_token(token), now + timedelta(days=days)
        self.sent_count += 1
        return token

    def state(self, now: datetime) -> str:
        if self.status == PENDING and now >= self.expires_at:
            return "expired"
        return self.status



@dataclass(eq=False)
class Product:
    """OR-06: a product of an organization, as the service that provisioned it announced it."""
    product_type: str
    product_id: str
    org_id: str
    provisioned_at: datetime = field(default_factory=utcnow)
    locked: bool = False  # OR-12: only administrators and legal representatives manage it meanwhile
    maintenance: bool = False  # OR-12: a mail product's stand-in for a lock: mail arrives, nobody reads it


MEMBER, GROUP, EVERYONE = "member", "group", "everyone"


@dataclass(eq=False)
class Grant:
    """OR-06, OR-08: rights on one product, on every current and future product of a type, or on
    everything, held by a member, a work group, or everyone in the organization (but external
    users, who are left out of organization-wide sharing, OR-02)."""
    id: str
    org_id: str
    holder_kind: str
    holder_id: str | None
    scope: str
    product_type: str | None
    product_id: str | None
    rights: list[str]
    granted_by: str
    granted_at: datetime = field(default_factory=utcnow)

    def entry(self) -> dict:
        return {"scope": self.scope, "product_type": self.product_type, "product_id": self.product_id,
                "rights": list(self.rights)}


@dataclass(eq=False)
class WorkGroup:
    """OR-08: a named bundle of grants; its members hold them."""
    id: str
    org_id: str
    name: str
    created_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class WorkGroupMember:
    group_id: str
    user_id: str
    org_id: str
    added_at: datetime = field(default_factory=utcnow)


CONTACT_PURPOSES = ("support", "billing", "technical", "security", "data_protection", "general")


@dataclass(eq=False)
class Contact:
    """OR-17: a named contact of the organization, e.g. where support emails go."""
    id: str
    org_id: str
    purpose: str
    name: str
    email: str
    phone: str | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class BillingAddress:
    """OR-14: an extra address invoices can be sent to, besides the organization's postal address."""
    id: str
    org_id: str
    recipient: str
    street: str
    house_number: str | None
    postcode: str
    town: str
    country: str
    created_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Logo:
    """OR-14: the organization's logo, an image checked for its type and size."""
    org_id: str
    content_type: str
    data: bytes
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Seat:
    """OR-16: a team-member seat a plan includes: an extra account that shares the plan. A seat
    lasts until its own `valid_until`: renewing the plan does not renew it, only renewing seats does."""
    id: str
    org_id: str
    product_type: str
    product_id: str
    valid_until: datetime
    holder_id: str | None = None
    created_at: datetime = field(default_factory=utcnow)

    def valid(self, now: datetime) -> bool:
        return now < self.valid_until
