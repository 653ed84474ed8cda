"""Billing's repositories: how its aggregates are found and kept.

Invoices and subscriptions are the domain's frozen records (domain/invoices.py, subscriptions.py);
they are written and read here by their tables' columns.
"""
from __future__ import annotations

from datetime import datetime, timezone
from fractions import Fraction

from sqlalchemy import and_, bindparam, func, insert, or_, select, text, tuple_, update

from portico_kernel.db import fetch_page, in_period, is_postgres, upsert
from portico_kernel.paging import EVER, Page, PageRequest, Period

from ..domain.invoices import Invoice, InvoiceLine
from ..domain.ledger import Posting
from ..domain.issuing import Document
from ..domain.model import BillingAccount
from ..domain.money import Money
from ..domain.periods import Frequency
from ..domain.subscriptions import Subscription
from ..domain.vat import Treatment
from ..domain.vouchers import FreeOption, Voucher
from .orm import (
    free_options, invoice_lines, invoice_series, invoices, ledger_entries, ledger_postings, subscriptions, vouchers,
)


class BillingAccounts:
    def __init__(self, session):
        self.session = session

    def add(self, account: BillingAccount) -> None:
        self.session.add(account)

    def of_org(self, org_id: str) -> BillingAccount | None:
        return self.session.scalars(select(BillingAccount).where(BillingAccount.org_id == org_id)).first()

    def locked_of_org(self, org_id: str) -> BillingAccount | None:
        """The account, its row locked until the transaction ends: one change of the balance at a time."""
        return self.session.scalars(select(BillingAccount).where(BillingAccount.org_id == org_id)
                                    .with_for_update().execution_options(populate_existing=True)).first()

    def locked_of_orgs(self, org_ids) -> dict[str, BillingAccount]:
        """Several accounts, their rows locked in the order of their organizations (two runs that
        lock some of the same never wait for each other crosswise)."""
        found = {}
        ordered = sorted(set(org_ids))
        for start in range(0, len(ordered), 1000):
            found.update((a.org_id, a) for a in self.session.scalars(
                select(BillingAccount).where(BillingAccount.org_id.in_(ordered[start:start + 1000]))
                .order_by(BillingAccount.org_id).with_for_update().execution_options(populate_existing=True)))
        return found

    def balances(self) -> dict[tuple[str, str], int]:
        """Every account's prepaid balance, by (organization, currency)."""
        rows = self.session.execute(select(BillingAccount.org_id, BillingAccount.currency, BillingAccount.balance_minor))
        return {(org, currency): balance for org, currency, balance in rows}


def _rate(text: str) -> Fraction:
    return Fraction(text)


_INVOICES_OF_ORG = select(invoices).where(invoices.c.org_id == bindparam("org_id"))


