"""In-memory fakes of billing's repositories, for the unit tier (beside fakes.py)."""
from __future__ import annotations

from datetime import date

from services.billing.domain.issuing import Document


class FakeMemberAccess:
    """What orgs said each member may do (MemberAccessChanged), by organization and member."""

    def __init__(self):
        self.grants: dict[tuple[str, str], list[dict]] = {}

    def get(self, org_id: str, user_id: str):
        return self.grants.get((org_id, user_id))

    def set(self, org_id: str, user_id: str, grants: list[dict], at=None) -> None:
        self.grants[(org_id, user_id)] = grants


class FakeInvoices:
    """Invoices and the counters of their series; a rolled-back transaction is `rollback()`."""

    def __init__(self):
        self.series: dict[str, int] = {}
        self.documents: dict[str, Document] = {}
        self._committed: tuple[dict, dict] = ({}, {})

    def next_sequence(self, series: str) -> int:
        self.series[series] = self.series.get(series, 0) + 1
        return self.series[series]

    def add(self, document: Document) -> None:
        self.documents[document.invoice.id] = document

    def save_status(self, invoice) -> None:
        from dataclasses import replace
        self.documents[invoice.id] = replace(self.documents[invoice.id], invoice=invoice)

    def get(self, invoice_id: str):
        return self.documents.get(invoice_id)

    def by_reference(self, org_id: str, reference: str):
        return next((d for d in self.documents.values() if d.invoice.org_id == org_id and d.reference == reference), None)

    def any_of(self, org_id: str) -> bool:
        return any(d.invoice.org_id == org_id for d in self.documents.values())

    def commit(self) -> None:
        self._committed = (dict(self.series), dict(self.documents))

    def rollback(self) -> None:
        self.series, self.documents = dict(self._committed[0]), dict(self._committed[1])


def today(clock) -> date:
    return clock.now().date()
