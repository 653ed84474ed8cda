"""SEPA direct debit's rules (BI-08, BI-06): the mandate reference, FRST then RCUR, TARGET business
days and the requested collection date, the IBAN and scheme checks of a new mandate, and an export
that collects each invoice once, pays it and keeps the ledger balanced."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, strategies as st

from portico_kernel.clock import FakeClock
from portico_kernel.errors import Conflict, Forbidden, Invalid
from portico_kernel.principal import Principal
from services.billing.domain import direct_debit as dd
from services.billing.domain import direct_debit_method as debit_method
from services.billing.domain.events import InvoicePaid
from services.billing.domain.invoices import OPEN, PAID, issue, number
from services.billing.domain.issuing import Document
from services.billing.domain.model import BillingAccount
from services.billing.domain.money import Money
from services.billing.domain.vat import treatment
from tests.unit.billing_fakes import FakeDunning, FakeLedger, FakeMemberAccess
from tests.unit.fakes import FakeUnitOfWork

ORG = "00000000-0000-4000-8000-000000000001"
OWNER = Principal(user_id="u-1", kind="customer", org_id=ORG, roles=("legal_representative",))
CLERK = Principal(user_id="s-1", kind="staff", org_id=None, roles=("platform:billing-clerk",))
SUPPLIER = {"name": "Portico AG", "address": {"street": "Technoparkstrasse", "house_number": "1", "postcode": "8005",
                                              "town": "Zürich", "country": "CH"},
            "bank_accounts": {"EUR": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}},
            "sepa_creditor_id": "DE98ZZZ09999999999", "sepa_pre_notification_days": 5}


# --- the rules ---------------------------------------------------------------------------------------

def test_bi_08_a_mandate_reference_is_at_most_35_characters_of_the_sepa_set_and_new_each_time():
    references = {dd.new_mandate_reference(date(2026, 11, 26)) for _ in range(200)}
    assert len(references) == 200
    for reference in references:
        assert dd.is_mandate_reference(reference) and len(reference) <= 35
        assert reference.startswith("PTC-20261126-")


@pytest.mark.parametrize("text, valid", [
    ("PTC-20261126-ABCDEFGHJKLM", True), ("A", True), ("x" * 35, True), ("x" * 36, False), ("", False),
    ("MANDAT/2026", True), ("/MANDAT", False), ("MANDAT/", False), ("MAN//DAT", False), ("MANDAT_1", False),
    ("MANDAT€", False), ("Mandat (neu), 'B+2'?:.", True)])
def test_bi_08_the_mandate_reference_format(text, valid):
    assert dd.is_mandate_reference(text) is valid


def test_bi_08_a_mandates_first_collection_is_FRST_then_RCUR():
    assert dd.sequence_type(0) == dd.FRST
    assert [dd.sequence_type(n) for n in (1, 2, 40)] == [dd.RCUR] * 3


@pytest.mark.parametrize("day, business", [
    (date(2026, 11, 26), True),  # a Thursday
    (date(2026, 11, 28), False), (date(2026, 11, 29), False),  # the weekend
    (date(2027, 1, 1), False), (date(2026, 5, 1), False), (date(2026, 12, 25), False), (date(2026, 12, 26), False),
    (date(2026, 4, 3), False), (date(2026, 4, 6), False),  # Good Friday and Easter Monday 2026
    (date(2027, 3, 26), False), (date(2027, 3, 29), False),  # … and 2027
    (date(2026, 4, 2), True), (date(2026, 12, 24), True), (date(2026, 10, 3), False)])  # a Saturday
def test_bi_08_target_business_days(day, business):
    assert dd.is_business_day(day) is business


def test_bi_08_the_collection_date_is_a_business_day_ahead_and_after_the_pre_notification():
    # issued long ago: the next business day after today (a Thursday: Friday)
    assert dd.collection_date(date(2026, 11, 26), date(2026, 10, 1), 5) == date(2026, 11, 27)
    # exported on a Friday: Monday
    assert dd.collection_date(date(2026, 11, 27), date(2026, 10, 1), 5) == date(2026, 11, 30)
    # over Christmas: 24 December (Thursday) is followed by two holidays and a weekend
    assert dd.collection_date(date(2026, 12, 24), date(2026, 12, 1), 5) == date(2026, 12, 28)
    # over Easter 2026: Thursday before Good Friday is followed by Tuesday
    assert dd.collection_date(date(2026, 4, 2), date(2026, 3, 1), 5) == date(2026, 4, 7)
    # issued today: the pre-notification's five days, rolled to a business day (Tuesday 1 Dec)
    assert dd.collection_date(date(2026, 11, 26), date(2026, 11, 26), 5) == date(2026, 12, 1)
    assert dd.collection_date(date(2026, 11, 24), date(2026, 11, 24), 5) == date(2026, 11, 30)  # Sunday → Monday


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
       st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=14))
def test_bi_08_a_collection_date_is_always_a_later_business_day_after_the_notice(today, age, notice):
    from datetime import timedelta

    issued = today - timedelta(days=age)
    chosen = dd.collection_date(today, issued, notice)
    assert dd.is_business_day(chosen) and chosen > today and chosen >= issued + timedelta(days=notice)
    assert (chosen - max(today, issued + timedelta(days=notice))).days <= 6  # the first such day, not later


def test_bi_08_an_iban_is_shown_by_its_last_four_characters():
    assert dd.masked("DE89370400440532013000") == "******************3000"


# --- mandates and exports, with fakes -----------------------------------------------------------------

class Accounts:
    def __init__(self, *accounts):
        self.rows = {a.org_id: a for a in accounts}

    def of_org(self, org_id):
        return self.rows.get(org_id)

    locked_of_org = of_org

    def unpaid_count(self, org_id):
        return 0


class Mandates:
    def __init__(self):
        self.rows: list[dd.Mandate] = []
        self.back_to_transfer: list[str] = []

    def add(self, mandate):
        self.rows.append(mandate)

    def get(self, mandate_id):
        return next((m for m in self.rows if m.id == mandate_id), None)

    def active_of(self, org_id):
        return next((m for m in self.rows if m.org_id == org_id and m.status == dd.ACTIVE), None)

    def uncollected_back_to_transfer(self, org_id, at, by):
        self.back_to_transfer.append(org_id)


class Receivables:
    def __init__(self):
        self.invoices, self.methods = {}, {}

    def locked(self, invoice_id):
        return self.invoices.get(invoice_id)

    get = locked

    def save(self, invoice):
        self.invoices[invoice.id] = invoice

    def set_payment_method(self, invoice_id, method, at, by):
        self.methods[invoice_id] = method


class Documents:
    def __init__(self, receivables):
        self.receivables = receivables

    def get(self, invoice_id):
        invoice = self.receivables.invoices[invoice_id]
        return Document(invoice, "invoice", datetime(2026, 11, 1, tzinfo=timezone.utc),
                        {"name": "Erika", "address": {"town": "Berlin", "country": "DE"}}, SUPPLIER, (),
                        payment_reference=f"RF00{invoice.number.replace('-', '')}")

    def unpaid_count(self, org_id):
        return sum(1 for i in self.receivables.invoices.values() if i.status == OPEN)


class Collections:
    def __init__(self):
        self.rows: list[dd.Collection] = []
        self.exports: list[dd.Export] = []

    def lock_for_export(self):
        pass

    def due(self, currency, limit):
        collected = {c.invoice_id for c in self.rows}
        return [i for i in self.receivables.invoices if i not in collected
                and self.receivables.methods.get(i) == debit_method.SEPA_DIRECT_DEBIT][:limit]

    def of_invoice(self, invoice_id):
        return next((c for c in self.rows if c.invoice_id == invoice_id), None)

    def count_of_mandate(self, mandate_id):
        return sum(1 for c in self.rows if c.mandate_id == mandate_id)

    def add_export(self, export):
        self.exports.append(export)
        self.rows += list(export.collections)


class Payments:
    def pending_of_invoice(self, invoice_id):
        return None


class Catalog:
    supplier = SUPPLIER


def _uow(org_type="private"):
    account = BillingAccount(id="a-1", org_id=ORG, currency="EUR", name="Erika", org_type=org_type, country="DE")
    receivables = Receivables()
    collections = Collections()
    collections.receivables = receivables
    uow = FakeUnitOfWork(FakeClock(datetime(2026, 11, 26, 9, tzinfo=timezone.utc)), accounts=Accounts(account),
                         mandates=Mandates(), receivables=receivables, invoices=Documents(receivables),
                         collections=collections, payments=Payments(), ledger=FakeLedger(),
                         member_access=FakeMemberAccess(), dunning=FakeDunning())
    uow.catalog = Catalog()
    return uow


def _invoice(uow, sequence: int, currency="EUR", minor=1190):
    invoice = issue(str(uuid.uuid4()), number(currency, 2026, sequence), ORG, currency,
                    [("Web Hosting S", Money(minor, currency))], date(2026, 11, 20), date(2026, 12, 20),
                    treatment("DE", date(2026, 11, 20), valid_vat_id=False))
    uow.receivables.invoices[invoice.id] = invoice
    return invoice


def _register(uow, **overrides):
    fields = {"account_holder": "Erika Mustermann", "iban": "DE89 3704 0044 0532 0130 00", "bic": None,
              "signed_on": date(2026, 11, 20), "scheme": dd.CORE, **overrides}
    return dd.register(uow, OWNER, ORG, **fields)


def _written(creditor, scheme, debits):
    return dd.File(scheme, "MSG", "<xml/>", len(debits), sum(d.amount_minor for d in debits))


@pytest.mark.parametrize("field, value", [
    ("iban", "DE89 3704 0044 0532 0130 01"), ("iban", "nonsense"), ("iban", "US12345678901234567890"),
    ("signed_on", date(2026, 11, 27)), ("signed_on", "yesterday"), ("account_holder", "   "), ("account_holder", "x" * 71),
    ("bic", "NOTABIC"), ("scheme", "COR1")])
def test_bi_08_a_mandate_is_refused_naming_the_field_at_fault(field, value):
    uow = _uow()
    with pytest.raises(Invalid) as refused:
        _register(uow, **{field: value})
    assert [p["name"] for p in refused.value.extra["invalid_params"]] == [field]
    assert uow.mandates.rows == []


def test_bi_08_b2b_is_for_businesses_and_a_new_mandate_replaces_the_active_one():
    with pytest.raises(Invalid) as refused:
        _register(_uow("private"), scheme=dd.B2B)
    assert refused.value.extra["invalid_params"][0]["name"] == "scheme"
    uow = _uow("company")
    first = _register(uow, scheme=dd.B2B)
    assert first.bic == "COBADEFFXXX" and first.iban == "DE89370400440532013000"
    second = _register(uow, iban="AT611904300234573201")
    assert (first.status, second.status) == (dd.REPLACED, dd.ACTIVE)
    assert first.reference != second.reference


def test_bi_06_bi_08_direct_debit_needs_euros_and_an_active_mandate_and_becomes_the_default():
    uow = _uow()
    invoice = _invoice(uow, 1)
    with pytest.raises(Conflict) as refused:
        debit_method.ensure_collectable(uow, invoice)
    assert refused.value.problem == "no-active-mandate"
    _register(uow)
    debit_method.ensure_collectable(uow, invoice)
    with pytest.raises(Conflict) as refused:
        debit_method.ensure_collectable(uow, replace(invoice, currency="CHF"))
    assert refused.value.problem == "direct-debit-not-possible"
    debit_method.collect_by_default(uow, uow.invoices.get(invoice.id))
    assert uow.receivables.methods[invoice.id] == debit_method.SEPA_DIRECT_DEBIT


def test_bi_08_an_export_collects_each_invoice_once_FRST_then_RCUR_pays_it_and_balances_the_ledger():
    uow = _uow()
    mandate = _register(uow)
    first, second = _invoice(uow, 1), _invoice(uow, 2, minor=990)
    for invoice in (first, second):
        uow.receivables.methods[invoice.id] = debit_method.SEPA_DIRECT_DEBIT
    with pytest.raises(Forbidden):
        dd.export(uow, OWNER, _written)
    made = dd.export(uow, CLERK, _written)
    assert [(c.invoice_id, c.sequence_type) for c in made.collections] == [(first.id, dd.FRST), (second.id, dd.RCUR)]
    assert {c.mandate_id for c in made.collections} == {mandate.id}
    assert [c.collection_date for c in made.collections] == [date(2026, 11, 27)] * 2
    assert made.total_minor == first.total.minor + second.total.minor
    assert [f.scheme for f in made.files] == [dd.CORE]
    assert all(uow.receivables.invoices[i.id].status == PAID for i in (first, second))
    paid = [e for e, _ in uow.emitted if isinstance(e, InvoicePaid)]
    assert sorted(p.invoice_id for p in paid) == sorted([first.id, second.id])
    assert uow.ledger.trial_balance() == {"EUR": 0}
    with pytest.raises(Conflict) as nothing:
        dd.export(uow, CLERK, _written)
    assert nothing.value.problem == "nothing-to-collect"
    third = _invoice(uow, 3)
    uow.receivables.methods[third.id] = debit_method.SEPA_DIRECT_DEBIT
    again = dd.export(uow, CLERK, _written)
    assert [(c.invoice_id, c.sequence_type) for c in again.collections] == [(third.id, dd.RCUR)]
