from __future__ import annotations

from sqlalchemy import Boolean, Column, MetaData, String, Table
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import Domain

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

domains = Table(
    "domains", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("name", String(253), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("auto_renew", Boolean, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

mapper_registry.map_imperatively(Domain, domains)

