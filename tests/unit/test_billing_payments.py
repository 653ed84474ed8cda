"""Paying invoices by card and from the prepaid balance, topping up and withdrawing (BI-06, BI-08,
BI-10), the card sandbox's behaviours, and the ledger balancing after every scenario."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from portico_kernel.errors import Conflict, Invalid
from portico_kernel.principal import Principal
from services.billing.adapters.card_sandbox import CardSandbox
from services.billing.domain import paying
from services.billing.domain.invoices import OPEN, PAID, PARTIALLY_PAID, issue, number
from services.billing.domain.ledger import Ledger
from services.billing.domain.model import BillingAccount
from services.billing.domain.money import Money
from services.billing.domain.payments import DECLINED, FAILED, PENDING, SUCCEEDED, split
from services.billing.domain.prepaid import BalanceTooLow, move
from services.billing.domain.vat import treatment
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.billing_fakes import FakeDunning

ORG = "00000000-0000-4000-8000-000000000001"
INVOICE = "00000000-0000-4000-8000-0000000000a1"
OWNER = Principal(user_id="u-1", kind="customer", org_id=ORG, roles=("legal_representative",))


class Rows:
    def __init__(self):
        self.rows = {}


class Invoices(Rows):
    def locked(self, invoice_id):
        return self.rows.get(invoice_id)

    def save(self, invoice):
        self.rows[invoice.id] = invoice

    def unpaid_count(self, org_id):
        return sum(1 for i in self.rows.values() if i.org_id == org_id and i.status in (OPEN, PARTIALLY_PAID))

    def get(self, invoice_id):
        return None  # the issued documents (their references) are not kept here


class Accounts(Rows):
    def add(self, account):
        self.rows[account.org_id] = account

    def of_org(self, org_id):
        return self.rows.get(org_id)

    locked_of_org = of_org


class Payments(Rows):
    def add(self, payment):
        self.rows[payment.id] = payment

    def locked(self, payment_id):
        return self.rows[payment_id]

    def pending_of_invoice(self, invoice_id):
        return next((p for p in self.rows.values() if p.invoice_id == invoice_id and p.status == PENDING), None)

    def pending(self):
        return [p for p in self.rows.values() if p.status == PENDING]


class Movements(list):
    def add(self, movement):
        self.append(movement)


class World:
    """One organization with an account, an open invoice of 32.11 CHF, and the ledger."""

    def __init__(self, balance=0, clock=None):
        invoices = Invoices()
        self.uow = FakeUnitOfWork(clock, receivables=invoices, invoices=invoices, accounts=Accounts(), payments=Payments(),
                                  movements=Movements(), ledger=Ledger(), dunning=FakeDunning())
        self.account = BillingAccount("acc-1", ORG, "CHF", balance_minor=0)
        self.uow.accounts.add(self.account)
        if balance:  # topped up by card, as a customer would
            self.top_up(balance)
        invoice = issue(INVOICE, number("CHF", 2026, 1), ORG, "CHF", [("Hosting S", Money(2970, "CHF"))],
                        date(2026, 5, 4), date(2026, 6, 3), treatment("CH", date(2026, 5, 4), valid_vat_id=False))
        self.uow.receivables.save(invoice)
        # the invoice's own posting (issuing it): receivable against revenue and VAT
        self.uow.ledger.post(paying.entry("invoice", self.uow.clock.now(), "CHF", invoice.total.minor,
                                          debit=f"receivable:{ORG}", credit="revenue"))
        self.sandbox = CardSandbox()

    def uow_factory(self, reading=False):
        return self.uow

    def top_up(self, minor, token="tok_sandbox_ok"):
        started = paying.start_top_up(self.uow, OWNER, ORG, token, minor, "CHF")
        return paying.charge_and_settle(self.uow_factory, CardSandbox(), started)

    def pay(self, token=None, prepaid=None, use_prepaid=False):
        started = paying.start_invoice_payment(self.uow, OWNER, ORG, INVOICE, card_token=token, prepaid_minor=prepaid,
                                               use_prepaid=use_prepaid)
        return paying.charge_and_settle(self.uow_factory, self.sandbox, started)

    @property
    def invoice(self):
        return self.uow.receivables.rows[INVOICE]

    def paid_events(self):
        return [e for e, _ in self.uow.emitted if type(e).__name__ == "InvoicePaid"]

    def standing(self):
        return [e for e, _ in self.uow.emitted if type(e).__name__ == "BillingStandingChanged"][-1]

    def assert_ledger_agrees(self):
        """Every posting balanced; the prepaid account is what the balance says; nothing held at rest."""
        ledger = self.uow.ledger
        assert all(v == 0 for v in ledger.trial_balance().values())
        assert -ledger.balance(f"prepaid:{ORG}", "CHF").minor == self.account.balance_minor
        if not self.uow.payments.pending():
            assert ledger.balance(f"held:{ORG}", "CHF").minor == 0
        assert ledger.balance(f"receivable:{ORG}", "CHF").minor == self.invoice.outstanding.minor
        assert self.account.balance_minor >= 0


def test_BI_08_a_card_pays_an_invoice_in_full_and_InvoicePaid_is_emitted_once():
    world = World()
    payment = world.pay(token="tok_sandbox_ok")
    assert payment.status == SUCCEEDED and payment.card_minor == 3211
    assert world.invoice.status == PAID
    assert len(world.paid_events()) == 1
    assert world.standing().unpaid_invoices == 0
    with pytest.raises(Conflict) as refused:
        world.pay(token="tok_sandbox_ok")
    assert refused.value.problem == "invoice-not-payable"
    assert len(world.paid_events()) == 1
    world.assert_ledger_agrees()


def test_BI_08_a_declined_card_leaves_the_invoice_open_and_the_balance_untouched():
    world = World(balance=1000)
    payment = world.pay(token="tok_sandbox_declined", use_prepaid=True)
    assert payment.status == DECLINED
    assert world.invoice.status == OPEN and world.account.balance_minor == 1000
    with pytest.raises(paying.PaymentDeclined):
        paying.outcome(payment)
    assert world.paid_events() == []
    world.assert_ledger_agrees()


def test_BI_08_a_temporary_failure_can_be_tried_again():
    world = World()
    payment = world.pay(token="tok_sandbox_unavailable")
    assert payment.status == FAILED
    with pytest.raises(paying.ProviderUnavailable):
        paying.outcome(payment)
    assert world.pay(token="tok_sandbox_ok").status == SUCCEEDED
    world.assert_ledger_agrees()


def test_BI_08_a_late_success_pays_the_invoice_when_the_scheduler_asks_again_and_blocks_a_second_payment():
    now = [1000.0]
    world = World(balance=500)
    world.sandbox = CardSandbox(now=lambda: now[0])
    payment = world.pay(token="tok_sandbox_late", use_prepaid=True)
    assert payment.status == PENDING and payment.prepaid_minor == 500 and payment.card_minor == 2711
    assert world.account.balance_minor == 0  # held while the charge is undecided
    with pytest.raises(Conflict) as refused:
        world.pay(token="tok_sandbox_ok")
    assert refused.value.problem == "payment-in-progress"
    assert paying.settle_pending(world.uow_factory, world.sandbox) == 0  # still pending
    now[0] += 5
    assert paying.settle_pending(world.uow_factory, world.sandbox) == 1
    assert world.invoice.status == PAID and len(world.paid_events()) == 1
    assert paying.settle_pending(world.uow_factory, world.sandbox) == 0
    world.assert_ledger_agrees()


def test_BI_08_a_late_decline_returns_the_held_prepaid_part():
    now = [1000.0]
    world = World(balance=500)
    world.sandbox = CardSandbox(now=lambda: now[0])
    world.pay(token="tok_sandbox_late_declined", use_prepaid=True)
    now[0] += 5
    paying.settle_pending(world.uow_factory, world.sandbox)
    assert world.invoice.status == OPEN and world.account.balance_minor == 500
    assert [m.kind for m in world.uow.movements][-2:] == ["invoice_payment", "payment_returned"]
    world.assert_ledger_agrees()


def test_BI_10_an_invoice_is_paid_partly_from_the_balance_then_by_card():
    world = World(balance=1000)
    payment = world.pay(prepaid=1000)
    assert payment.status == SUCCEEDED and world.invoice.status == PARTIALLY_PAID
    assert world.account.balance_minor == 0 and world.standing().prepaid_balance_minor == 0
    assert world.standing().unpaid_invoices == 1
    payment = world.pay(token="tok_sandbox_ok")
    assert payment.card_minor == 2211 and world.invoice.status == PAID
    world.assert_ledger_agrees()


def test_BI_10_balance_plus_card_in_one_payment():
    world = World(balance=1200)
    payment = world.pay(token="tok_sandbox_ok", use_prepaid=True)
    assert (payment.prepaid_minor, payment.card_minor, payment.method) == (1200, 2011, "prepaid_and_card")
    assert world.invoice.status == PAID and world.account.balance_minor == 0
    world.assert_ledger_agrees()


def test_BI_10_the_balance_pays_no_more_than_it_holds_nor_more_than_is_owed():
    world = World(balance=1000)
    with pytest.raises(Invalid) as refused:
        world.pay(prepaid=1001)
    assert refused.value.extra["invalid_params"][0]["name"] == "prepaid_amount_minor"
    world.top_up(5000)
    with pytest.raises(Invalid):
        world.pay(prepaid=3212)
    with pytest.raises(Invalid):
        world.pay(prepaid=0)
    world.pay(use_prepaid=True)
    assert world.invoice.status == PAID and world.account.balance_minor == 6000 - 3211
    world.assert_ledger_agrees()


def test_BI_10_withdrawing_never_takes_the_balance_below_zero():
    world = World(balance=1000)
    paying.withdraw(world.uow, OWNER, ORG, 400)
    with pytest.raises(Conflict) as refused:
        paying.withdraw(world.uow, OWNER, ORG, 601)
    assert refused.value.problem == "balance-too-low"
    paying.withdraw(world.uow, OWNER, ORG, 600)
    assert world.account.balance_minor == 0 and world.standing().prepaid_balance_minor == 0
    world.assert_ledger_agrees()


def test_BI_10_a_declined_top_up_adds_nothing():
    world = World(balance=1000)
    assert world.top_up(500, token="tok_sandbox_declined").status == DECLINED
    assert world.account.balance_minor == 1000
    world.assert_ledger_agrees()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["top_up", "withdraw", "pay_prepaid", "pay_card", "pay_both"]),
                          st.integers(min_value=1, max_value=5000),
                          st.sampled_from(["tok_sandbox_ok", "tok_sandbox_declined", "tok_sandbox_unavailable"])),
                max_size=12))
def test_BI_10_the_ledger_balances_and_the_balance_stays_at_or_above_zero_whatever_happens(steps):
    world = World()
    for action, minor, token in steps:
        try:
            if action == "top_up":
                world.top_up(minor, token)
            elif action == "withdraw":
                paying.withdraw(world.uow, OWNER, ORG, minor)
            elif action == "pay_prepaid":
                world.pay(prepaid=minor)
            elif action == "pay_card":
                world.pay(token=token)
            else:
                world.pay(token=token, use_prepaid=True)
        except (Conflict, Invalid):
            pass
        world.assert_ledger_agrees()
    assert len(world.paid_events()) == (1 if world.invoice.status == PAID else 0)


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.booleans(), st.booleans())
def test_BI_10_a_split_never_pays_more_than_owed_nor_takes_more_than_the_balance(owed, balance, card, use_prepaid):
    try:
        parts = split(owed, balance, card=card, prepaid_minor=None, use_prepaid=use_prepaid)
    except ValueError:
        return
    assert 0 <= parts.prepaid_minor <= min(owed, balance)
    assert parts.prepaid_minor + parts.card_minor <= owed
    if card:
        assert parts.prepaid_minor + parts.card_minor == owed


def test_BI_10_a_movement_refuses_to_go_below_zero():
    account = BillingAccount("a", ORG, "CHF", balance_minor=10)
    with pytest.raises(BalanceTooLow):
        move(account, "withdrawal", -11, None)
    assert account.balance_minor == 10


def test_BI_08_the_sandbox_knows_its_test_tokens_and_declines_others():
    sandbox = CardSandbox(now=lambda: 100.0)
    assert sandbox.charge("tok_sandbox_ok", 100, "CHF", "p1").outcome == SUCCEEDED
    assert sandbox.charge("tok_sandbox_declined", 100, "CHF", "p1").outcome == DECLINED
    assert sandbox.charge("tok_sandbox_unavailable", 100, "CHF", "p1").outcome == FAILED
    assert sandbox.charge("tok_whatever", 100, "CHF", "p1").outcome == DECLINED
    late = sandbox.charge("tok_sandbox_late", 100, "CHF", "p1")
    assert late.outcome == PENDING and sandbox.status(late.reference).outcome == PENDING
    assert CardSandbox(now=lambda: 103.0).status(late.reference).outcome == SUCCEEDED
    assert sandbox.status("garbage").outcome == DECLINED
