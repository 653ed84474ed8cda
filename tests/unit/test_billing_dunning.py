"""Dunning's stages with in-memory fakes (services/billing/domain/dunning.py): reminders at the
configured days, each level once, suspension on the day the reminder announced, resumption once
nothing unpaid holds the service (BI-06, BI-08, BI-16)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from portico_kernel.clock import FakeClock
from services.billing.domain import dunning, issuing, orders, paying
from services.billing.domain.dunning import Policy, PolicyRefused, Step, next_step
from services.billing.domain.events import InvoiceOverdue, ServiceResumed, ServiceSuspended

from .test_billing_issuing import ORG, OWNER, a_uow, account

POLICY = Policy((3, 14), 30, 7)
DUE = date(2026, 6, 3)
ISSUED = datetime(2026, 5, 4, 9, tzinfo=timezone.utc)  # due 30 days later: DUE


class Receivables:
    """The invoices as paying sees them, over the issuing fake."""

    def __init__(self, invoices):
        self.invoices = invoices

    def locked(self, invoice_id):
        document = self.invoices.get(invoice_id)
        return document.invoice if document else None

    get = locked

    def save(self, invoice):
        self.invoices.save_status(invoice)


class World:
    """An organization that ordered hosting: an open invoice due on DUE, and its subscription."""

    def __init__(self, *items):
        self.clock = FakeClock(ISSUED)
        self.uow = a_uow(account("CH"), clock=self.clock)
        self.uow.receivables = Receivables(self.uow.invoices)
        order, self.document = orders.place(self.uow, OWNER, ORG, list(items) or [orders.Item("web-hosting", "web-s",
                                                                                               "monthly")], [])
        self.subscriptions = [s.id for s, _, _ in order.subscriptions]
        self.uow.emitted.clear()

    def on(self, day: date) -> int:
        self.clock.set(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=2))
        return dunning.overdue_round(lambda reading=False: self.uow, POLICY)

    def emitted(self, kind):
        return [event for event, _ in self.uow.emitted if isinstance(event, kind)]

    def status(self, subscription_id=None):
        return self.uow.subscriptions.get(subscription_id or self.subscriptions[0]).status


# --- the rule ------------------------------------------------------------------------------------

def test_BI_16_no_reminder_before_the_first_configured_day():
    assert next_step(POLICY, DUE, DUE, {}, suspendable=True) is None
    assert next_step(POLICY, DUE, DUE + timedelta(days=2), {}, suspendable=True) is None
    assert next_step(POLICY, DUE, DUE + timedelta(days=3), {}, suspendable=True) == Step(1, DUE + timedelta(days=30))


def test_BI_16_each_level_once_and_the_highest_reached_when_several_are():
    taken = {1: DUE + timedelta(days=30)}
    assert next_step(POLICY, DUE, DUE + timedelta(days=5), taken, suspendable=True) is None
    assert next_step(POLICY, DUE, DUE + timedelta(days=14), taken, suspendable=True) == Step(2, DUE + timedelta(days=30))
    # the scheduler was away: level 2 only, and the suspension a full notice later
    assert next_step(POLICY, DUE, DUE + timedelta(days=28), {}, suspendable=True) == Step(2, DUE + timedelta(days=35))


def test_BI_16_suspension_comes_on_the_day_the_last_reminder_announced_never_sooner():
    taken = {1: DUE + timedelta(days=30), 2: DUE + timedelta(days=35)}
    assert next_step(POLICY, DUE, DUE + timedelta(days=30), taken, suspendable=True) is None
    assert next_step(POLICY, DUE, DUE + timedelta(days=35), taken, suspendable=True) == Step(3)
    assert next_step(POLICY, DUE, DUE + timedelta(days=90), {**taken, 3: None}, suspendable=True) is None
    # nothing was reminded of yet: a reminder first, never a suspension out of the blue
    assert next_step(POLICY, DUE, DUE + timedelta(days=60), {}, suspendable=True) == Step(2, DUE + timedelta(days=67))


def test_BI_16_an_invoice_without_services_is_reminded_of_without_a_suspension_day():
    assert next_step(POLICY, DUE, DUE + timedelta(days=3), {}, suspendable=False) == Step(1, None)
    assert next_step(POLICY, DUE, DUE + timedelta(days=30), {1: None, 2: None}, suspendable=False) == Step(3)


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12))
def test_BI_16_whatever_days_the_scheduler_runs_no_level_comes_twice_and_levels_rise(days):
    taken: dict = {}
    sent = []
    for late in sorted(days):
        step = next_step(POLICY, DUE, DUE + timedelta(days=late), taken, suspendable=True)
        if step is not None:
            assert step.level not in taken
            taken[step.level] = step.suspend_on
            sent.append(step.level)
    assert sent == sorted(sent)


@pytest.mark.parametrize("data", [{"reminder_days": []}, {"reminder_days": [14, 3]}, {"reminder_days": [0, 3]},
                                  {"reminder_days": [3, 14], "suspend_after_days": 14}])
def test_a_dunning_configuration_that_makes_no_sense_is_refused_at_start(data):
    with pytest.raises(PolicyRefused):
        Policy.from_data(data)


def test_the_catalogs_dunning_configuration_is_read():
    from services.billing.adapters.catalog_file import dunning_policy
    policy = dunning_policy()
    assert policy.reminder_days == (3, 14) and policy.suspend_after_days == 30 and policy.suspension_level == 3


# --- the round -------------------------------------------------------------------------------------

def test_BI_16_BI_06_reminders_then_suspension_then_payment_resumes_the_service():
    world = World()
    invoice = world.document.invoice
    assert invoice.due_on == DUE
    assert world.on(DUE + timedelta(days=2)) == 0
    assert world.on(DUE + timedelta(days=3)) == 1
    [first] = world.emitted(InvoiceOverdue)
    assert (first.level, first.number, first.outstanding, first.due_on, first.suspend_on) == (
        1, invoice.number, {"amount_minor": invoice.total.minor, "currency": "CHF"}, "2026-06-03", "2026-07-03")
    assert first.payment_reference == world.document.payment_reference and first.payment_reference
    assert world.on(DUE + timedelta(days=4)) == 0  # level 1 once
    assert world.on(DUE + timedelta(days=14)) == 1
    assert [e.level for e in world.emitted(InvoiceOverdue)] == [1, 2]
    assert world.status() == "active"
    assert world.on(DUE + timedelta(days=30)) == 1
    [suspended] = world.emitted(ServiceSuspended)
    assert (suspended.product_type, suspended.product_id, suspended.invoice_id, suspended.reason) == (
        "hosting", world.subscriptions[0], invoice.id, "unpaid_invoice")
    assert world.status() == "suspended"
    assert world.on(DUE + timedelta(days=60)) == 0  # dunning of this invoice has ended
    paying._paid_towards(world.uow, world.uow.receivables.locked(invoice.id), invoice.total.minor)
    [resumed] = world.emitted(ServiceResumed)
    assert resumed.product_id == world.subscriptions[0] and world.status() == "active"
    assert [type(e).__name__ for e in world.emitted(object)].count("InvoiceOverdue") == 2


def test_BI_16_a_partly_paid_invoice_is_reminded_of_what_is_still_outstanding():
    world = World()
    invoice = world.document.invoice
    paying._paid_towards(world.uow, invoice, 1000)
    world.on(DUE + timedelta(days=3))
    [reminder] = world.emitted(InvoiceOverdue)
    assert reminder.outstanding["amount_minor"] == invoice.total.minor - 1000
    assert reminder.total["amount_minor"] == invoice.total.minor


def test_BI_06_a_paid_or_cancelled_invoice_is_not_reminded_of():
    world = World()
    invoice = world.document.invoice
    paying._paid_towards(world.uow, invoice, invoice.total.minor)
    assert world.on(DUE + timedelta(days=3)) == 0 and world.emitted(InvoiceOverdue) == []
    other = World()
    issuing.cancel(other.uow, ORG, other.document.invoice.id)
    assert other.on(DUE + timedelta(days=40)) == 0 and other.emitted(InvoiceOverdue) == []


def test_BI_16_a_second_scheduler_finds_the_step_taken():
    world = World()
    world.clock.set(datetime.combine(DUE + timedelta(days=3), datetime.min.time(), tzinfo=timezone.utc))
    invoice_id = world.document.invoice.id
    assert dunning.take_step(world.uow, POLICY, invoice_id) is True
    assert dunning.take_step(world.uow, POLICY, invoice_id) is False
    assert len(world.emitted(InvoiceOverdue)) == 1


def test_BI_06_a_service_another_unpaid_invoice_holds_stays_suspended_until_both_are_paid():
    world = World()
    first = world.document.invoice
    subscription = world.subscriptions[0]
    # a second invoice for the same subscription (an add-on booked the same day)
    second = issuing.issue(world.uow, world.uow.accounts.of_org(ORG),
                           [issuing.Charge("Daily backup", first.lines[0].net, "web-hosting", subscription)]).invoice
    world.on(DUE + timedelta(days=3))
    world.on(DUE + timedelta(days=14))
    world.on(DUE + timedelta(days=30))
    assert len(world.emitted(ServiceSuspended)) == 1  # suspended once, held by both invoices
    assert sorted(world.uow.dunning.holders(subscription)) == sorted([first.id, second.id])
    paying._paid_towards(world.uow, world.uow.receivables.locked(first.id), first.total.minor)
    assert world.emitted(ServiceResumed) == [] and world.status() == "suspended"
    paying._paid_towards(world.uow, world.uow.receivables.locked(second.id), second.total.minor)
    assert len(world.emitted(ServiceResumed)) == 1 and world.status() == "active"


def test_BI_06_an_ended_subscription_is_not_suspended():
    world = World()
    from dataclasses import replace
    world.uow.subscriptions.save(replace(world.uow.subscriptions.get(world.subscriptions[0]), status="ended"))
    for late in (3, 14, 30):
        world.on(DUE + timedelta(days=late))
    assert world.emitted(ServiceSuspended) == [] and world.status() == "ended"
