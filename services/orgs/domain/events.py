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


# Received from identity: a person closes their account (ID-11).
@dataclass(frozen=True)
class AccountClosureRequested:
    user_id: str
    closure_id: str
