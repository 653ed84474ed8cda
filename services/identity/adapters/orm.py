"""Identity's tables, mapped onto the domain's plain classes."""
from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, MetaData, String, Table
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import Membership, RefreshToken, SignInSession, User

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

users = Table(
    "users", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("email_key", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("language", String(5), nullable=False),
    Column("country", String(2)),
    Column("time_zone", String(64)),
    Column("platform_roles", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

memberships = Table(
    "memberships", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("org_id", String(36), primary_key=True),
    Column("role", String(40), nullable=False),
    Column("joined_at", UtcDateTime, nullable=False),
)

sign_in_sessions = Table(
    "sign_in_sessions", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("amr", JSON, nullable=False),
    Column("org_id", String(36)),
    Column("user_agent", String(300)),
    Column("ip_address", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(40)),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(36), ForeignKey("sign_in_sessions.id"), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("spent_at", UtcDateTime),
)

mapper_registry.map_imperatively(User, users)
mapper_registry.map_imperatively(Membership, memberships)
mapper_registry.map_imperatively(SignInSession, sign_in_sessions)
mapper_registry.map_imperatively(RefreshToken, refresh_tokens)
