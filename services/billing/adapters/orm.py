from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, MetaData, String, Table, text
from sqlalchemy.orm import registry

from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import BillingAccount
from ..domain.payments import Payment
from ..domain.prepaid import PrepaidMovement

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
    CheckConstraint("balance_minor >= 0", name="ck_billing_accounts_balance_not_negative"),  # BI-10
)

# An attempt to pay an invoice (card, prepaid or both) or to top the prepaid balance up (no invoice).
payments = Table(
    "payments", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("invoice_id", String(36), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("card_minor", BigInteger, nullable=False),
    Column("prepaid_minor", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("provider_reference", String(200), nullable=True),
    Column("reason", String(300), nullable=True),
    Column("created_by", String(36), nullable=True),
    CheckConstraint("card_minor >= 0 AND prepaid_minor >= 0", name="ck_payments_amounts"),
    Index("ix_payments_invoice", "invoice_id", "created_at"),
    Index("ix_payments_org", "org_id", "created_at", "id"),
    # one payment of an invoice under way at a time, whoever starts it
    Index("uq_payments_pending_invoice", "invoice_id", unique=True,
          sqlite_where=text("status = 'pending' AND invoice_id IS NOT NULL"),
          postgresql_where=text("status = 'pending' AND invoice_id IS NOT NULL")),
    Index("ix_payments_pending", "status", "created_at"),
)

prepaid_movements = Table(
    "prepaid_movements", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("balance_after_minor", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("invoice_id", String(36), nullable=True),
    Column("payment_id", String(36), nullable=True),
    CheckConstraint("balance_after_minor >= 0", name="ck_prepaid_movements_balance_not_negative"),
    Index("ix_prepaid_movements_org", "org_id", "at", "id"),
)

# The ledger (domain/ledger.py): a posting and its entries, debits positive and credits negative.
ledger_postings = Table(
    "ledger_postings", metadata,
    Column("id", String(36), primary_key=True),
    Column("reason", String(300), nullable=False),
    Column("posted_at", UtcDateTime, nullable=False),
)

ledger_entries = Table(
    "ledger_entries", metadata,
    Column("posting_id", String(36), ForeignKey("ledger_postings.id"), primary_key=True),
    Column("account", String(100), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Index("ix_ledger_entries_account", "account", "currency"),
)

mapper_registry.map_imperatively(BillingAccount, billing_accounts)
mapper_registry.map_imperatively(Payment, payments)
mapper_registry.map_imperatively(PrepaidMovement, prepaid_movements)