class Invoices:
    def __init__(self, session):
        self.session = session

    def next_sequence(self, series: str) -> int:
        """The next number of a series, under the lock of its counter row until the transaction ends:
        a concurrent invoice of the series waits, a rolled-back one gives its number back."""
        locked = select(invoice_series.c.last_sequence).where(invoice_series.c.series == series)
        if is_postgres(self.session.get_bind()):  # SQLite: the writer holds the write lock already (BEGIN IMMEDIATE)
            locked = locked.with_for_update()
        self.session.execute(upsert(self.session, invoice_series).values(series=series, last_sequence=0)
                             .on_conflict_do_nothing(index_elements=["series"]))
        last = self.session.execute(locked).scalar_one()
        self.session.execute(update(invoice_series).where(invoice_series.c.series == series)
                             .values(last_sequence=last + 1))
        return last + 1

    def add(self, document: Document) -> None:
        self.add_all([document])

    def add_all(self, documents: list[Document]) -> None:
        """Several issued documents in two statements (the renewal's batches)."""
        if not documents:
            return
        self.session.execute(insert(invoices), [self._row(d) for d in documents])
        self.session.execute(insert(invoice_lines), [
            {"invoice_id": d.invoice.id, "position": index, "description": line.description[:300],
             "net_minor": line.net.minor, "vat_rate": str(line.vat_rate), "product_id": ref[0], "subscription_id": ref[1]}
            for d in documents for index, (line, ref) in enumerate(zip(d.invoice.lines, d.line_refs), start=1)])

    def invoiced_references(self, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Of the (organization, reference) pairs, those invoiced already, with their invoice's id."""
        found: dict[tuple[str, str], str] = {}
        pairs = sorted(set(wanted))
        for start in range(0, len(pairs), 1000):
            chunk = pairs[start:start + 1000]
            # by the pairs themselves: each a lookup in the (organization, reference) unique index
            rows = self.session.execute(select(invoices.c.org_id, invoices.c.reference, invoices.c.id).where(
                tuple_(invoices.c.org_id, invoices.c.reference).in_(chunk)))
            found.update(((org, ref), id) for org, ref, id in rows)
        return found

    def unpaid_counts(self, org_ids) -> dict[str, int]:
        """OR-15: per organization, its invoices still open or partly paid."""
        counts = {org: 0 for org in org_ids}
        ordered = sorted(counts)
        for start in range(0, len(ordered), 1000):
            counts.update(self.session.execute(select(invoices.c.org_id, func.count()).where(
                invoices.c.org_id.in_(ordered[start:start + 1000]), invoices.c.kind == "invoice",
                invoices.c.status.in_(("open", "partially_paid"))).group_by(invoices.c.org_id)).all())
        return counts

    @staticmethod
    def _row(document: Document) -> dict:
        invoice = document.invoice
        return dict(
            id=invoice.id, number=invoice.number, org_id=invoice.org_id, kind=document.kind, currency=invoice.currency,
            status=invoice.status, issued_on=invoice.issued_on, issued_at=document.issued_at, due_on=invoice.due_on,
            vat_rate=str(invoice.treatment.rate), reverse_charge=invoice.treatment.reverse_charge,
            notes=list(invoice.notes), net_minor=invoice.net.minor, vat_minor=invoice.vat.minor,
            total_minor=invoice.total.minor, paid_minor=(invoice.paid or Money.zero(invoice.currency)).minor,
            credit_note_of=invoice.credit_note_of, customer=document.customer, supplier=document.supplier,
            reference=document.reference, payment_reference=document.payment_reference)

    def save_status(self, invoice: Invoice) -> None:
        self.session.execute(update(invoices).where(invoices.c.id == invoice.id).values(
            status=invoice.status, paid_minor=(invoice.paid or Money.zero(invoice.currency)).minor))

    def get(self, invoice_id: str) -> Document | None:
        row = self.session.execute(select(invoices).where(invoices.c.id == invoice_id)).first()
        return self._document(row) if row else None

    def by_reference(self, org_id: str, reference: str) -> Document | None:
        row = self.session.execute(select(invoices).where(invoices.c.org_id == org_id,
                                                          invoices.c.reference == reference)).first()
        return self._document(row) if row else None

    def by_payment_reference(self, payment_reference: str) -> Document | None:
        row = self.session.execute(select(invoices).where(invoices.c.payment_reference == payment_reference)).first()
        return self._document(row) if row else None

    def unpaid_count(self, org_id: str) -> int:
        """OR-15: the organization's invoices still open or partly paid."""
        return self.session.execute(select(func.count()).select_from(invoices).where(
            invoices.c.org_id == org_id, invoices.c.kind == "invoice",
            invoices.c.status.in_(("open", "partially_paid")))).scalar_one()

    def any_of(self, org_id: str) -> bool:
        return self.session.execute(select(invoices.c.id).where(invoices.c.org_id == org_id).limit(1)).first() is not None

    def of_org(self, org_id: str, page: PageRequest, *, status: str | None = None, period: Period = EVER) -> Page[Document]:
        query = in_period(_INVOICES_OF_ORG, invoices.c.issued_at, period)
        if status is not None:
            query = query.where(invoices.c.status == status)
        found = fetch_page(self.session, query, (invoices.c.issued_at, invoices.c.id), page, params={"org_id": org_id},
                           descending=True, scalars=False, key=lambda row: (row.issued_at, row.id))
        return found.map(self._document)

    def numbers(self, series: str) -> list[str]:
        return list(self.session.scalars(select(invoices.c.number).where(invoices.c.number.like(f"{series}-%"))))

    def _document(self, row) -> Document:
        lines = self.session.execute(select(invoice_lines).where(invoice_lines.c.invoice_id == row.id)
                                     .order_by(invoice_lines.c.position)).all()
        invoice = Invoice(
            id=row.id, number=row.number, org_id=row.org_id, currency=row.currency,
            lines=tuple(InvoiceLine(line.description, Money(line.net_minor, row.currency), _rate(line.vat_rate))
                        for line in lines),
            issued_on=row.issued_on, due_on=row.due_on,
            treatment=Treatment(_rate(row.vat_rate), row.reverse_charge, (row.notes or [""])[0] if row.notes else ""),
            status=row.status, paid=Money(row.paid_minor, row.currency), credit_note_of=row.credit_note_of,
            notes=tuple(row.notes or ()))
        return Document(invoice, row.kind, row.issued_at, row.customer, row.supplier,
                        tuple((line.product_id, line.subscription_id) for line in lines), row.reference,
                        row.payment_reference)


def _subscription(row) -> Subscription:
    return Subscription(
        id=row.id, org_id=row.org_id, product_id=row.product_id, plan_id=row.plan_id,
        frequency=Frequency[row.frequency.upper()], started_on=row.started_on, add_on_ids=frozenset(row.add_on_ids or ()),
        next_plan_id=row.next_plan_id, promo_codes=tuple(row.promo_codes or ()), status=row.status,
        auto_renew=row.auto_renew, trial_ends_on=row.trial_ends_on, ended_on=row.ended_on,
        next_frequency=Frequency[row.next_frequency.upper()] if row.next_frequency else None,
        term_ends_on=row.term_ends_on, renewal_invoice_id=row.renewal_invoice_id)


def _subscription_values(s: Subscription) -> dict:
    return {"org_id": s.org_id, "product_id": s.product_id, "plan_id": s.plan_id, "frequency": s.frequency.name.lower(),
            "started_on": s.started_on, "add_on_ids": sorted(s.add_on_ids), "next_plan_id": s.next_plan_id,
            "next_frequency": s.next_frequency.name.lower() if s.next_frequency else None,
            "promo_codes": list(s.promo_codes), "status": s.status, "auto_renew": s.auto_renew,
            "trial_ends_on": s.trial_ends_on, "ended_on": s.ended_on,
            "term_ends_on": s.term_end() if s.status in RUNNING else s.term_ends_on,
            "renewal_invoice_id": s.renewal_invoice_id}


RUNNING = ("active", "trial")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # a copied row's creation time, which the update leaves alone


_SUBSCRIPTIONS_OF_ORG = select(subscriptions).where(subscriptions.c.org_id == bindparam("org_id"))


class Subscriptions:
    def __init__(self, session):
        self.session = session

    def add(self, subscription: Subscription, created_at) -> None:
        self.session.execute(insert(subscriptions).values(id=subscription.id, created_at=created_at,
                                                          **_subscription_values(subscription)))

    def save(self, subscription: Subscription) -> None:
        self.session.execute(update(subscriptions).where(subscriptions.c.id == subscription.id)
                             .values(**_subscription_values(subscription)))

    def save_all(self, changed: list[Subscription]) -> None:
        """Many at once (the renewal's batches): on PostgreSQL copied into a scratch table and
        written by one UPDATE; elsewhere one statement run for each."""
        if not changed:
            return
        values = [{"key": s.id, **_subscription_values(s)} for s in changed]
        if not is_postgres(self.session.get_bind()):
            self.session.execute(update(subscriptions).where(subscriptions.c.id == bindparam("key"))
                                 .values({name: bindparam(name) for name in values[0] if name != "key"}), values)
            return
        import json

        names = [name for name in values[0] if name != "key"]
        as_json = {"add_on_ids", "promo_codes"}
        self.session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS subscriptions_saved "
                                  "(LIKE subscriptions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"))
        cursor = self.session.connection().connection.driver_connection.cursor()
        with cursor.copy(f"COPY subscriptions_saved (id, {', '.join(names)}, created_at) FROM STDIN") as copy:
            for row in values:
                copy.write_row([row["key"], *(json.dumps(row[n]) if n in as_json else row[n] for n in names),
                                _EPOCH])
        self.session.execute(text(f"UPDATE subscriptions SET {', '.join(f'{n} = s.{n}' for n in names)} "
                                  "FROM subscriptions_saved s WHERE subscriptions.id = s.id"))

    def claim_due(self, today, horizon, after: tuple | None, limit: int) -> list[Subscription]:
        """BI-11: running subscriptions whose term ends by `horizon` with something to do (a renewal to
        invoice, or a term that ended by `today`), by the day their term ends, after `after` (their
        day and id). On PostgreSQL their rows are locked and rows another run holds are skipped;
        SQLite lets one writer at a time."""
        query = (select(subscriptions)
                 .where(subscriptions.c.status.in_(RUNNING), subscriptions.c.term_ends_on <= horizon,
                        or_(subscriptions.c.term_ends_on <= today,
                            and_(subscriptions.c.status == "active", subscriptions.c.auto_renew.is_(True),
                                 subscriptions.c.renewal_invoice_id.is_(None))))
                 .order_by(subscriptions.c.term_ends_on, subscriptions.c.id).limit(limit))
        if after is not None:
            query = query.where(tuple_(subscriptions.c.term_ends_on, subscriptions.c.id) > tuple_(*after))
        if is_postgres(self.session.get_bind()):
            query = query.with_for_update(skip_locked=True)
        return [_subscription(row) for row in self.session.execute(query)]

    def end_promo_codes(self, org_id: str) -> None:
        """BI-03: the promo codes of every subscription of the organization's account end."""
        self.session.execute(update(subscriptions).where(subscriptions.c.org_id == org_id).values(promo_codes=[]))

    def get(self, subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        if for_update and is_postgres(self.session.get_bind()):
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return _subscription(row) if row else None

    def of_org(self, org_id: str, page: PageRequest, *, status: str | None = None,
               period: Period = EVER) -> Page[tuple[Subscription, object]]:
        query = in_period(_SUBSCRIPTIONS_OF_ORG, subscriptions.c.created_at, period)
        if status is not None:
            query = query.where(subscriptions.c.status == status)
        found = fetch_page(self.session, query, (subscriptions.c.created_at, subscriptions.c.id), page,
                           params={"org_id": org_id}, scalars=False, key=lambda row: (row.created_at, row.id))
        return found.map(lambda row: (_subscription(row), row.created_at))


def _voucher(row) -> Voucher:
    amount = Money(row.amount_minor, row.currency) if row.amount_minor is not None else None
    return Voucher(code=row.code, percent=row.percent, amount=amount, product_ids=tuple(row.product_ids or ()),
                   max_uses=row.max_uses, uses=row.uses, valid_from=row.valid_from, valid_until=row.valid_until)


class Vouchers:
    def __init__(self, session):
        self.session = session

    def add(self, voucher: Voucher, created_by: str, created_at) -> None:
        self.session.execute(insert(vouchers).values(
            code=voucher.code, percent=voucher.percent, amount_minor=voucher.amount.minor if voucher.amount else None,
            currency=voucher.amount.currency if voucher.amount else None, product_ids=list(voucher.product_ids),
            max_uses=voucher.max_uses, uses=0, valid_from=voucher.valid_from, valid_until=voucher.valid_until,
            created_by=created_by, created_at=created_at))

    def get(self, code: str) -> Voucher | None:
        row = self.session.execute(select(vouchers).where(func.upper(vouchers.c.code) == code.upper())).first()
        return _voucher(row) if row else None

    def use(self, code: str) -> bool:
        """One more use, unless it is used up: one statement, so parallel orders cannot overuse it."""
        done = self.session.execute(update(vouchers).where(
            vouchers.c.code == code, or_(vouchers.c.max_uses.is_(None), vouchers.c.uses < vouchers.c.max_uses))
            .values(uses=vouchers.c.uses + 1))
        return done.rowcount == 1

    def page(self, page: PageRequest, period: Period = EVER) -> Page[Voucher]:
        found = fetch_page(self.session, in_period(select(vouchers), vouchers.c.created_at, period),
                           (vouchers.c.created_at, vouchers.c.code), page,
                           descending=True, scalars=False, key=lambda row: (row.created_at, row.code))
        return found.map(_voucher)


def _free_option(row) -> FreeOption:
    return FreeOption(id=row.id, org_id=row.org_id, product_id=row.product_id, add_on_id=row.add_on_id,
                      granted_by=row.granted_by, granted_at=row.granted_at, used_on=row.used_on)


class FreeOptions:
    def __init__(self, session):
        self.session = session

    def add(self, option: FreeOption) -> None:
        self.session.execute(insert(free_options).values(
            id=option.id, org_id=option.org_id, product_id=option.product_id, add_on_id=option.add_on_id,
            granted_by=option.granted_by, granted_at=option.granted_at, used_on=None))

    def unused_of(self, org_id: str) -> list[FreeOption]:
        rows = self.session.execute(select(free_options).where(free_options.c.org_id == org_id,
                                                               free_options.c.used_on.is_(None))
                                    .order_by(free_options.c.granted_at, free_options.c.id)).all()
        return [_free_option(r) for r in rows]

    def of_org(self, org_id: str, page: PageRequest, status: str | None = None,
               period: Period = EVER) -> Page[FreeOption]:
        query = in_period(select(free_options).where(free_options.c.org_id == bindparam("org_id")),
                          free_options.c.granted_at, period)
        if status is not None:
            query = query.where(free_options.c.used_on.is_(None) if status == "unused" else free_options.c.used_on.isnot(None))
        found = fetch_page(self.session, query,
                           (free_options.c.granted_at, free_options.c.id), page, params={"org_id": org_id},
                           scalars=False, key=lambda row: (row.granted_at, row.id))
        return found.map(_free_option)

    def use(self, option_id: str, subscription_id: str) -> bool:
        done = self.session.execute(update(free_options).where(
            and_(free_options.c.id == option_id, free_options.c.used_on.is_(None))).values(used_on=subscription_id))
        return done.rowcount == 1


class LedgerPostings:
    """The ledger's postings; a posting's entries balance (domain/ledger.py refuses any other)."""

    def __init__(self, session):
        self.session = session

    def post(self, posting: Posting, invoice_id: str | None = None) -> None:
        self.post_all([(posting, invoice_id)])

    def post_all(self, postings: list[tuple[Posting, str | None]]) -> None:
        """Several postings, each with the invoice it belongs to, in two statements."""
        if not postings:
            return
        self.session.execute(insert(ledger_postings), [
            {"id": p.id, "reason": p.reason[:200], "invoice_id": invoice_id, "posted_at": p.posted_at}
            for p, invoice_id in postings])
        self.session.execute(insert(ledger_entries), [
            {"posting_id": p.id, "position": index, "account": entry.account,
             "amount_minor": entry.amount.minor, "currency": entry.amount.currency}
            for p, _ in postings for index, entry in enumerate(p.entries, start=1)])

    def balance(self, account: str, currency: str) -> Money:
        total = self.session.execute(select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0)).where(
            ledger_entries.c.account == account, ledger_entries.c.currency == currency)).scalar_one()
        return Money(int(total), currency)
