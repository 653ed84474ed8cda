"""Organizations, their members (OR-01, OR-02), the people they can add, and reseller links (OR-19)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import utcnow

LEGAL_REPRESENTATIVE, ADMINISTRATOR, COLLABORATOR, EXTERNAL = "legal_representative", "administrator", "collaborator", "external"
ROLES = (LEGAL_REPRESENTATIVE, ADMINISTRATOR, COLLABORATOR, EXTERNAL)
ORGANIZATION_TYPES = ("private", "association", "company", "public_body", "other")


@dataclass(eq=False)
class Member:
    org_id: str
    user_id: str
    role: str
    email: str
    first_name: str
    last_name: str
    joined_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Organization:
    id: str
    name: str
    type: str
    country: str | None
    created_by: str
    created_at: datetime = field(default_factory=utcnow)
    two_factor_required: bool = False  # OR-10

    @classmethod
    def personal(cls, user_id: str, first_name: str, last_name: str, country: str | None) -> "Organization":
        """ID-01: the organization of a person who signed up on their own, in their name."""
        return cls(id=str(uuid.uuid4()), name=f"{first_name} {last_name}".strip(), type="private",
                   country=country, created_by=user_id)


@dataclass(eq=False)
class Person:
    """Someone with an account, as identity announced them: who can be made a member."""
    user_id: str
    email: str
    first_name: str
    last_name: str


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
