"""Issuing invoices (services/billing/domain/issuing.py), orders, vouchers and who sees billing:
numbers without gaps per series, the legal content, credit notes, the ledger's postings (BI-06,
BI-12, BI-15, BI-17, OR-14)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from portico_kernel.clock import FakeClock
from portico_kernel.errors import Conflict, Forbidden, Invalid, NotFound
from portico_kernel.principal import Principal
from services.billing.adapters.catalog_file import catalog
from services.billing.domain import issuing, orders, tickets
from services.billing.domain.catalog import catalog_from
from services.billing.domain.events import FalseEmergencyReported, InvoiceIssued, ProductProvisioned, SeatsProvisioned
from services.billing.domain.issuing import Charge
from services.billing.domain.model import BillingAccount
from services.billing.domain.money import Money
from services.billing.domain.visibility import ensure_sees_billing
from services.billing.domain.vouchers import FreeOption, Voucher, VoucherRefused, assign

from .billing_fakes import (
    FakeDunning, FakeFreeOptions, FakeInvoices, FakeLedger, FakeMemberAccess, FakeSubscriptions, FakeVouchers,
)
from .fakes import FakeAccounts, FakeUnitOfWork

ORG, OTHER = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"


def account(country="CH", vat_id=None, org_type="company", org_id=ORG) -> BillingAccount:
    opened = BillingAccount.open_for(org_id, country)
    opened.name, opened.org_type, opened.country, opened.vat_id = "Muster AG", org_type, country, vat_id
    opened.street, opened.house_number, opened.postcode, opened.town = "Bahnhofstrasse", "1", "8001", "Zürich"
    return opened


def a_uow(*accounts, clock=None, vouchers=(), free=()):
    repository = FakeAccounts()
    for each in accounts:
        repository.add(each)
    uow = FakeUnitOfWork(clock or FakeClock(datetime(2026, 5, 4, 9, tzinfo=timezone.utc)), accounts=repository,
                         invoices=FakeInvoices(), ledger=FakeLedger(), member_access=FakeMemberAccess(),
                         subscriptions=FakeSubscriptions(), vouchers=FakeVouchers(*vouchers),
                         free_options=FakeFreeOptions(*free))
    uow.dunning = FakeDunning(uow.invoices)
    uow.catalog = catalog()
    return uow


def charge(minor=990, currency="CHF"):
    return [Charge("Web Hosting S, May", Money(minor, currency))]


def test_BI_06_numbers_run_per_series_without_gaps_and_a_rolled_back_invoice_gives_its_number_back():
    uow = a_uow(account("CH"), account("DE", org_id=OTHER))
    swiss, german = uow.accounts.of_org(ORG), uow.accounts.of_org(OTHER)
    numbers = [issuing.issue(uow, swiss, charge()).invoice.number for _ in range(2)]
    uow.invoices.commit()
    issuing.issue(uow, swiss, charge())  # its transaction rolls back
    uow.invoices.rollback()
    numbers.append(issuing.issue(uow, swiss, charge()).invoice.number)
    numbers.append(issuing.issue(uow, german, charge(currency="EUR")).invoice.number)
    assert numbers == ["CHF-2026-000001", "CHF-2026-000002", "CHF-2026-000003", "EUR-2026-000001"]
    uow.clock.set(datetime(2027, 1, 1, tzinfo=timezone.utc))
    assert issuing.issue(uow, swiss, charge()).invoice.number == "CHF-2027-000001"  # a new year, a new series


def test_BI_06_an_invoice_names_both_parties_their_vat_ids_and_why_no_vat_is_charged():
    uow = a_uow(account("CH", vat_id="CHE-116.281.710 MWST"))
    document = issuing.issue(uow, uow.accounts.of_org(ORG), charge())
    assert document.customer == {"name": "Muster AG", "type": "company", "vat_id": "CHE-116.281.710 MWST",
                                 "address": {"street": "Bahnhofstrasse", "house_number": "1", "postcode": "8001",
                                             "town": "Zürich", "country": "CH"}}
    assert document.supplier["vat_id"] and document.supplier["address"]["country"] == "CH"
    assert document.invoice.treatment.rate == Fraction("8.1") and document.invoice.vat == Money(80, "CHF")
    assert document.invoice.due_on == date(2026, 6, 3)
    [(issued, org_id)] = [e for e in uow.emitted if isinstance(e[0], InvoiceIssued)]
    assert issued.number == document.invoice.number and issued.total == {"amount_minor": 1070, "currency": "CHF"}


@pytest.mark.parametrize("country, vat_id, org_type, rate, reverse, note", [
    ("DE", "DE100000008", "company", 0, True, "Reverse charge: VAT due by the recipient"),
    ("DE", "DE100000008", "private", 19, False, None),  # a private person's VAT ID makes no business
    ("DE", None, "company", 19, False, None),
    ("FR", None, "private", 20, False, None),
    ("US", None, "company", 0, False, "Export of services: not subject to VAT"),
    ("LI", None, "private", Fraction("8.1"), False, None),
])
def test_BI_06_OR_14_vat_follows_the_customers_country_and_vat_id(country, vat_id, org_type, rate, reverse, note):
    uow = a_uow(account(country, vat_id=vat_id, org_type=org_type))
    invoice = issuing.issue(uow, uow.accounts.of_org(ORG), charge(currency=uow.accounts.of_org(ORG).currency)).invoice
    assert invoice.treatment.rate == rate and invoice.treatment.reverse_charge is reverse
    assert invoice.notes == ((note,) if note else ())


def test_BI_06_a_cancelled_invoice_keeps_its_number_and_its_credit_note_takes_the_next_one():
    uow = a_uow(account("CH"))
    document = issuing.issue(uow, uow.accounts.of_org(ORG), charge())
    cancelled, note = issuing.cancel(uow, ORG, document.invoice.id)
    assert cancelled.invoice.status == "cancelled" and cancelled.invoice.number == "CHF-2026-000001"
    assert note.kind == "credit_note" and note.invoice.number == "CHF-2026-000002"
    assert note.invoice.credit_note_of == "CHF-2026-000001" and note.invoice.total == -document.invoice.total
    with pytest.raises(Conflict):
        issuing.cancel(uow, ORG, document.invoice.id)
    with pytest.raises(NotFound):
        issuing.cancel(uow, OTHER, document.invoice.id)
    assert uow.ledger.trial_balance() == {"CHF": 0}
    receivable = sum(e.amount.minor for p in uow.ledger.postings for e in p.entries if e.account == f"receivable:{ORG}")
    assert receivable == 0  # cancelled: nothing is owed


@given(st.lists(st.tuples(st.sampled_from(["CH", "DE", "FR", "US"]), st.integers(0, 10**7)), min_size=1, max_size=15))
def test_BI_06_every_invoice_is_a_balanced_posting_and_the_ledger_sums_to_zero(invoiced):
    accounts = [account(country, org_id=f"{index:08d}-1111-1111-1111-111111111111") for index, (country, _) in enumerate(invoiced)]
    uow = a_uow(*accounts)
    for each, (_, minor) in zip(accounts, invoiced):
        issuing.issue(uow, each, charge(minor, each.currency))
    assert all(total == 0 for total in uow.ledger.trial_balance().values())


def test_BI_17_a_false_emergency_is_invoiced_once_at_the_catalogs_fee():
    uow = a_uow(account("CH"))
    reported = FalseEmergencyReported(org_id=ORG, ticket_id="T-1", reported_at="2026-05-04T08:00:00Z")
    tickets.on_false_emergency_reported(reported, uow)
    tickets.on_false_emergency_reported(reported, uow)
    [document] = uow.invoices.documents.values()
    assert document.invoice.net == Money(15000, "CHF") and document.reference == "ticket:T-1"
    with pytest.raises(LookupError):  # the account is not open yet: retried later
        tickets.on_false_emergency_reported(FalseEmergencyReported(OTHER, "T-2", "2026-05-04T08:00:00Z"), uow)


def person(*roles, org=ORG, kind="customer", user="33333333-3333-3333-3333-333333333333"):
    return Principal(user_id=user, kind=kind, org_id=org, roles=roles)


ACCOUNTING = [{"scope": "type", "product_type": "billing", "product_id": None, "rights": ["accounting"]}]


@pytest.mark.parametrize("grants, caller, refusal", [
    (None, person("legal_representative"), None),
    (None, person("administrator"), None),
    (None, person(kind="api_key"), None),
    (None, person("platform:billing-clerk", org=None, kind="staff"), None),
    (ACCOUNTING, person("collaborator"), None),
    (None, person("collaborator"), Forbidden),
    ([], person("collaborator"), Forbidden),  # taken back
    ([{"scope": "all", "product_type": None, "product_id": None, "rights": ["use", "manage"]}], person("collaborator"), Forbidden),
    (ACCOUNTING, person("collaborator", org=OTHER), NotFound),
    (None, person("platform:support-agent:1st-level", org=None, kind="staff"), Forbidden),
])
def test_BI_15_billing_is_visible_to_representatives_administrators_billing_staff_and_the_accounting_right(grants, caller, refusal):
    uow = a_uow(account("CH"))
    if grants is not None:
        uow.member_access.set(caller.org_id or ORG, caller.user_id, grants)
    if refusal is None:
        ensure_sees_billing(uow, caller, ORG)
    else:
        with pytest.raises(refusal):
            ensure_sees_billing(uow, caller, ORG)


OWNER = person("legal_representative")


def test_BI_05_OR_16_an_order_starts_its_products_and_seats_and_issues_one_invoice():
    uow = a_uow(account("CH"))
    items = [orders.Item("web-hosting", "web-m", "yearly", ("parallel-events",)), orders.Item("mail", "mail-trial")]
    order, document = orders.place(uow, OWNER, ORG, items, [])
    assert [line.net.minor for line in document.invoice.lines] == [19900, 9000]
    started = [e for e, _ in uow.emitted if isinstance(e, ProductProvisioned)]
    assert [(e.product_type, e.product_id) for e in started] == [("hosting", order.subscriptions[0][0].id),
                                                                  ("mailbox", order.subscriptions[1][0].id)]
    [seats] = [e for e, _ in uow.emitted if isinstance(e, SeatsProvisioned)]
    assert seats.seats == 3 and seats.valid_until == "2027-05-04T00:00:00Z"
    assert order.subscriptions[1][0].status == "trial" and order.subscriptions[1][0].trial_ends_on == date(2026, 5, 18)


def test_BI_12_each_code_on_its_product_and_a_free_option_at_checkout():
    free = FreeOption("f-1", ORG, "web-hosting", "daily-backup", "staff-1", datetime(2026, 5, 1, tzinfo=timezone.utc))
    uow = a_uow(account("CH"), vouchers=[Voucher("HALF", percent=50, product_ids=("web-hosting",)),
                                         Voucher("TWO", amount=Money(200, "CHF"), product_ids=("mail",))],
                free=[free])
    items = [orders.Item("mail", "mail-s"), orders.Item("web-hosting", "web-s", "monthly", ("daily-backup",))]
    checkout = orders.checkout(uow, OWNER, ORG, items, ["HALF", "TWO"])
    assert [c.amount.minor for c in checkout.charges] == [490, 990, 300, -300, -200, -495]
    assert checkout.free_options_available == [free]
    with pytest.raises(Invalid):
        orders.checkout(uow, OWNER, ORG, [orders.Item("mail", "mail-s")], ["HALF"])  # no hosting ordered
    with pytest.raises(Invalid):
        orders.checkout(uow, OWNER, ORG, items, ["NOPE"])
    with pytest.raises(Forbidden):
        orders.checkout(uow, person("platform:admin", org=None, kind="staff"), ORG, items, [])


@given(st.integers(1, 100), st.integers(0, 10**8))
def test_BI_12_a_percentage_takes_off_its_share_rounded_once_never_more_than_the_subtotal(percent, minor):
    off = Voucher("P10", percent=percent).discount(Money(minor, "CHF"))
    assert 0 <= off.minor <= minor
    assert abs(off.minor - Fraction(minor * percent, 100)) <= Fraction(1, 2)


@given(st.integers(1, 10**6), st.integers(-10, 10**6))
def test_BI_12_an_amount_takes_off_at_most_the_subtotal(amount, minor):
    off = Voucher("A10", amount=Money(amount, "EUR")).discount(Money(minor, "EUR"))
    assert off.minor == (min(amount, minor) if minor > 0 else 0)


def test_BI_12_codes_are_limited_to_products_uses_dates_and_currency_and_never_stack_on_one_item():
    on = date(2026, 5, 4)
    with pytest.raises(VoucherRefused):
        Voucher("LATE", percent=5, valid_until=date(2026, 5, 3)).check(on, "CHF")
    with pytest.raises(VoucherRefused):
        Voucher("SOON", percent=5, valid_from=date(2026, 5, 5)).check(on, "CHF")
    with pytest.raises(VoucherRefused):
        Voucher("ONCE", percent=5, max_uses=1, uses=1).check(on, "CHF")
    with pytest.raises(VoucherRefused):
        Voucher("EURO", amount=Money(100, "EUR")).check(on, "CHF")
    Voucher("OK1", percent=5, valid_from=on, valid_until=on, max_uses=2, uses=1).check(on, "CHF")
    for wrong in ({"percent": 0}, {"percent": 101}, {}, {"percent": 5, "amount": Money(1, "CHF")},
                  {"amount": Money(0, "CHF")}, {"percent": 5, "max_uses": 0}):
        with pytest.raises(VoucherRefused):
            Voucher("BAD", **wrong)
    with pytest.raises(VoucherRefused):
        Voucher("a b", percent=5)
    a, b = Voucher("AAA", percent=5, product_ids=("mail",)), Voucher("BBB", percent=5)
    assert assign([a, b], ["web-hosting", "mail"]) == {1: a, 0: b}
    assert assign([b, a], ["mail", "mail"]) == {0: b, 1: a}
    with pytest.raises(VoucherRefused):
        assign([a, a], ["mail", "mail"])
    with pytest.raises(VoucherRefused):
        assign([a, Voucher("CCC", percent=5, product_ids=("mail",))], ["mail", "web-hosting"])


def test_BI_02_BI_19_the_catalog_is_refused_at_start_when_its_data_contradicts_itself():
    data = {"supplier": {"name": "P", "address": {}, "vat_id": "x"}, "products": [{
        "id": "p", "type": "hosting", "name": "P",
        "plans": [{"id": "s", "name": "S", "size": 1, "prices": {"monthly": {"CHF": 100, "EUR": 100}}}],
        "add_ons": [{"id": "a", "name": "A", "prices": {"m": {"monthly": {"CHF": 1, "EUR": 1}}}}]}]}
    with pytest.raises(ValueError):
        catalog_from(data)  # an add-on priced for a plan the product does not have
    data["products"][0]["add_ons"] = []
    data["products"][0]["plans"][0]["trial_days"] = 14
    with pytest.raises(ValueError):
        catalog_from(data)  # a free trial with a price
    shipped = catalog()
    assert {p.type for p in shipped.in_currency("CHF")} >= {"hosting", "mailbox", "premium-support"}


def _subscribed(uow, item):
    order, _ = orders.place(uow, OWNER, ORG, [item], [])
    return order.subscriptions[0][0]


def test_BI_01_BI_02_OR_16_an_upgrade_mid_period_charges_the_days_left_and_moves_the_seats():
    from services.billing.domain import services

    uow = a_uow(account("CH"))
    subscription = _subscribed(uow, orders.Item("web-hosting", "web-s", "monthly", ("parallel-events",)))
    uow.clock.set(datetime(2026, 5, 20, 9, tzinfo=timezone.utc))  # 15 of 31 days left (May 4 to June 4)
    preview = services.preview_plan_change(uow, OWNER, ORG, subscription.id, "web-m")
    assert [line.amount.minor for line in preview.lines] == [484, 194]  # (1990-990)*15/31, (900-500)*15/31
    assert preview.renews_on == date(2026, 6, 4)
    change, document = services.change_plan(uow, OWNER, ORG, subscription.id, "web-m")
    assert document.invoice.net == Money(678, "CHF") and uow.subscriptions.get(subscription.id).plan_id == "web-m"
    [seats] = [e for e, _ in uow.emitted if isinstance(e, SeatsProvisioned)]
    assert seats.seats == 3 and seats.valid_until == "2026-06-04T00:00:00Z"


def test_BI_09_a_shorter_frequency_waits_for_the_paid_term_and_a_longer_one_credits_the_unused_days():
    from services.billing.domain import services

    uow = a_uow(account("CH"))
    subscription = _subscribed(uow, orders.Item("web-hosting", "web-s", "quarterly"))
    uow.clock.set(datetime(2026, 6, 4, 9, tzinfo=timezone.utc))  # a month of the quarter used
    change, document = services.change_frequency(uow, OWNER, ORG, subscription.id, "monthly")
    assert document is None and change.effective_on == date(2026, 8, 4)
    assert uow.subscriptions.get(subscription.id).next_frequency.name == "MONTHLY"
    change, document = services.change_frequency(uow, OWNER, ORG, subscription.id, "yearly")
    assert [line.amount.minor for line in change.lines] == [9900, -1850]  # 2790 x 61/92 days unused, rounded once
    assert uow.subscriptions.get(subscription.id).next_frequency is None


def test_BI_11_BI_15_automatic_renewal_in_one_step_needs_manage_on_the_product():
    from services.billing.domain import services

    uow = a_uow(account("CH"))
    subscription = _subscribed(uow, orders.Item("mail", "mail-s"))
    colleague = person("collaborator", user="44444444-4444-4444-4444-444444444444")
    uow.member_access.set(ORG, colleague.user_id, ACCOUNTING)
    with pytest.raises(Forbidden):
        services.set_auto_renew(uow, colleague, ORG, subscription.id, False)
    uow.member_access.set(ORG, colleague.user_id, [{"scope": "product", "product_type": "mailbox",
                                                    "product_id": subscription.id, "rights": ["manage"]}])
    assert services.set_auto_renew(uow, colleague, ORG, subscription.id, False).auto_renew is False
    with pytest.raises(NotFound):
        services.set_auto_renew(uow, person("legal_representative", org=OTHER), OTHER, subscription.id, True)
