"""People who sign in: customers and the provider's staff, their sign-in sessions, and the
organizations they belong to (a read model kept from the orgs service's events)."""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import utcnow

CUSTOMER, STAFF = "customer", "staff"
# Platform roles of the provider's staff (principal kind "staff").
PLATFORM_ROLES = ("platform:admin", "platform:billing-clerk", "platform:support-agent")


def email_key(email: str) -> str:
    """Login emails are unique whatever their letter case."""
    return email.strip().casefold()


def unreadable_character(text: str) -> str | None:
    """The first control character or lone surrogate in a name or password, as U+XXXX (None if
    there is none): no one types them, and databases refuse some of them (NUL on PostgreSQL)."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs"):
            return f"U+{ord(char):04X}"
    return None


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(eq=False)
class User:
    id: str
    email: str
    email_key: str
    password_hash: str
    first_name: str
    last_name: str
    kind: str = CUSTOMER
    language: str = "en"
    country: str | None = None
    time_zone: str | None = None
    platform_roles: list[str] = field(default_factory=list)
    status: str = "active"
    created_at: datetime = field(default_factory=utcnow)
    active_org_id: str | None = None  # OR-01: the organization chosen last, where the next sign-in starts

    @property
    def is_staff(self) -> bool:
        return self.kind == STAFF


@dataclass(eq=False)
class Membership:
    """That a person belongs to an organization, and in which role (owned by the orgs service)."""

    user_id: str
    org_id: str
    role: str
    joined_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class SignInSession:
    """One signed-in device. Its refresh tokens rotate; reusing a spent one ends the session."""

    id: str
    user_id: str
    amr: list[str]
    org_id: str | None
    user_agent: str | None = None
    ip_address: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    last_used_at: datetime = field(default_factory=utcnow)
    ended_at: datetime | None = None
    end_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def end(self, reason: str) -> None:
        if self.ended_at is None:
            self.ended_at = utcnow()
            self.end_reason = reason


@dataclass(eq=False)
class RefreshToken:
    token_hash: str
    session_id: str
    issued_at: datetime = field(default_factory=utcnow)
    spent_at: datetime | None = None


def new_refresh_token() -> tuple[str, str]:
    """A refresh token (shown once to the client) and the hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    # The token has 256 random bits: a fast hash is enough, no password hash needed. A presented
    # token that is not even valid text (a lone surrogate) just matches nothing.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(eq=False)
class KnownOrganization:
    """An organization's name as the orgs service announced it (OrganizationCreated,
    OrganizationDetailsChanged): what the consent page shows (ID-13)."""

    org_id: str
    name: str
    changed_at: datetime
