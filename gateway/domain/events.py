"""Integration events the gateway handles, for the read models of its checks (schemas:
contracts/events/<Name>.v1.schema.json). The gateway publishes none."""
from __future__ import annotations

from dataclasses import dataclass


# Received from orgs
@dataclass(frozen=True)
class TwoFactorPolicyChanged:
    org_id: str
    required: bool


@dataclass(frozen=True)
class ResellerLinked:
    reseller_org_id: str
    customer_org_id: str


@dataclass(frozen=True)
class ResellerUnlinked:
    reseller_org_id: str
    customer_org_id: str


@dataclass(frozen=True)
class MemberBlocked:
    org_id: str
    user_id: str


@dataclass(frozen=True)
class MemberUnblocked:
    org_id: str
    user_id: str


@dataclass(frozen=True)
class MemberJoined:
    org_id: str
    user_id: str


@dataclass(frozen=True)
class MemberLeft:
    org_id: str
    user_id: str


# Received from identity
@dataclass(frozen=True)
class AccountClosed:
    user_id: str


@dataclass(frozen=True)
class TwoFactorStatusChanged:
    user_id: str
    enabled: bool
    methods: list[str]
