from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData, String, Table
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import BillingAccount

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)

billing_accounts = Table(
    "billing_accounts", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("balance_minor", BigInteger, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
)

mapper_registry.map_imperatively(BillingAccount, billing_accounts)
