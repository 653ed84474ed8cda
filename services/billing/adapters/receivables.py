"""What organizations owe on their invoices, as paying needs it: an invoice locked while a payment of
it is written, its paid amount and state saved, what each organization still owes (the ledger's
check), and how an open invoice is to be paid (BI-06)."""
from __future__ import annotations

from sqlalchemy import func, select

from portico_kernel.db import is_postgres, upsert

from ..domain.invoices import OPEN, PARTIALLY_PAID, Invoice
from .orm import invoice_payment_methods, invoices
from .repository import Invoices

UNPAID = (OPEN, PARTIALLY_PAID)
BANK_TRANSFER = "bank_transfer"  # until the customer chooses another method


class Receivables:
    def __init__(self, session):
        self.session = session
        self.invoices = Invoices(session)

    def get(self, invoice_id: str) -> Invoice | None:
        document = self.invoices.get(invoice_id)
        return document.invoice if document else None

    def locked(self, invoice_id: str) -> Invoice | None:
        """The invoice, its row locked until the transaction ends (SQLite: the writer holds the
        database's write lock already): one payment of it is written at a time."""
        query = select(invoices).where(invoices.c.id == invoice_id)
        if is_postgres(self.session.get_bind()):
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return self.invoices._document(row).invoice if row else None

    def save(self, invoice: Invoice) -> None:
        self.invoices.save_status(invoice)

    def outstanding_by_org(self) -> dict[tuple[str, str], int]:
        rows = self.session.execute(select(invoices.c.org_id, invoices.c.currency,
                                           func.sum(invoices.c.total_minor - invoices.c.paid_minor))
                                    .where(invoices.c.status.in_(UNPAID))
                                    .group_by(invoices.c.org_id, invoices.c.currency))
        return {(org, currency): int(owed) for org, currency, owed in rows if owed}

    def payment_method(self, invoice_id: str) -> str:
        method = self.session.execute(select(invoice_payment_methods.c.method)
                                      .where(invoice_payment_methods.c.invoice_id == invoice_id)).scalar()
        return method or BANK_TRANSFER

    def set_payment_method(self, invoice_id: str, method: str, at, by: str | None) -> None:
        values = {"method": method, "changed_at": at, "changed_by": by}
        self.session.execute(upsert(self.session, invoice_payment_methods).values(invoice_id=invoice_id, **values)
                             .on_conflict_do_update(index_elements=["invoice_id"], set_=values))
