"""Renewals at a term's end (BI-11; BI-01 … BI-03, BI-09, BI-10, BI-19 taking effect then) and a domain's
renewal asked for by domains (DO-07), with in-memory fakes."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from portico_kernel.clock import FakeClock
from services.billing.adapters.catalog_file import catalog
from services.billing.domain import renewals
from services.billing.domain.events import DomainRenewalRequested, InvoicePaid, ProductRemoved
from services.billing.domain.model import BillingAccount
from services.billing.domain.periods import Frequency
from services.billing.domain.subscriptions import Subscription
from services.billing.domain.vouchers import Voucher
from tests.unit.billing_fakes import FakeDunning, FakeInvoices, FakeSubscriptions, FakeVouchers
from tests.unit.fakes import FakeUnitOfWork

ORG = "00000000-0000-4000-8000-000000000001"
M, Q, Y = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.YEARLY


class Store:
    """What the database keeps, shared by the units of work of one test (two runs see the same rows)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.subscriptions = FakeSubscriptions()
        self.invoices = FakeInvoices()
        self.accounts: dict[str, BillingAccount] = {}
        self.claimed: set[str] = set()
        self.account_locks: dict[str, threading.Lock] = {}
        self.payments, self.movements, self.postings, self.emitted = [], [], [], []


class Subscriptions:
    """Claims as PostgreSQL's FOR UPDATE SKIP LOCKED does: rows another run holds are passed over."""

    def __init__(self, store: Store, mine: set):
        self.store, self.mine = store, mine

    def claim_due(self, today, horizon, after, limit):
        with self.store.lock:
            rows = sorted(self.store.subscriptions.rows.values(), key=lambda s: (s.term_end(), s.id))
            found = []
            for s in rows:
                if s.status not in ("active", "trial") or s.id in self.store.claimed or s.term_end() > horizon:
                    continue
                if after is not None and (s.term_end(), s.id) <= after:
                    continue
                if not (s.term_end() <= today or (s.status == "active" and s.auto_renew and s.renewal_invoice_id is None)):
                    continue
                found.append(s)
                if len(found) == limit:
                    break
            self.store.claimed.update(s.id for s in found)
            self.mine.update(s.id for s in found)
            return found

    def save_all(self, changed):
        with self.store.lock:
            for s in changed:
                self.store.subscriptions.save(s)


class Invoices:
    def __init__(self, store: Store):
        self.store = store

    def __getattr__(self, name):
        method = getattr(self.store.invoices, name)

        def locked(*args, **kwargs):  # one statement at a time, as the database answers them
            with self.store.lock:
                return method(*args, **kwargs)
        return locked

    def add(self, document):
        with self.store.lock:  # the unique (organization, reference) of the table
            if document.reference and self.store.invoices.by_reference(document.invoice.org_id, document.reference):
                raise AssertionError(f"a second invoice for {document.reference}")
            self.store.invoices.add(document)

    def invoiced_references(self, wanted):
        with self.store.lock:
            return self._invoiced(wanted)

    def _invoiced(self, wanted):
        found = {}
        for org, ref in wanted:
            document = self.store.invoices.by_reference(org, ref)
            if document is not None:
                found[(org, ref)] = document.invoice.id
        return found


class Receivables:
    def __init__(self, store: Store):
        self.store = store

    def locked(self, invoice_id):
        with self.store.lock:
            document = self.store.invoices.get(invoice_id)
        return document.invoice if document else None

    def save(self, invoice):
        with self.store.lock:
            self.store.invoices.save_status(invoice)


class Accounts:
    """An account's row lock is held until the unit of work ends, as a transaction holds it."""

    def __init__(self, store: Store, held: list):
        self.store, self.held = store, held

    def of_org(self, org_id):
        return self.store.accounts.get(org_id)

    def locked_of_org(self, org_id):
        return self.locked_of_orgs([org_id]).get(org_id)

    def locked_of_orgs(self, org_ids):
        for org in sorted(set(org_ids)):
            if org in self.store.accounts and org not in [o for o, _ in self.held]:
                lock = self.store.account_locks.setdefault(org, threading.Lock())
                lock.acquire()
                self.held.append((org, lock))
        return {org: self.store.accounts[org] for org in org_ids if org in self.store.accounts}


class Appended:
    def __init__(self, rows):
        self.rows = rows

    def add(self, row):
        self.rows.append(row)  # appending to a list is atomic

    def post(self, posting, invoice_id=None):
        self.rows.append(posting)


