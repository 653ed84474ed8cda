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
