from __future__ import annotations

from sqlalchemy import (
    JSON, BigInteger, Boolean, CheckConstraint, Column, Date, ForeignKey, Index, Integer, MetaData, String, Table,
    UniqueConstraint, text,
)
from sqlalchemy.orm import registry

from portico_kernel.access_model import access_table
from portico_kernel.db import UtcDateTime, messaging_tables

from ..domain.model import BillingAccount
from ..domain.payments import Payment
from ..domain.prepaid import PrepaidMovement
from ..domain.quotes import Quote

metadata = MetaData()
mapper_registry = registry(metadata=metadata)
outbox, inbox = messaging_tables(metadata)
member_access = access_table(metadata)  # BI-15: who holds the `accounting` right (orgs' MemberAccessChanged)

# The account, and what billing knows of its organization from orgs' events (OR-14): what an invoice
# must name of the customer (EU VAT directive art. 226, Swiss VAT act art. 26).
billing_accounts = Table(
    "billing_accounts", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("balance_minor", BigInteger, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("name", String(200), nullable=True),
    Column("org_type", String(20), nullable=True),
    Column("country", String(2), nullable=True),
    Column("street", String(200), nullable=True),
    Column("house_number", String(20), nullable=True),
    Column("postcode", String(20), nullable=True),
    Column("town", String(100), nullable=True),
    Column("vat_id", String(40), nullable=True),
    CheckConstraint("balance_minor >= 0", name="ck_billing_accounts_balance_not_negative"),  # BI-10
)

# One row per series (currency and year): the last number given. Taken under a row lock in the
# transaction that writes the invoice, so numbers run without gaps or repeats (BI-06).
invoice_series = Table(
    "invoice_series", metadata,
    Column("series", String(20), primary_key=True),
    Column("last_sequence", Integer, nullable=False),
)

invoices = Table(
    "invoices", metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("org_id", String(36), nullable=False),
    Column("kind", String(20), nullable=False),  # invoice, credit_note
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("vat_rate", String(20), nullable=False),  # per cent, as an exact fraction ("81/10")
    Column("reverse_charge", Boolean, nullable=False),
    Column("notes", JSON, nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    Column("vat_minor", BigInteger, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False),
    Column("credit_note_of", String(40), nullable=True),
    Column("customer", JSON, nullable=False),  # as the customer was when it was issued
    Column("supplier", JSON, nullable=False),
    Column("reference", String(120), nullable=True),  # what it bills once only, e.g. "ticket:<id>"
    Column("payment_reference", String(40), nullable=True),  # what a transfer paying it carries
    UniqueConstraint("org_id", "reference", name="uq_invoices_org_reference"),
    UniqueConstraint("payment_reference", name="uq_invoices_payment_reference"),
    Index("ix_invoices_org_issued", "org_id", "issued_at", "id"),
)

invoice_lines = Table(
    "invoice_lines", metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("description", String(300), nullable=False),
    Column("net_minor", BigInteger, nullable=False),
    Column("vat_rate", String(20), nullable=False),
    Column("product_id", String(60), nullable=True),
    Column("subscription_id", String(36), nullable=True),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("product_id", String(60), nullable=False),
    Column("plan_id", String(60), nullable=False),
    Column("frequency", String(10), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("add_on_ids", JSON, nullable=False),
    Column("next_plan_id", String(60), nullable=True),
    Column("next_frequency", String(10), nullable=True),
    Column("promo_codes", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("auto_renew", Boolean, nullable=False),
    Column("trial_ends_on", Date, nullable=True),
    Column("ended_on", Date, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # BI-11: the day the current term ends, and the next term's invoice once the renewal issued it
    Column("term_ends_on", Date, nullable=True),
    Column("renewal_invoice_id", String(36), nullable=True),
    Index("ix_subscriptions_org_created", "org_id", "created_at", "id"),
    # the renewal's round finds what is due by the term's end, among the running subscriptions only
    Index("ix_subscriptions_due", "term_ends_on", "id",
          sqlite_where=text("status IN ('active', 'trial')"), postgresql_where=text("status IN ('active', 'trial')")),
)

# BI-12: voucher codes, and what support grants an organization for free.
vouchers = Table(
    "vouchers", metadata,
    Column("code", String(40), primary_key=True),
    Column("percent", Integer, nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("product_ids", JSON, nullable=False),
    Column("max_uses", Integer, nullable=True),
    Column("uses", Integer, nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_until", Date, nullable=True),
    Column("created_by", String(36), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

free_options = Table(
    "free_options", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False, index=True),
    Column("product_id", String(60), nullable=False),
    Column("add_on_id", String(60), nullable=False),
    Column("granted_by", String(36), nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("used_on", String(36), nullable=True),  # the subscription it went to
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

# BI-07: quotes ("my offers"), with the products they offer and the prices as offered.
quotes = Table(
    "quotes", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("number", String(40), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("items", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("vat_rate", String(20), nullable=False),
    Column("reverse_charge", Boolean, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(36), nullable=False),
    Column("customer", JSON, nullable=False),
    Column("supplier", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decided_by", String(36), nullable=True),
    Column("invoice_id", String(36), nullable=True),
    Column("notes", JSON, nullable=False),
    Index("ix_quotes_org", "org_id", "created_at", "id"),
)

# BI-06: how an open invoice is to be paid, as the customer last chose (bank transfer until then).
invoice_payment_methods = Table(
    "invoice_payment_methods", metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id"), primary_key=True),
    Column("method", String(20), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("changed_by", String(36), nullable=True),
)

mapper_registry.map_imperatively(BillingAccount, billing_accounts)
mapper_registry.map_imperatively(Payment, payments)
mapper_registry.map_imperatively(PrepaidMovement, prepaid_movements)
mapper_registry.map_imperatively(Quote, quotes)

# The ledger (domain/ledger.py): every movement of money is a posting whose entries sum to zero.
ledger_postings = Table(
    "ledger_postings", metadata,
    Column("id", String(36), primary_key=True),
    Column("reason", String(200), nullable=False),
    Column("invoice_id", String(36), nullable=True, index=True),
    Column("posted_at", UtcDateTime, nullable=False),
)

ledger_entries = Table(
    "ledger_entries", metadata,
    Column("posting_id", String(36), ForeignKey("ledger_postings.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("account", String(80), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),  # positive: debit; negative: credit
    Column("currency", String(3), nullable=False),
    Index("ix_ledger_entries_account", "account", "currency"),
)
