"""Integration events published by orgs."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrganizationCreated:
    org_id: str
    name: str
    type: str
    country: str | None
    created_by: str


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
