from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, Text
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.api_keys import ApiKey
from .keys import SigningKey

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(40), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("activates_at", UtcDateTime, nullable=False),
    Column("retires_at", UtcDateTime),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(24), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("rate_limit", Integer, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

# Read models kept from other services' events (gateway consumer), read by the web workers.
org_two_factor_policies = Table(
    "org_two_factor_policies", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("required", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

people_two_factor = Table(
    "people_two_factor", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("methods", JSON, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

reseller_links = Table(
    "reseller_links", metadata,
    Column("reseller_org_id", String(36), primary_key=True),
    Column("customer_org_id", String(36), primary_key=True),
)

# OR-13: members blocked in an organization (the latest block or unblock wins, by when it happened)
blocked_members = Table(
    "blocked_members", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("user_id", String(36), primary_key=True),
    Column("blocked", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

mapper_registry.map_imperatively(SigningKey, signing_keys)
mapper_registry.map_imperatively(ApiKey, api_keys)


# Delegated access (ID-13): grants and token families identity revoked; their tokens are refused
# until `until` (when the last of them has expired).
oauth_revocations = Table(
    "oauth_revocations", metadata,
    Column("id", String(36), primary_key=True),
    Column("revoked_at", UtcDateTime, nullable=False),
    Column("until", UtcDateTime, nullable=False, index=True),
)


# ID-13: when a person's applications lost their ground in an organization (org_id "*": every one,
# the account closed); `ended` while the person is out of it. Kept from MemberLeft, MemberBlocked,
# MemberJoined and AccountClosed.
oauth_member_endings = Table(
    "oauth_member_endings", metadata,
    Column("org_id", String(36), primary_key=True),
    Column("user_id", String(36), primary_key=True),
    Column("ended", Boolean, nullable=False),
    Column("ended_at", UtcDateTime, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)
