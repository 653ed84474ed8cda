from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table, Text
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.keys import SigningKey

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

mapper_registry.map_imperatively(SigningKey, signing_keys)
