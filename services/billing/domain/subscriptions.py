"""Subscriptions and the rules of changing them (BI-01 … BI-04, BI-09, BI-19).

- An upgrade (a larger paid plan) costs now the difference for the days left of the current
  period, for the plan and for each add-on priced with it; the renewal date stays, the full new
  prices apply from the next period. What it costs is shown before it is confirmed (`upgrade_quote`).
- A downgrade waits for the next term, goes only to a paid plan (never to a free trial), and
  invalidates the account's promo codes.
- Near a plan's capacity the customer is told and offered the next size.
- Changing the billing frequency never bills a paid day twice: the unused part of the paid period
  is credited and the new frequency starts that day.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

from .catalog import Plan, Product
from .money import Money
from .periods import Frequency, Period, period_containing, unused_credit, upgrade_due

CAPACITY_NOTICE_AT = Fraction(8, 10)  # share of a plan's capacity at which the customer is told


class ChangeRefused(ValueError):
    """A change of plan or frequency the rules do not allow; says why."""


@dataclass(frozen=True)
class Subscription:
    id: str
    org_id: str
    product_id: str
    plan_id: str
    frequency: Frequency
    started_on: date  # its day of the month is the billing day
    add_on_ids: frozenset[str] = frozenset()
    next_plan_id: str | None = None  # a downgrade waiting for the next term
    promo_codes: tuple[str, ...] = ()
    # as it is kept and shown (BI-05, BI-11, BI-19)
    status: str = "active"  # trial, active or ended
    auto_renew: bool = True
    trial_ends_on: date | None = None
    ended_on: date | None = None
    next_frequency: Frequency | None = None  # a change to a shorter frequency waits for the paid term (BI-09)
    # BI-11: the day the current term ends (a trial's last day past), and the invoice of the next
    # term once the renewal issued it; none: the term a change of its start day begins
    term_ends_on: date | None = None
    renewal_invoice_id: str | None = None

    def period(self, on: date) -> Period:
        return period_containing(self.started_on, self.frequency, on)

    def term_end(self) -> date:
        """The day the current term ends (excluded): the trial's end, or the paid period's."""
        if self.term_ends_on is not None:
            return self.term_ends_on
        if self.status == "trial" and self.trial_ends_on is not None:
            return self.trial_ends_on
        return self.period(self.started_on).end


@dataclass(frozen=True)
class Line:
    description: str
    amount: Money


@dataclass(frozen=True)
class Quote:
    """What a change costs now, line by line, and when the subscription renews."""
    lines: tuple[Line, ...]
    renews_on: date
    subscription: Subscription = field(compare=False)  # as it is once the change is confirmed

    @property
    def total(self) -> Money:
        total = Money.zero(self.lines[0].amount.currency) if self.lines else None
        for line in self.lines:
            total = total + line.amount
        return total


def upgrade_quote(subscription: Subscription, product: Product, plan_id: str, on: date) -> Quote:
    """BI-01, BI-02: the amount due now for moving to a larger plan on `on`."""
    current, target = product.plan(subscription.plan_id), product.plan(plan_id)
    if target.is_trial:
        raise ChangeRefused("A free trial is not an upgrade.")
    if target.size <= current.size:
        raise ChangeRefused("That plan is not larger: a smaller plan is a downgrade, at the next term.")
    upgraded = replace(subscription, plan_id=target.id, next_plan_id=None)
    if current.is_trial:  # the first paid period starts today
        upgraded = replace(upgraded, started_on=on, term_ends_on=None, renewal_invoice_id=None)
        lines = [Line(f"{product.name} {target.name}", target.price(subscription.frequency))]
        lines += [Line(product.add_on(a).name, product.add_on(a).price(target.id, subscription.frequency))
                  for a in sorted(subscription.add_on_ids)]
        return Quote(tuple(lines), upgraded.period(on).end, upgraded)
    period = subscription.period(on)
    lines = [Line(f"{product.name}: {current.name} to {target.name}, {period.days_left(on)} of {period.days} days",
                  upgrade_due(current.price(subscription.frequency), target.price(subscription.frequency), period, on))]
    for add_on_id in sorted(subscription.add_on_ids):
        add_on = product.add_on(add_on_id)
        lines.append(Line(f"{add_on.name} with {target.name}, {period.days_left(on)} of {period.days} days",
                          upgrade_due(add_on.price(current.id, subscription.frequency),
                                      add_on.price(target.id, subscription.frequency), period, on)))
    return Quote(tuple(lines), period.end, upgraded)


def schedule_downgrade(subscription: Subscription, product: Product, plan_id: str, on: date) -> tuple[Subscription, date]:
    """BI-03, BI-19: a smaller paid plan from the next term; the promo codes of the subscription
    no longer apply. Answers the subscription and the day the downgrade takes effect."""
    current, target = product.plan(subscription.plan_id), product.plan(plan_id)
    if target.is_trial:
        raise ChangeRefused("A subscription cannot go back to a free trial.")
    if current.is_trial:
        raise ChangeRefused("A free trial is already the smallest: choose a paid plan to upgrade to.")
    if target.size >= current.size:
        raise ChangeRefused("That plan is not smaller: a larger plan is an upgrade, charged now.")
    return replace(subscription, next_plan_id=target.id, promo_codes=()), subscription.period(on).end


def renew(subscription: Subscription) -> Subscription:
    """At the end of a term a scheduled downgrade takes effect."""
    if subscription.next_plan_id is None:
        return subscription
    return replace(subscription, plan_id=subscription.next_plan_id, next_plan_id=None)


@dataclass(frozen=True)
class CapacityNotice:
    measure: str
    used: int
    capacity: int
    offer: Plan | None  # the next larger plan, when there is one


def capacity_notices(product: Product, plan: Plan, usage: dict[str, int]) -> list[CapacityNotice]:
    """BI-04: every measure at 80 % of the plan's capacity or more, with the next size offered."""
    larger = product.larger_than(plan)
    return [CapacityNotice(measure, usage.get(measure, 0), capacity, larger[0] if larger else None)
            for measure, capacity in sorted(plan.capacity.items())
            if capacity > 0 and Fraction(usage.get(measure, 0), capacity) >= CAPACITY_NOTICE_AT]


