"""Billing periods and the proration of a change of plan (BI-01, BI-02, BI-09).

A subscription renews on its billing day (the day of the month it started). A period runs from one
renewal date to the next, one, three or twelve months on; in a month without the billing day (the
31st in April, the 29th in February of a common year) it renews on that month's last day, and
returns to the billing day the month after.

Proration by actual days, as WHMCS and Kill Bill do it:

    due now = (new price - old price) of a period x days left / days in the period

worked out exactly and rounded once, half away from zero to the cent (money.py). Days left count
from the day of the change (it included) to the renewal date (excluded). The renewal date stays; the
full new price applies from the next period.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import Enum
from fractions import Fraction

from .money import Money


class Frequency(Enum):
    MONTHLY = 1
    QUARTERLY = 3
    YEARLY = 12

    @property
    def months(self) -> int:
        return self.value


def _renewal(billing_day: int, year: int, month: int) -> date:
    """The renewal date in a month: the billing day, or the month's last day when it has none."""
    return date(year, month, min(billing_day, calendar.monthrange(year, month)[1]))


def _months_after(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    start: date  # included
    end: date  # excluded: the next renewal date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def days_left(self, on: date) -> int:
        if not self.start <= on < self.end:
            raise ValueError(f"{on} is not in the period {self.start} to {self.end}")
        return (self.end - on).days


def period_containing(started: date, frequency: Frequency, on: date) -> Period:
    """The billing period of a subscription started on `started` that holds the day `on`."""
    if on < started:
        raise ValueError("the subscription had not started yet")
    billing_day = started.day
    # Periods counted from the start: the n-th begins n x months after it.
    elapsed = (on.year - started.year) * 12 + (on.month - started.month)
    n = elapsed // frequency.months
    while True:
        start = _renewal(billing_day, *_months_after(started.year, started.month, n * frequency.months))
        end = _renewal(billing_day, *_months_after(started.year, started.month, (n + 1) * frequency.months))
        if on < start:
            n -= 1
        elif on >= end:
            n += 1
        else:
            return Period(start, end)


def prorated(price_per_period: Money, period: Period, on: date) -> Fraction:
    """The exact, unrounded share of a period's price for the days left from `on`."""
    return price_per_period.times(Fraction(period.days_left(on), period.days))


def upgrade_due(old_price: Money, new_price: Money, period: Period, on: date) -> Money:
    """BI-01: what an upgrade on `on` costs now: the difference of the two prices for the days left
    of the current period, rounded once. Add-ons priced with the plan (BI-02) are upgraded by the
    same rule with their own old and new prices, each its own line."""
    if new_price < old_price:
        raise ValueError("a lower price is a downgrade: it takes effect at the next term (BI-03)")
    return Money.of(prorated(new_price, period, on) - prorated(old_price, period, on), old_price.currency)


def unused_credit(price_paid: Money, period: Period, on: date) -> Money:
    """BI-09: the part of a paid period not yet used, from `on` (credited when the frequency is
    changed mid-term, so that no paid day is billed twice)."""
    return Money.of(prorated(price_paid, period, on), price_paid.currency)