class World:
    def __init__(self, today=date(2026, 5, 4), balance=0):
        self.store = Store()
        self.clock = FakeClock(datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc).replace(hour=9))
        self.store.accounts[ORG] = BillingAccount("acc-1", ORG, "CHF", balance_minor=balance, name="Muster GmbH",
                                                  country="CH")
        self.vouchers = FakeVouchers()
        self.catalog = catalog()

    def uow(self):
        store, mine, held = self.store, set(), []

        class Unit(FakeUnitOfWork):
            def commit(self):
                super().commit()
                with store.lock:
                    store.invoices.commit()
                    store.emitted.extend(self.emitted)
                self.emitted = []

            def __exit__(self, *exc):
                with store.lock:
                    store.claimed.difference_update(mine)
                while held:
                    held.pop()[1].release()

        uow = Unit(self.clock, subscriptions=Subscriptions(store, mine), invoices=Invoices(store),
                   receivables=Receivables(store), accounts=Accounts(store, held), vouchers=self.vouchers,
                   payments=Appended(store.payments), movements=Appended(store.movements),
                   ledger=Appended(store.postings), dunning=FakeDunning())
        uow.catalog = self.catalog
        return uow

    def subscribe(self, plan_id="web-s", *, started=date(2026, 4, 20), frequency=M, **fields) -> Subscription:
        subscription = Subscription(id=f"00000000-0000-4000-8000-{len(self.store.subscriptions.rows) + 1:012d}",
                                    org_id=ORG, product_id=fields.pop("product_id", "web-hosting"), plan_id=plan_id,
                                    frequency=frequency, started_on=started, **fields)
        self.store.subscriptions.add(subscription)
        return subscription

    def run(self) -> int:
        return renewals.renew_due(self.uow)

    def on(self, day: date):
        self.clock.set(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).replace(hour=9))

    def get(self, subscription: Subscription) -> Subscription:
        return self.store.subscriptions.get(subscription.id)

    def invoices(self):
        return sorted(self.store.invoices.documents.values(), key=lambda d: d.invoice.number)

    def events(self, kind):
        return [record for record, _ in self.store.emitted if isinstance(record, kind)]


# The rules of a term


def test_BI_11_a_term_is_renewed_within_the_lead_time_and_not_before():
    s = Subscription("s", ORG, "web-hosting", "web-s", M, date(2026, 4, 20))
    assert s.term_end() == date(2026, 5, 20)
    assert renewals.step(s, date(2026, 5, 5), 14) is None
    assert renewals.step(s, date(2026, 5, 6), 14) == renewals.INVOICE
    invoiced = replace(s, renewal_invoice_id="i")
    assert renewals.step(invoiced, date(2026, 5, 19), 14) is None
    assert renewals.step(invoiced, date(2026, 5, 20), 14) == renewals.BEGIN


def test_BI_11_with_automatic_renewal_off_the_term_ends_the_subscription():
    s = Subscription("s", ORG, "web-hosting", "web-s", M, date(2026, 4, 20), auto_renew=False)
    assert renewals.step(s, date(2026, 5, 19), 14) is None
    assert renewals.step(s, date(2026, 5, 20), 14) == renewals.END


def test_BI_19_a_trial_ends_or_becomes_the_paid_plan_chosen_for_it():
    trial = Subscription("s", ORG, "web-hosting", "web-trial", M, date(2026, 4, 1), status="trial",
                         trial_ends_on=date(2026, 5, 1))
    assert renewals.step(trial, date(2026, 4, 30), 14) is None
    assert renewals.step(trial, date(2026, 5, 1), 14) == renewals.END
    assert renewals.step(replace(trial, next_plan_id="web-m"), date(2026, 5, 1), 14) == renewals.CONVERT


def test_BI_03_BI_09_the_next_term_is_at_the_plan_and_frequency_then_in_force():
    s = Subscription("s", ORG, "web-hosting", "web-m", Y, date(2025, 1, 31), next_plan_id="web-s", next_frequency=M,
                     term_ends_on=date(2026, 1, 31))
    term = renewals.next_term(s)
    assert (term.plan_id, term.frequency, term.anchor) == ("web-s", M, date(2026, 1, 31))
    assert (term.period.start, term.period.end) == (date(2026, 1, 31), date(2026, 2, 28))


def test_BI_11_the_billing_day_stays_through_short_months():
    s = Subscription("s", ORG, "web-hosting", "web-s", M, date(2026, 1, 31), term_ends_on=date(2026, 2, 28))
    term = renewals.next_term(s)
    assert (term.period.start, term.period.end) == (date(2026, 2, 28), date(2026, 3, 31))


def test_BI_12_a_promo_code_applies_to_a_renewal_while_it_is_valid():
    on = date(2026, 5, 10)
    assert renewals.applies(Voucher("TEN", percent=10), on, "web-hosting", "CHF")
    assert not renewals.applies(Voucher("OLD", percent=10, valid_until=date(2026, 5, 9)), on, "web-hosting", "CHF")
    assert not renewals.applies(Voucher("MAIL", percent=10, product_ids=("mail",)), on, "web-hosting", "CHF")


