"""SEPA direct debit's repositories (BI-08): mandates, the collections of invoices and the exports
that carried them to the bank (domain/direct_debit.py)."""
from __future__ import annotations

from sqlalchemy import and_, bindparam, exists, func, insert, literal_column, select, text, update
from sqlalchemy.exc import IntegrityError

from portico_kernel.db import fetch_page, is_postgres
from portico_kernel.errors import Conflict
from portico_kernel.paging import PageRequest

from ..domain.direct_debit import ACTIVE, Collection, Export, File, Mandate
from ..domain.direct_debit_method import SEPA_DIRECT_DEBIT
from ..domain.invoices import OPEN, PARTIALLY_PAID
from .orm import (
    direct_debit_collections, direct_debit_exports, direct_debit_files, invoice_payment_methods, invoices,
    sepa_mandates,
)

_OF_ORG = select(Mandate).where(Mandate.org_id == bindparam("org_id"))
_EXPORT_LOCK = 0x5E9A0008  # the advisory lock exports take, one after another (PostgreSQL)


class Mandates:
    def __init__(self, session):
        self.session = session

    def add(self, mandate: Mandate) -> None:
        self.session.add(mandate)
        try:
            self.session.flush()
        except IntegrityError:  # a registration of the same organization at the same moment
            raise Conflict("Another mandate of this organization was registered at the same moment; "
                           "look at its mandates and try again.", problem="mandate-changed") from None

    def get(self, mandate_id: str) -> Mandate | None:
        return self.session.get(Mandate, mandate_id)

    def active_of(self, org_id: str) -> Mandate | None:
        return self.session.scalars(select(Mandate).where(Mandate.org_id == org_id, Mandate.status == ACTIVE)).first()

    def of_org(self, org_id: str, page: PageRequest):
        """Newest first."""
        return fetch_page(self.session, _OF_ORG, (Mandate.created_at, Mandate.id), page, params={"org_id": org_id},
                          descending=True)

    def uncollected_back_to_transfer(self, org_id: str, at, by: str | None) -> None:
        """The organization's unpaid invoices waiting for a direct debit are to be paid by transfer."""
        unpaid = select(invoices.c.id).where(invoices.c.org_id == org_id,
                                             invoices.c.status.in_((OPEN, PARTIALLY_PAID)))
        self.session.execute(update(invoice_payment_methods).where(
            invoice_payment_methods.c.method == SEPA_DIRECT_DEBIT, invoice_payment_methods.c.invoice_id.in_(unpaid))
            .values(method="bank_transfer", changed_at=at, changed_by=by))


class Collections:
    def __init__(self, session):
        self.session = session

    def lock_for_export(self) -> None:
        """Until the transaction ends no other export runs (SQLite: the writer holds the database's
        write lock already)."""
        if is_postgres(self.session.get_bind()):
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _EXPORT_LOCK})

    def due(self, currency: str, limit: int) -> list[str]:
        """Unpaid invoices to be paid by direct debit, of organizations with an active mandate, not
        collected yet: oldest first."""
        query = (select(invoices.c.id)
                 .join(invoice_payment_methods, invoice_payment_methods.c.invoice_id == invoices.c.id)
                 .where(invoice_payment_methods.c.method == SEPA_DIRECT_DEBIT, invoices.c.kind == "invoice",
                        invoices.c.currency == currency, invoices.c.status.in_((OPEN, PARTIALLY_PAID)),
                        exists().where(and_(sepa_mandates.c.org_id == invoices.c.org_id,
                                            sepa_mandates.c.status == ACTIVE)),
                        ~exists().where(direct_debit_collections.c.invoice_id == invoices.c.id))
                 .order_by(invoices.c.issued_at, invoices.c.id).limit(limit))
        return list(self.session.scalars(query))

    def of_invoice(self, invoice_id: str) -> Collection | None:
        row = self.session.execute(select(direct_debit_collections)
                                   .where(direct_debit_collections.c.invoice_id == invoice_id)).first()
        return _collection(row) if row else None

    def by_end_to_end_id(self, end_to_end_id: str) -> Collection | None:
        """The collection a bank statement names (its EndToEndId: the invoice's payment reference)."""
        row = self.session.execute(select(direct_debit_collections)
                                   .where(direct_debit_collections.c.end_to_end_id == end_to_end_id)).first()
        return _collection(row) if row else None

    def count_of_mandate(self, mandate_id: str) -> int:
        return self.session.execute(select(func.count()).select_from(direct_debit_collections)
                                    .where(direct_debit_collections.c.mandate_id == mandate_id)).scalar_one()

    def add_export(self, export: Export) -> None:
        self.session.execute(insert(direct_debit_exports).values(
            id=export.id, created_at=export.created_at, created_by=export.created_by, count=export.count,
            total_minor=export.total_minor, currency=export.currency))
        self.session.execute(insert(direct_debit_files), [
            {"export_id": export.id, "scheme": f.scheme, "message_id": f.message_id, "count": f.count,
             "total_minor": f.total_minor, "content": f.content} for f in export.files])
        try:
            self.session.execute(insert(direct_debit_collections), [
                {"id": c.id, "export_id": c.export_id, "invoice_id": c.invoice_id, "org_id": c.org_id,
                 "mandate_id": c.mandate_id, "scheme": c.scheme, "sequence_type": c.sequence_type,
                 "amount_minor": c.amount_minor, "currency": c.currency, "collection_date": c.collection_date,
                 "end_to_end_id": c.end_to_end_id} for c in export.collections])
        except IntegrityError:  # an invoice collected meanwhile: nothing of this export is kept
            raise Conflict("Another export collected some of these invoices at the same moment; export again.",
                           problem="export-changed") from None

    def exports(self, page: PageRequest):
        found = fetch_page(self.session, select(direct_debit_exports),
                           (direct_debit_exports.c.created_at, direct_debit_exports.c.id), page, descending=True,
                           scalars=False, key=lambda row: (row.created_at, row.id))
        return found.map(lambda row: self._export(row, with_collections=False))

    def export(self, export_id: str) -> Export | None:
        row = self.session.execute(select(direct_debit_exports).where(direct_debit_exports.c.id == export_id)).first()
        return self._export(row, with_collections=True) if row else None

    def _export(self, row, *, with_collections: bool) -> Export:
        f = direct_debit_files.c
        content = f.content if with_collections else literal_column("''").label("content")  # a listing: no content
        files = self.session.execute(select(f.scheme, f.message_id, f.count, f.total_minor, content)
                                     .where(f.export_id == row.id).order_by(f.scheme)).all()
        collections = ()
        if with_collections:
            collections = tuple(_collection(c) for c in self.session.execute(
                select(direct_debit_collections).where(direct_debit_collections.c.export_id == row.id)
                .order_by(direct_debit_collections.c.collection_date, direct_debit_collections.c.id)))
        return Export(row.id, row.created_at, row.created_by, row.count, row.total_minor, row.currency,
                      tuple(File(f.scheme, f.message_id, f.content, f.count, f.total_minor) for f in files),
                      collections)


def _collection(row) -> Collection:
    return Collection(row.id, row.export_id, row.invoice_id, row.org_id, row.mandate_id, row.scheme,
                      row.sequence_type, row.amount_minor, row.currency, row.collection_date, row.end_to_end_id)
