"""Integration events published by identity (schemas: contracts/events/<Name>.v1.schema.json)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UserRegistered:
    user_id: str
    email: str
    first_name: str
    last_name: str
    language: str
    country: str | None
    self_signup: bool


@dataclass(frozen=True)
class StaffAccountCreated:
    user_id: str
    email: str
    platform_roles: list[str]


@dataclass(frozen=True)
class SecurityAlertRaised:
    """ID-02, ID-03: identity's own consumer emails it to the account's owner."""

    user_id: str
    email: str
    language: str
    alert: str
    occurred_at: str
    details: dict


@dataclass(frozen=True)
class TwoFactorStatusChanged:
    """ID-09: the person's set of second factors changed (the gateway enforces OR-10 with it)."""

    user_id: str
    enabled: bool
    methods: list[str]