def frequency_change_quote(subscription: Subscription, product: Product, frequency: Frequency, on: date) -> Quote:
    """BI-09: the new frequency starts on `on`; its first period is charged and the unused part of
    the paid period credited, so no paid day is billed twice, whatever the day of the month."""
    if frequency == subscription.frequency:
        raise ChangeRefused("The subscription is billed that way already.")
    plan = product.plan(subscription.plan_id)
    if plan.is_trial:
        raise ChangeRefused("A free trial is not billed.")
    changed = replace(subscription, frequency=frequency, started_on=on, term_ends_on=None, renewal_invoice_id=None)
    paid = subscription.period(on)
    lines = [Line(f"{product.name} {plan.name}, {frequency.name.lower()} from {on.isoformat()}", plan.price(frequency)),
             Line(f"Unused {paid.days_left(on)} of {paid.days} days already paid",
                  -unused_credit(plan.price(subscription.frequency), paid, on))]
    for add_on_id in sorted(subscription.add_on_ids):
        add_on = product.add_on(add_on_id)
        lines.append(Line(f"{add_on.name}, {frequency.name.lower()}", add_on.price(plan.id, frequency)))
        lines.append(Line(f"{add_on.name}: unused days already paid",
                          -unused_credit(add_on.price(plan.id, subscription.frequency), paid, on)))
    return Quote(tuple(lines), changed.period(on).end, changed)


def may_change_frequency_on_offer(offer_total: Money, threshold: Money) -> bool:
    """BI-09: on an offer the frequency may be changed only above a configured amount."""
    return threshold < offer_total
