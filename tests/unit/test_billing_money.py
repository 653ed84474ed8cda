"""Billing's money rules (services/billing/domain): one rounding rule, periods by billing day,
proration of upgrades (BI-01, BI-02) and of frequency changes (BI-09) by actual days, VAT as dated
data, and a ledger whose postings always balance."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from services.billing.domain.ledger import Ledger, Unbalanced, posting
from services.billing.domain.money import CurrencyMismatch, Money, rounded
from services.billing.domain.periods import Frequency, Period, period_containing, unused_credit, upgrade_due
from services.billing.domain.vat import NoRate, rate_on, tax_on, treatment

CHF = lambda minor: Money(minor, "CHF")  # noqa: E731
EUR = lambda minor: Money(minor, "EUR")  # noqa: E731
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)


# --- the rounding rule, once -------------------------------------------------------------------

@pytest.mark.parametrize("exact, cents", [
    (Fraction(1, 2), 1), (Fraction(-1, 2), -1), (Fraction(3, 2), 2), (Fraction(5, 2), 3),
    (Fraction(249, 100), 2), (Fraction(251, 100), 3), (Fraction(-251, 100), -3), (Fraction(0), 0),
    (Fraction(10, 3), 3), (Fraction(20, 3), 7),
])
def test_amounts_round_half_away_from_zero_to_the_cent(exact, cents):
    assert rounded(exact) == cents


@given(st.fractions(min_value=-10**9, max_value=10**9))
def test_rounding_is_never_off_by_more_than_half_a_cent(exact):
    assert abs(rounded(exact) - exact) <= Fraction(1, 2)
    assert rounded(-exact) == -rounded(exact)  # symmetric: a credit mirrors its charge


def test_money_is_whole_minor_units_of_one_currency():
    with pytest.raises(TypeError):
        Money(9.99, "CHF")
    with pytest.raises(ValueError):
        Money(100, "USD")
    with pytest.raises(CurrencyMismatch):
        CHF(100) + EUR(100)
    assert CHF(1999) - CHF(999) == CHF(1000)
    assert str(CHF(-1205)) == "-12.05 CHF"


# --- billing periods ----------------------------------------------------------------------------

@pytest.mark.parametrize("started, frequency, on, start, end", [
    (date(2026, 1, 15), Frequency.MONTHLY, date(2026, 3, 20), date(2026, 3, 15), date(2026, 4, 15)),
    # billing day 31: the month's last day where there is no 31st, back to the 31st after
    (date(2026, 1, 31), Frequency.MONTHLY, date(2026, 2, 10), date(2026, 1, 31), date(2026, 2, 28)),
    (date(2026, 1, 31), Frequency.MONTHLY, date(2026, 3, 5), date(2026, 2, 28), date(2026, 3, 31)),
    (date(2026, 1, 31), Frequency.MONTHLY, date(2026, 4, 30), date(2026, 4, 30), date(2026, 5, 31)),
    # billing day 29 in February of a leap year and of a common year
    (date(2027, 12, 29), Frequency.MONTHLY, date(2028, 2, 29), date(2028, 2, 29), date(2028, 3, 29)),
    (date(2026, 12, 29), Frequency.MONTHLY, date(2027, 2, 28), date(2027, 2, 28), date(2027, 3, 29)),
    (date(2026, 1, 30), Frequency.MONTHLY, date(2026, 3, 1), date(2026, 2, 28), date(2026, 3, 30)),
    # a year that started on a leap day renews on 28 February, and on the 29th in the next leap year
    (date(2024, 2, 29), Frequency.YEARLY, date(2025, 6, 1), date(2025, 2, 28), date(2026, 2, 28)),
    (date(2024, 2, 29), Frequency.YEARLY, date(2028, 3, 1), date(2028, 2, 29), date(2029, 2, 28)),
    (date(2026, 11, 30), Frequency.QUARTERLY, date(2027, 3, 1), date(2027, 2, 28), date(2027, 5, 30)),
    (date(2026, 11, 30), Frequency.QUARTERLY, date(2026, 11, 30), date(2026, 11, 30), date(2027, 2, 28)),
])
def test_periods_run_from_billing_day_to_billing_day(started, frequency, on, start, end):
    assert period_containing(started, frequency, on) == Period(start, end)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)), st.sampled_from(list(Frequency)),
       st.integers(min_value=0, max_value=3650))
def test_periods_hold_the_day_and_follow_each_other_without_gap(started, frequency, later):
    on = started + timedelta(days=later)
    period = period_containing(started, frequency, on)
    assert period.start <= on < period.end
    assert 28 * frequency.months <= period.days <= 31 * frequency.months
    assert period_containing(started, frequency, period.end).start == period.end  # no gap, no overlap
    if period.start > started:
        assert period_containing(started, frequency, period.start - timedelta(days=1)).end == period.start


# --- BI-01 / BI-02: an upgrade charges the difference for the days left ---------------------------

def test_BI_01_an_upgrade_charges_the_difference_for_the_days_left_of_the_period():
    april = Period(date(2026, 4, 1), date(2026, 5, 1))  # 30 days
    assert upgrade_due(CHF(1000), CHF(2000), april, date(2026, 4, 16)) == CHF(500)  # 15 days left
    assert upgrade_due(CHF(1000), CHF(2000), april, date(2026, 4, 1)) == CHF(1000)  # the whole period
    assert upgrade_due(CHF(1000), CHF(2000), april, date(2026, 4, 30)) == CHF(33)  # the last day: 33.33 cents


def test_BI_01_february_counts_its_actual_days():
    common = Period(date(2027, 2, 1), date(2027, 3, 1))  # 28 days
    leap = Period(date(2028, 2, 1), date(2028, 3, 1))  # 29 days
    assert upgrade_due(EUR(999), EUR(1999), common, date(2027, 2, 15)) == EUR(500)  # 14 of 28
    assert upgrade_due(EUR(999), EUR(1999), leap, date(2028, 2, 15)) == EUR(517)  # 15 of 29: 517.24


def test_BI_01_the_amount_is_rounded_once_never_the_daily_rate():
    """9.90 to 19.95 with 10 of 31 days left: 10.05 x 10 / 31 = 3.2419 -> 3.24. Rounding each daily
    rate first (0.32 and 0.64) would charge 3.20."""
    july = Period(date(2026, 7, 1), date(2026, 8, 1))
    assert upgrade_due(CHF(990), CHF(1995), july, date(2026, 7, 22)) == CHF(324)


def test_BI_02_an_add_on_priced_with_the_plan_rises_by_the_same_rule():
    """Parallel events cost 5.00 with the small plan and 8.00 with the large one: upgrading both on
    the 16th of April adds 1.50 for the add-on beside 5.00 for the plan."""
    april = Period(date(2026, 4, 1), date(2026, 5, 1))
    plan = upgrade_due(CHF(1000), CHF(2000), april, date(2026, 4, 16))
    add_on = upgrade_due(CHF(500), CHF(800), april, date(2026, 4, 16))
    assert (plan, add_on) == (CHF(500), CHF(150))


def test_BI_03_a_lower_price_is_no_upgrade():
    with pytest.raises(ValueError):
        upgrade_due(CHF(2000), CHF(1000), Period(date(2026, 4, 1), date(2026, 5, 1)), date(2026, 4, 16))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)), st.sampled_from(list(Frequency)),
       st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=10**7),
       st.integers(min_value=0, max_value=10**7))
def test_BI_01_an_upgrade_never_costs_more_than_the_difference_of_a_whole_period(started, frequency, later, old, extra):
    on = started + timedelta(days=later)
    period = period_containing(started, frequency, on)
    due = upgrade_due(CHF(old), CHF(old + extra), period, on)
    assert CHF(0) <= due <= CHF(extra)
    exact = Fraction(extra * period.days_left(on), period.days)
    assert abs(due.minor - exact) <= Fraction(1, 2)


# --- BI-09: a frequency change never bills a paid day twice ---------------------------------------

def test_BI_09_the_unused_part_of_a_paid_year_is_credited():
    year = Period(date(2026, 1, 1), date(2027, 1, 1))  # 365 days, 120.00 paid
    assert unused_credit(CHF(12000), year, date(2026, 7, 1)) == CHF(6049)  # 184 days: 60.49315
    assert unused_credit(CHF(12000), year, date(2026, 1, 1)) == CHF(12000)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)), st.integers(min_value=0, max_value=364),
       st.integers(min_value=0, max_value=10**8))
def test_BI_09_credit_and_use_of_a_period_add_up_to_what_was_paid(started, later, paid):
    on = started + timedelta(days=later)
    period = period_containing(started, Frequency.YEARLY, on)
    credit = unused_credit(CHF(paid), period, on)
    used = Fraction(paid * (period.days - period.days_left(on)), period.days)
    assert abs(credit.minor + used - paid) <= Fraction(1, 2)  # nothing billed twice, at most a rounding cent


# --- VAT as dated data ------------------------------------------------------------------------------

def test_swiss_vat_is_8_1_percent_since_2024_and_covers_liechtenstein():
    assert rate_on("CH", date(2023, 12, 31)) == Fraction("7.7")
    assert rate_on("CH", date(2024, 1, 1)) == Fraction("8.1")
    assert treatment("LI", date(2026, 5, 4), valid_vat_id=False).rate == Fraction("8.1")
    assert treatment("CH", date(2026, 5, 4), valid_vat_id=True).rate == Fraction("8.1")


def test_eu_consumers_pay_their_countrys_rate_and_businesses_reverse_charge():
    assert treatment("DE", date(2026, 5, 4), valid_vat_id=False).rate == 19
    assert treatment("DE", date(2020, 8, 1), valid_vat_id=False).rate == 16  # the reduced second half of 2020
    assert treatment("FR", date(2026, 5, 4), valid_vat_id=False).rate == 20
    business = treatment("DE", date(2026, 5, 4), valid_vat_id=True)
    assert (business.rate, business.reverse_charge) == (0, True) and "Reverse charge" in business.note
    export = treatment("US", date(2026, 5, 4), valid_vat_id=False)
    assert (export.rate, export.reverse_charge) == (0, False)


def test_a_day_before_any_known_rate_has_no_rate():
    with pytest.raises(NoRate):
        rate_on("CH", date(2010, 1, 1))


def test_vat_is_rounded_once_on_the_total():
    lines = [990, 990, 990]  # three lines of 9.90 at 8.1 %: 0.8019 each
    assert rounded(sum(tax_on(net, Fraction("8.1")) for net in lines)) == 241  # not 3 x 0.80 = 2.40


# --- the ledger ----------------------------------------------------------------------------------

def test_a_posting_whose_debits_and_credits_differ_is_refused():
    with pytest.raises(Unbalanced):
        posting("p-1", "invoice", NOW, debit={"receivable:o-1": CHF(10810)}, credit={"revenue": CHF(10000)})
    with pytest.raises(Unbalanced):
        posting("p-2", "mixed", NOW, debit={"cash:card": CHF(100)}, credit={"revenue": EUR(100)})


def test_topping_up_invoicing_and_paying_from_the_prepaid_balance_balances():
    ledger = Ledger()
    ledger.post(posting("p-1", "top-up", NOW, debit={"cash:card": CHF(5000)}, credit={"prepaid:o-1": CHF(5000)}))
    ledger.post(posting("p-2", "invoice I-CHF-2026-000001", NOW, debit={"receivable:o-1": CHF(10810)},
                        credit={"revenue": CHF(10000), "vat:CH": CHF(810)}))
    ledger.post(posting("p-3", "payment of I-CHF-2026-000001", NOW,
                        debit={"prepaid:o-1": CHF(5000), "cash:card": CHF(5810)}, credit={"receivable:o-1": CHF(10810)}))
    assert ledger.balance("receivable:o-1", "CHF") == CHF(0)
    assert ledger.balance("prepaid:o-1", "CHF") == CHF(0)
    assert ledger.balance("cash:card", "CHF") == CHF(10810)
    assert ledger.trial_balance() == {"CHF": 0}
