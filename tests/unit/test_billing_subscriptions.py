"""Changing a subscription (services/billing/domain/subscriptions.py): upgrades charged for the days
left (BI-01, BI-02), downgrades at the next term and never to a trial (BI-03, BI-19), capacity
notices (BI-04), frequency changes that never bill a paid day twice (BI-09)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from services.billing.domain.catalog import AddOn, Plan, Product
from services.billing.domain.money import Money
from services.billing.domain.periods import Frequency
from services.billing.domain.subscriptions import (
    ChangeRefused, Subscription, capacity_notices, frequency_change_quote, may_change_frequency_on_offer, renew,
    schedule_downgrade, upgrade_quote,
)

M, Q, Y = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.YEARLY
CHF = lambda minor: Money(minor, "CHF")  # noqa: E731

TRIAL = Plan("trial", "events", "Trial", size=0, trial_days=30, capacity={"events": 5})
S = Plan("s", "events", "S", size=1, prices={M: CHF(1000), Y: CHF(10000)}, capacity={"events": 10})
L = Plan("l", "events", "L", size=2, prices={M: CHF(2000), Y: CHF(20000)}, capacity={"events": 100})
XL = Plan("xl", "events", "XL", size=3, prices={M: CHF(4000), Y: CHF(40000)}, capacity={"events": 1000})
PARALLEL = AddOn("parallel", "events", "Parallel events", prices={
    "trial": {M: CHF(0)}, "s": {M: CHF(500), Y: CHF(5000)}, "l": {M: CHF(800), Y: CHF(8000)}, "xl": {M: CHF(1200)}})
EVENTS = Product("events", "hosting", "Event hosting", plans=(TRIAL, S, L, XL), add_ons=(PARALLEL,))


def subscribed(plan: Plan = S, *, add_ons=(), started=date(2026, 4, 1), frequency=M, promo=()) -> Subscription:
    return Subscription("sub-1", "o-1", "events", plan.id, frequency, started, frozenset(add_ons), promo_codes=promo)


def test_BI_01_an_upgrade_shows_what_it_costs_now_and_keeps_the_renewal_date():
    quote = upgrade_quote(subscribed(), EVENTS, "l", date(2026, 4, 16))
    assert quote.total == CHF(500)  # (20.00 - 10.00) x 15 / 30
    assert quote.renews_on == date(2026, 5, 1)
    assert quote.subscription.plan_id == "l" and quote.subscription.started_on == date(2026, 4, 1)
    assert "15 of 30 days" in quote.lines[0].description


def test_BI_02_add_ons_priced_with_the_plan_rise_with_the_upgrade():
    quote = upgrade_quote(subscribed(add_ons={"parallel"}), EVENTS, "l", date(2026, 4, 16))
    assert [line.amount for line in quote.lines] == [CHF(500), CHF(150)]  # (8.00 - 5.00) x 15 / 30
    assert quote.total == CHF(650)


def test_BI_01_from_a_trial_the_first_paid_period_starts_on_the_day():
    quote = upgrade_quote(subscribed(TRIAL, started=date(2026, 4, 1)), EVENTS, "l", date(2026, 4, 20))
    assert quote.total == CHF(2000) and quote.renews_on == date(2026, 5, 20)


@pytest.mark.parametrize("target", ["s", "trial"])
def test_BI_01_only_a_larger_paid_plan_is_an_upgrade(target):
    with pytest.raises(ChangeRefused):
        upgrade_quote(subscribed(L), EVENTS, target, date(2026, 4, 16))


def test_BI_03_a_downgrade_waits_for_the_next_term_and_ends_the_promo_codes():
    changed, effective = schedule_downgrade(subscribed(XL, promo=("SPRING26",)), EVENTS, "s", date(2026, 4, 16))
    assert effective == date(2026, 5, 1)
    assert (changed.plan_id, changed.next_plan_id, changed.promo_codes) == ("xl", "s", ())
    assert renew(changed).plan_id == "s" and renew(changed).next_plan_id is None


def test_BI_19_a_downgrade_never_goes_to_a_free_trial():
    with pytest.raises(ChangeRefused, match="free trial"):
        schedule_downgrade(subscribed(L), EVENTS, "trial", date(2026, 4, 16))


def test_BI_03_a_larger_plan_is_no_downgrade():
    with pytest.raises(ChangeRefused):
        schedule_downgrade(subscribed(S), EVENTS, "l", date(2026, 4, 16))


def test_BI_04_near_its_capacity_the_customer_is_offered_the_next_size():
    notices = capacity_notices(EVENTS, S, {"events": 8})
    assert [(n.measure, n.used, n.capacity, n.offer.id) for n in notices] == [("events", 8, 10, "l")]
    assert capacity_notices(EVENTS, S, {"events": 7}) == []
    assert capacity_notices(EVENTS, XL, {"events": 999})[0].offer is None  # the largest has none to offer


def test_BI_09_a_shorter_frequency_mid_year_credits_the_unused_paid_days():
    """Paid yearly (100.00) from 1 January; monthly from 1 July: 184 of 365 days are credited."""
    yearly = subscribed(S, started=date(2026, 1, 1), frequency=Y)
    quote = frequency_change_quote(yearly, EVENTS, M, date(2026, 7, 1))
    assert [line.amount for line in quote.lines] == [CHF(1000), CHF(-5041)]  # 100.00 x 184 / 365 = 50.41
    assert quote.total == CHF(-4041)  # a credit: nothing already paid is billed again
    assert quote.renews_on == date(2026, 8, 1)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2060, 1, 1)), st.integers(min_value=0, max_value=364))
def test_BI_09_whatever_the_day_a_frequency_change_bills_no_paid_day_twice(started, later):
    """The credit of the paid period and the days used of it add up to what was paid."""
    on = started + timedelta(days=later)
    yearly = subscribed(S, started=started, frequency=Y)
    quote = frequency_change_quote(yearly, EVENTS, M, on)
    paid = yearly.period(on)
    used = 10000 * (paid.days - paid.days_left(on)) / paid.days
    assert abs(-quote.lines[1].amount.minor + used - 10000) <= 0.5


def test_BI_09_on_an_offer_the_frequency_changes_only_above_the_amount():
    assert may_change_frequency_on_offer(CHF(50001), CHF(50000))
    assert not may_change_frequency_on_offer(CHF(50000), CHF(50000))
