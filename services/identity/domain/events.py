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
