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

    def by_payment_reference(self, payment_reference: str):
        return next((d for d in self.documents.values() if d.payment_reference == payment_reference), None)

    def unpaid_count(self, org_id: str) -> int:
        return sum(1 for d in self.documents.values() if d.invoice.org_id == org_id and d.kind == "invoice"
                   and d.invoice.status in ("open", "partially_paid"))

    def any_of(self, org_id: str) -> bool:
        return any(d.invoice.org_id == org_id for d in self.documents.values())

    def commit(self) -> None:
        self._committed = (dict(self.series), dict(self.documents))

    def rollback(self) -> None:
        self.series, self.documents = dict(self._committed[0]), dict(self._committed[1])


def today(clock) -> date:
    return clock.now().date()


class FakeLedger:
    def __init__(self):
        self.postings = []

    def post(self, posting, invoice_id=None) -> None:
        self.postings.append(posting)

    def trial_balance(self) -> dict[str, int]:
        sums: dict[str, int] = {}
        for posting in self.postings:
            for entry in posting.entries:
                sums[entry.amount.currency] = sums.get(entry.amount.currency, 0) + entry.amount.minor
        return sums


class FakeVouchers:
    def __init__(self, *vouchers):
        self.rows = {v.code: v for v in vouchers}

    def get(self, code: str):
        return self.rows.get(code.upper())

    def use(self, code: str) -> bool:
        from dataclasses import replace
        voucher = self.rows[code]
        if voucher.max_uses is not None and voucher.uses >= voucher.max_uses:
            return False
        self.rows[code] = replace(voucher, uses=voucher.uses + 1)
        return True


class FakeFreeOptions:
    def __init__(self, *options):
        self.rows = list(options)

    def unused_of(self, org_id: str):
        return [o for o in self.rows if o.org_id == org_id and o.used_on is None]

    def use(self, option_id: str, subscription_id: str) -> bool:
        from dataclasses import replace
        for index, option in enumerate(self.rows):
            if option.id == option_id and option.used_on is None:
                self.rows[index] = replace(option, used_on=subscription_id)
                return True
        return False


class FakeSubscriptions:
    def __init__(self):
        self.rows = {}

    def add(self, subscription, created_at=None) -> None:
        self.rows[subscription.id] = subscription

    def save(self, subscription) -> None:
        self.rows[subscription.id] = subscription

    def get(self, subscription_id: str, for_update: bool = False):
        return self.rows.get(subscription_id)

    def end_promo_codes(self, org_id: str) -> None:
        from dataclasses import replace

        self.rows = {id: replace(s, promo_codes=()) if s.org_id == org_id else s for id, s in self.rows.items()}