# The round, end to end on fakes


def test_BI_11_BI_10_the_next_term_is_invoiced_once_and_paid_from_the_prepaid_balance():
    world = World(today=date(2026, 5, 4), balance=5000)
    s = world.subscribe(add_on_ids=frozenset({"daily-backup"}))
    assert world.run() == 0  # 16 days before the term's end: not yet
    world.on(date(2026, 5, 6))
    assert world.run() == 1
    assert world.run() == 0
    [document] = world.invoices()
    assert document.reference == f"renewal:{s.id}:2026-05-20"
    assert [line.net.minor for line in document.invoice.lines] == [990, 300]
    assert document.invoice.status == "paid"
    assert world.store.accounts[ORG].balance_minor == 5000 - document.invoice.total.minor
    [paid] = world.events(InvoicePaid)
    assert paid.reference == document.reference
    assert world.get(s).renewal_invoice_id == document.invoice.id
    world.on(date(2026, 5, 20))
    world.run()
    renewed = world.get(s)
    assert (renewed.term_end(), renewed.renewal_invoice_id, renewed.status) == (date(2026, 6, 20), None, "active")
    assert len(world.invoices()) == 1


def test_BI_11_without_enough_prepaid_balance_the_invoice_stays_open():
    world = World(today=date(2026, 5, 10), balance=100)
    world.subscribe()
    world.run()
    [document] = world.invoices()
    assert document.invoice.status == "open"
    assert world.store.accounts[ORG].balance_minor == 100
    assert world.events(InvoicePaid) == []


def test_BI_11_automatic_renewal_off_ends_the_product_at_the_terms_end():
    world = World(today=date(2026, 5, 10))
    s = world.subscribe(auto_renew=False)
    world.run()
    assert world.invoices() == [] and world.get(s).status == "active"
    world.on(date(2026, 5, 20))
    world.run()
    ended = world.get(s)
    assert (ended.status, ended.ended_on) == ("ended", date(2026, 5, 20))
    assert [e.product_id for e in world.events(ProductRemoved)] == [s.id]


def test_BI_11_renewal_turned_off_after_the_next_term_was_invoiced_cancels_that_invoice():
    world = World(today=date(2026, 5, 10))
    s = world.subscribe()
    world.run()
    world.store.subscriptions.save(replace(world.get(s), auto_renew=False))
    world.on(date(2026, 5, 21))
    world.run()
    assert world.get(s).status == "ended"
    assert [d.invoice.status for d in world.invoices() if d.kind == "invoice"] == ["cancelled"]


def test_BI_03_BI_19_a_scheduled_downgrade_takes_effect_with_the_next_term_and_its_promo_codes_are_gone():
    world = World(today=date(2026, 5, 10))
    world.vouchers.rows["TEN"] = Voucher("TEN", percent=10)
    s = world.subscribe("web-m", next_plan_id="web-s", add_on_ids=frozenset({"parallel-events"}))
    world.run()
    [document] = world.invoices()
    assert [line.net.minor for line in document.invoice.lines] == [990, 500]  # S and its add-on price
    world.on(date(2026, 5, 20))
    world.run()
    assert (world.get(s).plan_id, world.get(s).next_plan_id) == ("web-s", None)


def test_BI_12_a_promo_code_of_the_subscription_takes_its_share_off_the_renewal():
    world = World(today=date(2026, 5, 10))
    world.vouchers.rows["TEN"] = Voucher("TEN", percent=10)
    world.subscribe(promo_codes=("TEN",))
    world.run()
    [document] = world.invoices()
    assert [line.net.minor for line in document.invoice.lines] == [990, -99]


def test_BI_09_a_shorter_frequency_starts_with_the_next_term():
    world = World(today=date(2026, 12, 20))
    s = world.subscribe(started=date(2026, 1, 1), frequency=Y, next_frequency=M, term_ends_on=date(2027, 1, 1))
    world.run()
    [document] = world.invoices()
    assert document.reference == f"renewal:{s.id}:2027-01-01"
    assert document.invoice.lines[0].net.minor == 990
    world.on(date(2027, 1, 1))
    world.run()
    renewed = world.get(s)
    assert (renewed.frequency, renewed.next_frequency, renewed.started_on, renewed.term_end()) == (
        M, None, date(2027, 1, 1), date(2027, 2, 1))


