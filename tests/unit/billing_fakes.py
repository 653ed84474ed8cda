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


class FakeDunning:
    """Dunning's records (adapters/dunning_repository.py): steps per (invoice, level), and holds."""

    def __init__(self, invoices: FakeInvoices | None = None):
        self.invoices = invoices
        self.steps: dict[tuple[str, int], object] = {}
        self.holds: dict[tuple[str, str], bool] = {}  # (invoice, subscription) -> released

    def overdue(self, due_before, suspension_level):
        found = []
        for document in sorted(self.invoices.documents.values(), key=lambda d: (d.invoice.due_on, d.invoice.id)):
            invoice = document.invoice
            if (document.kind == "invoice" and invoice.status in ("open", "partially_paid")
                    and invoice.due_on <= due_before and (invoice.id, suspension_level) not in self.steps):
                found.append((invoice.id, invoice.due_on, self.steps_of(invoice.id),
                              any(ref[1] for ref in document.line_refs)))
        return found

    def steps_of(self, invoice_id):
        return {level: on for (invoice, level), on in self.steps.items() if invoice == invoice_id}

    def take(self, invoice_id, level, at, suspend_on) -> bool:
        if (invoice_id, level) in self.steps:
            return False
        self.steps[(invoice_id, level)] = suspend_on
        return True

    def hold(self, invoice_id, subscription_id, at) -> None:
        self.holds[(invoice_id, subscription_id)] = False

    def held_by(self, invoice_id):
        return sorted(s for (i, s), released in self.holds.items() if i == invoice_id and not released)

    def release(self, invoice_id, at) -> None:
        for key in self.holds:
            if key[0] == invoice_id:
                self.holds[key] = True

    def holders(self, subscription_id):
        return [i for (i, s), released in self.holds.items() if s == subscription_id and not released]
