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
    Column("language", String(5), nullable=True),
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

# Dunning (domain/dunning.py): each step an unpaid invoice took, once per level (a reminder, or the
# suspension after the last one), and which invoice keeps which subscription suspended until paid.
dunning_steps = Table(
    "dunning_steps", metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id"), primary_key=True),
    Column("level", Integer, primary_key=True),
    Column("taken_at", UtcDateTime, nullable=False),
    Column("suspend_on", Date, nullable=True),  # what the reminder announced
)

suspension_holds = Table(
    "suspension_holds", metadata,
    Column("invoice_id", String(36), ForeignKey("invoices.id"), primary_key=True),
    Column("subscription_id", String(36), primary_key=True),
    Column("held_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime, nullable=True),
    Index("ix_suspension_holds_subscription", "subscription_id", "released_at"),
)

# the scheduler looks for unpaid invoices past their due date every round
Index("ix_invoices_unpaid_due", invoices.c.status, invoices.c.due_on)

# Bank statements (BI-06, BI-08, domain/bank_statements.py): each imported file once (its message
# id and the hash of its bytes), each entry once whichever file reports it (the bank's reference).
bank_statements = Table(
    "bank_statements", metadata,
    Column("id", String(36), primary_key=True),
    Column("message_id", String(35), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("version", String(20), nullable=False),
    Column("file_name", String(200), nullable=True),
    Column("account_iban", String(34), nullable=True),
    Column("imported_at", UtcDateTime, nullable=False),
    Column("imported_by", String(36), nullable=False),
    Column("entry_count", Integer, nullable=False),
    Column("new_count", Integer, nullable=False),
    Column("matched_count", Integer, nullable=False),
    Column("unmatched_count", Integer, nullable=False),
    Column("ignored_count", Integer, nullable=False),
    Column("not_booked_count", Integer, nullable=False),
    Column("known_entries", JSON, nullable=False),
    UniqueConstraint("message_id", "content_hash", name="uq_bank_statements_file"),
    Index("ix_bank_statements_imported", "imported_at", "id"),
)

bank_entries = Table(
    "bank_entries", metadata,
    Column("id", String(36), primary_key=True),
    Column("entry_key", String(140), nullable=False),
    Column("statement_id", String(36), ForeignKey("bank_statements.id"), nullable=False),
    Column("direction", String(6), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("booked_on", Date, nullable=True),
    Column("reference", String(40), nullable=True),
    Column("remittance_text", String(500), nullable=False),
    Column("end_to_end_id", String(35), nullable=True),
    Column("return_code", String(4), nullable=True),
    Column("return_reason", String(300), nullable=False),
    Column("debtor_name", String(140), nullable=True),
    Column("status", String(10), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("note", String(300), nullable=False),
    Column("org_id", String(36), nullable=True),
    Column("invoice_id", String(36), nullable=True),
    Column("to_invoice_minor", BigInteger, nullable=False),
    Column("to_prepaid_minor", BigInteger, nullable=False),
    Column("matched_at", UtcDateTime, nullable=True),
    Column("matched_by", String(36), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("position", Integer, nullable=False),  # its place in the file that brought it
    UniqueConstraint("entry_key", name="uq_bank_entries_key"),
    Index("ix_bank_entries_statement", "statement_id", "created_at", "position", "id"),
    Index("ix_bank_entries_status", "status", "created_at", "position", "id"),
)

# --- SEPA direct debit (BI-08, domain/direct_debit.py) ------------------------------------------------
from sqlalchemy import Text  # noqa: E402 - kept with the tables of this block
from ..domain.direct_debit import Mandate  # noqa: E402

# Mandates: one active per organization (the partial unique index), a new one replaces it.
sepa_mandates = Table(
    "sepa_mandates", metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("reference", String(35), nullable=False, unique=True),
    Column("account_holder", String(70), nullable=False),
    Column("iban", String(34), nullable=False),
    Column("bic", String(11), nullable=True),
    Column("scheme", String(4), nullable=False),  # CORE, B2B
    Column("signed_on", Date, nullable=False),
    Column("status", String(10), nullable=False),  # active, revoked, replaced
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(36), nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    Index("ix_sepa_mandates_org", "org_id", "created_at", "id"),
    Index("uq_sepa_mandates_active_org", "org_id", unique=True,
          sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
)

# A file of collections as handed to the bank, kept to be downloaded again.
direct_debit_exports = Table(
    "direct_debit_exports", metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(36), nullable=True),
    Column("count", Integer, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Index("ix_direct_debit_exports_created", "created_at", "id"),
)

direct_debit_files = Table(
    "direct_debit_files", metadata,
    Column("export_id", String(36), ForeignKey("direct_debit_exports.id"), primary_key=True),
    Column("scheme", String(4), primary_key=True),  # EPC: CORE and B2B never in one message
    Column("message_id", String(35), nullable=False),
    Column("count", Integer, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("content", Text, nullable=False),
)

# Each invoice collected once, whatever exports run at once or again: unique by invoice.
direct_debit_collections = Table(
    "direct_debit_collections", metadata,
    Column("id", String(36), primary_key=True),
    Column("export_id", String(36), ForeignKey("direct_debit_exports.id"), nullable=False),
    Column("invoice_id", String(36), ForeignKey("invoices.id"), nullable=False, unique=True),
    Column("org_id", String(36), nullable=False),
    Column("mandate_id", String(36), ForeignKey("sepa_mandates.id"), nullable=False),
    Column("scheme", String(4), nullable=False),
    Column("sequence_type", String(4), nullable=False),  # FRST, RCUR
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("collection_date", Date, nullable=False),
    Column("end_to_end_id", String(35), nullable=False),  # the invoice's payment reference
    Index("ix_direct_debit_collections_mandate", "mandate_id"),
    Index("ix_direct_debit_collections_export", "export_id"),
    Index("ix_direct_debit_collections_end_to_end", "end_to_end_id"),
)

mapper_registry.map_imperatively(Mandate, sepa_mandates)