def test_BI_19_a_trial_without_a_chosen_plan_ends_and_with_one_is_invoiced_from_its_end():
    world = World(today=date(2026, 5, 1), balance=10_000)
    ending = world.subscribe("web-trial", started=date(2026, 4, 1), status="trial", trial_ends_on=date(2026, 5, 1))
    chosen = world.subscribe("web-trial", started=date(2026, 4, 1), status="trial", trial_ends_on=date(2026, 5, 1),
                             next_plan_id="web-m")
    world.run()
    assert world.get(ending).status == "ended"
    converted = world.get(chosen)
    assert (converted.status, converted.plan_id, converted.started_on, converted.term_end()) == (
        "active", "web-m", date(2026, 5, 1), date(2026, 6, 1))
    [document] = world.invoices()
    assert document.reference == f"renewal:{chosen.id}:2026-05-01" and document.invoice.status == "paid"
    assert [e.product_id for e in world.events(ProductRemoved)] == [ending.id]


def test_BI_01_BI_05_a_change_once_the_next_term_is_invoiced_withdraws_that_invoice_and_invoices_the_term_anew():
    world = World(today=date(2026, 5, 10), balance=10_000)
    s = world.subscribe()
    world.run()
    [first] = world.invoices()
    assert first.invoice.status == "paid"
    with world.uow() as uow:
        upgraded = renewals.changed_after_renewal(uow, world.get(s), replace(world.get(s), plan_id="web-m"))
        uow.commit()
    world.store.subscriptions.save(upgraded)
    assert upgraded.renewal_invoice_id is None
    world.run()
    invoices = {d.reference: d for d in world.invoices() if d.kind == "invoice"}
    assert invoices[f"renewal:{s.id}:2026-05-20"].invoice.status == "refunded"  # its amount back on the balance
    again = invoices[f"renewal:{s.id}:2026-05-20:2"]
    assert [line.net.minor for line in again.invoice.lines] == [1990] and again.invoice.status == "paid"
    assert world.get(s).renewal_invoice_id == again.invoice.id
    assert world.store.accounts[ORG].balance_minor == 10_000 - again.invoice.total.minor


def test_BI_11_a_long_pause_is_caught_up_term_by_term():
    world = World(today=date(2026, 5, 10))
    s = world.subscribe()
    world.on(date(2026, 8, 10))
    world.run()
    references = [d.reference for d in world.invoices()]
    assert references == [f"renewal:{s.id}:{day}" for day in ("2026-05-20", "2026-06-20", "2026-07-20", "2026-08-20")]
    assert world.get(s).term_end() == date(2026, 8, 20)


def test_BI_11_two_rounds_at_once_invoice_every_term_once():
    world = World(today=date(2026, 5, 10), balance=1_000_000)
    subscriptions = [world.subscribe(started=date(2026, 4, 20) + timedelta(days=i % 5)) for i in range(300)]
    start = threading.Barrier(2)
    errors = []

    def run():
        try:
            start.wait()
            renewals.renew_due(world.uow, size=7)
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    references = [d.reference for d in world.invoices()]
    assert sorted(references) == sorted({f"renewal:{s.id}:{s.term_end().isoformat()}" for s in subscriptions})
    assert len(world.store.payments) == 300 and len(world.events(InvoicePaid)) == 300
    paid = sum(d.invoice.total.minor for d in world.invoices())
    assert world.store.accounts[ORG].balance_minor == 1_000_000 - paid


# DO-07


def domain_renewal(**fields):
    values = dict(org_id=ORG, domain_id="00000000-0000-4000-8000-0000000000d1", domain="muster.ch", years=1,
                  price={"amount_minor": 1800, "currency": "CHF"}, expires_on="2026-06-30")
    values.update(fields)
    return DomainRenewalRequested(**values)


def test_DO_07_a_domain_renewal_is_invoiced_once_per_term_and_paid_from_the_balance():
    world = World(balance=5000)
    with world.uow() as uow:
        renewals.on_domain_renewal_requested(domain_renewal(), uow)
        uow.commit()
    with world.uow() as uow:
        renewals.on_domain_renewal_requested(domain_renewal(), uow)
        uow.commit()
    [document] = world.invoices()
    assert document.reference == "domain-renewal:00000000-0000-4000-8000-0000000000d1:2026-06-30"
    assert document.invoice.status == "paid"
    [paid] = world.events(InvoicePaid)
    assert paid.reference == document.reference
    with world.uow() as uow:
        renewals.on_domain_renewal_requested(domain_renewal(expires_on="2027-06-30"), uow)
    assert len(world.invoices()) == 2


def test_DO_07_a_renewal_priced_in_another_currency_than_the_account_is_not_invoiced():
    world = World(balance=5000)
    with world.uow() as uow:
        renewals.on_domain_renewal_requested(domain_renewal(price={"amount_minor": 1800, "currency": "EUR"}), uow)
    assert world.invoices() == []
