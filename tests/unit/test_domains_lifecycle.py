"""A domain's life in dates, per TLD (DO-04 … DO-07): terms across leap years, month and year ends; the
phase on each boundary day; prices to keep it; the renewal limit; transfer locks; reminders; the renewal
warranty. Rules come from the shipped data file, so these dates are the registries' published ones."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.domains.adapters.tld_file import tld_catalog
from services.domains.domain.lifecycle import (
    LockingEvent, Phase, ReminderKind, TooLate, add_years, check_renewal, RenewalRefused, expiry_after,
    expiry_after_renewal, expiry_after_transfer, in_add_grace, longest_renewal, may_renew, may_transfer_out,
    phase_on, price_to_keep, reminder_due, reminders, renewal_refusal, renewal_warranty, timeline,
    transfer_lock_ends, transfer_locked_until, utc_day, warranty_renewal_day,
)
from services.domains.domain.tld_rules import ERRP_AFTER, ERRP_MONTH_BEFORE, ERRP_WEEK_BEFORE, Money

CATALOG = tld_catalog()
TLDS = ("ch", "li", "de", "com", "fr", "it")
D = date.fromisoformat


def rules(tld):
    return CATALOG[tld]


# --- Terms: leap years, month ends, year ends ------------------------------------------------------------

@pytest.mark.parametrize("registered, years, expires", [
    ("2024-02-29", 1, "2025-02-28"),   # leap day in a common year: 28 February, never 1 March
    ("2024-02-29", 4, "2028-02-29"),   # the next leap year keeps the 29th
    ("2024-02-29", 10, "2034-02-28"),
    ("2024-01-31", 1, "2025-01-31"),   # month end stays
    ("2025-12-31", 1, "2026-12-31"),   # year end stays
    ("2023-03-01", 1, "2024-03-01"),   # the day after February in a leap year
])
def test_do_05_expiry_after_registration(registered, years, expires):
    assert expiry_after(D(registered), years) == D(expires)


def test_do_05_a_moment_keeps_its_time_of_day():
    at = datetime(2024, 2, 29, 23, 30, tzinfo=timezone.utc)
    assert expiry_after(at, 1) == datetime(2025, 2, 28, 23, 30, tzinfo=timezone.utc)


def test_do_07_renewed_year_by_year_a_leap_day_registration_stays_on_28_february():
    expires = expiry_after(D("2024-02-29"), 1)
    for _ in range(4):
        expires = expiry_after_renewal(expires, 1)
    assert expires == D("2029-02-28")
    assert expiry_after_renewal(D("2027-02-28"), 1) == D("2028-02-28")  # not the 29th: curExpDate + 1 year


def test_the_day_of_a_moment_is_its_utc_date():
    zurich_new_year = datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert utc_day(zurich_new_year) == D("2025-12-31")   # still the old year in UTC: the domain is active
    with pytest.raises(ValueError):
        utc_day(datetime(2026, 1, 1, 0, 30))


def test_a_term_of_no_years_is_refused():
    with pytest.raises(ValueError):
        expiry_after(D("2025-01-01"), 0)


@pytest.mark.parametrize("tld, expires", [("com", "2026-02-28"), ("ch", "2025-02-28"), ("li", "2025-02-28"),
                                          ("de", "2025-02-28"), ("fr", "2025-02-28"),
                                          ("it", "2025-11-26")])  # one year after the transfer
def test_do_03_a_transfer_adds_a_year_only_where_the_registry_does(tld, expires):
    assert expiry_after_transfer(rules(tld), D("2025-02-28"), D("2024-11-26")) == D(expires)


def test_do_03_a_leap_day_transfer_of_an_it_domain_expires_on_28_february():
    assert expiry_after_transfer(rules("it"), D("2024-06-30"), D("2024-02-29")) == D("2025-02-28")


def test_com_add_grace_is_five_days_from_registration():
    com = rules("com")
    assert in_add_grace(com, D("2024-02-27"), D("2024-03-02"))      # 5th day, across the leap day
    assert not in_add_grace(com, D("2024-02-27"), D("2024-03-03"))
    assert not in_add_grace(rules("ch"), D("2024-02-27"), D("2024-02-27"))


# --- Phases after expiry, per TLD -------------------------------------------------------------------------

# (tld, expires_on, last day of auto-renew grace, of redemption, of pending delete, released on)
PHASE_DATES = [
    # .com: 45 + 30 + 5 days; a leap year shifts everything after February by a day
    ("com", "2024-01-31", "2024-03-15", "2024-04-14", "2024-04-19", "2024-04-20"),
    ("com", "2025-01-31", "2025-03-16", "2025-04-15", "2025-04-20", "2025-04-21"),
    ("com", "2025-02-28", "2025-04-13", "2025-05-13", "2025-05-18", "2025-05-19"),
    ("com", "2025-12-31", "2026-02-13", "2026-03-15", "2026-03-20", "2026-03-21"),
    # .it: autoRenewPeriod 15, redemption 30, pending delete 5
    ("it", "2025-12-31", "2026-01-14", "2026-02-13", "2026-02-18", "2026-02-19"),
    ("it", "2024-02-29", "2024-03-14", "2024-04-13", "2024-04-18", "2024-04-19"),
    ("it", "2027-02-14", "2027-02-28", "2027-03-30", "2027-04-04", "2027-04-05"),
    # .de: DENIC's 30-day redemption grace period straight after expiry, then free
    ("de", "2024-02-29", None, "2024-03-29", None, "2024-03-30"),
    ("de", "2025-01-31", None, "2025-03-01", None, "2025-03-02"),
    ("de", "2025-12-31", None, "2026-01-29", None, "2026-01-30"),
    # .fr: 30 days of redemption
    ("fr", "2024-01-31", None, "2024-02-29", None, "2024-03-01"),
    ("fr", "2025-01-31", None, "2025-03-01", None, "2025-03-02"),
    # .ch / .li: 35 days to restore after deletion at expiry
    ("ch", "2025-12-31", None, "2026-02-03", None, "2026-02-04"),
    ("ch", "2024-01-31", None, "2024-03-05", None, "2024-03-06"),
    ("li", "2025-02-28", None, "2025-04-03", None, "2025-04-04"),
]


@pytest.mark.parametrize("tld, expires, grace_last, redemption_last, pending_last, released", PHASE_DATES)
def test_do_05_phase_dates_per_tld(tld, expires, grace_last, redemption_last, pending_last, released):
    line = timeline(rules(tld), D(expires))
    assert (line.auto_renew_grace.last_day if line.auto_renew_grace else None) == (grace_last and D(grace_last))
    assert line.redemption_period.last_day == D(redemption_last)
    assert (line.pending_delete.last_day if line.pending_delete else None) == (pending_last and D(pending_last))
    assert line.released_on == D(released)


@pytest.mark.parametrize("tld, expires, grace_last, redemption_last, pending_last, released", PHASE_DATES)
def test_do_05_state_on_each_boundary_day(tld, expires, grace_last, redemption_last, pending_last, released):
    r, expires_on = rules(tld), D(expires)
    day = timedelta(days=1)
    assert phase_on(r, expires_on, expires_on - day) is Phase.ACTIVE          # the last active day
    first_after = Phase.AUTO_RENEW_GRACE if grace_last else Phase.REDEMPTION_PERIOD
    assert phase_on(r, expires_on, expires_on) is first_after                 # the expiry day itself
    if grace_last:
        assert phase_on(r, expires_on, D(grace_last)) is Phase.AUTO_RENEW_GRACE
        assert phase_on(r, expires_on, D(grace_last) + day) is Phase.REDEMPTION_PERIOD
    assert phase_on(r, expires_on, D(redemption_last)) is Phase.REDEMPTION_PERIOD
    after_redemption = Phase.PENDING_DELETE if pending_last else Phase.RELEASED
    assert phase_on(r, expires_on, D(redemption_last) + day) is after_redemption
    if pending_last:
        assert phase_on(r, expires_on, D(pending_last)) is Phase.PENDING_DELETE
    assert phase_on(r, expires_on, D(released) - day) is not Phase.RELEASED
    assert phase_on(r, expires_on, D(released)) is Phase.RELEASED
    assert phase_on(r, expires_on, D(released) + timedelta(days=400)) is Phase.RELEASED


@settings(max_examples=200, deadline=None)
@given(tld=st.sampled_from(TLDS), expires=st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_do_05_phases_are_contiguous_and_ordered_for_every_tld(tld, expires):
    r = rules(tld)
    line = timeline(r, expires)
    spans = line.spans()
    assert spans[0][1].first_day == expires
    for (_, earlier), (_, later) in zip(spans, spans[1:]):
        assert later.first_day == earlier.last_day + timedelta(days=1)
    assert line.released_on == spans[-1][1].last_day + timedelta(days=1)
    assert [phase for phase, _ in spans] == sorted((p for p, _ in spans), key=list(Phase).index)
    assert sum(s.days for _, s in spans) == r.auto_renew_grace + r.redemption_period + r.pending_delete


@settings(max_examples=100, deadline=None)
@given(tld=st.sampled_from(TLDS), expires=st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_do_05_a_domain_never_goes_back_a_phase(tld, expires):
    r, order = rules(tld), list(Phase)
    seen = [phase_on(r, expires, expires + timedelta(days=d)) for d in range(-2, 90)]
    assert [order.index(p) for p in seen] == sorted(order.index(p) for p in seen)


@settings(max_examples=200, deadline=None)
@given(day=st.dates(date(1904, 1, 1), date(2090, 12, 31)), years=st.integers(1, 10))
def test_do_05_a_term_ends_on_its_anniversary_or_the_day_before_it(day, years):
    end = expiry_after(day, years)
    assert (end.year, end.month) == (day.year + years, day.month)
    assert end.day == day.day or (day.month, day.day, end.day) == (2, 29, 28)


# --- Prices to keep the domain (DO-05, DO-07) ---------------------------------------------------------------

def test_do_05_com_renews_at_the_normal_price_in_grace_and_restores_with_the_fee_in_redemption():
    com, expires = rules("com"), D("2025-01-31")
    before = price_to_keep(com, expires, D("2025-01-30"), "CHF")
    grace = price_to_keep(com, expires, D("2025-03-16"), "CHF")
    redemption = price_to_keep(com, expires, D("2025-03-17"), "CHF")
    year = Money(com.price_per_year["CHF"], "CHF")
    assert (before.phase, before.total) == (Phase.ACTIVE, year)
    assert (grace.phase, grace.total, grace.restores) == (Phase.AUTO_RENEW_GRACE, year, False)
    assert (redemption.phase, redemption.restores) == (Phase.REDEMPTION_PERIOD, True)
    assert redemption.total == Money(com.restore_fee["CHF"] + com.price_per_year["CHF"], "CHF")
    with pytest.raises(TooLate, match="pending delete since 2025-04-16"):
        price_to_keep(com, expires, D("2025-04-16"), "CHF")


@pytest.mark.parametrize("tld", ["de", "fr", "ch", "li"])
def test_do_05_without_auto_renew_grace_the_expiry_day_already_costs_the_restore_fee(tld):
    r = rules(tld)
    quote = price_to_keep(r, D("2024-02-29"), D("2024-02-29"), "EUR", years=1)
    assert quote.total == Money(r.restore_fee["EUR"] + r.price_per_year["EUR"], "EUR")
    assert price_to_keep(r, D("2024-02-29"), D("2024-02-28"), "EUR").total == Money(r.price_per_year["EUR"], "EUR")


def test_do_05_a_released_domain_cannot_be_kept():
    with pytest.raises(TooLate, match="released since 2026-02-19"):
        price_to_keep(rules("it"), D("2025-12-31"), D("2026-02-19"), "EUR")


def test_do_07_a_renewal_for_several_years_costs_each_year():
    fr = rules("fr")
    assert price_to_keep(fr, D("2027-03-01"), D("2026-11-26"), "EUR", years=3).total == Money(3 * fr.price_per_year["EUR"], "EUR")


# --- Renewal limit (at most 10 years ahead) -----------------------------------------------------------------

def test_do_07_com_renews_up_to_ten_years_ahead_of_today():
    com = rules("com")
    on, expires = D("2026-11-26"), D("2026-12-01")
    assert may_renew(com, expires, 9, on)
    assert "more than 10 years ahead (at most until 2036-11-26)" in renewal_refusal(com, expires, 10, on)
    assert longest_renewal(com, expires, on) == 9
    assert may_renew(com, D("2026-11-01"), 10, on)  # in the auto-renew grace: 2036-11-01 is within ten years


def test_do_07_the_ten_year_limit_on_a_leap_day():
    com = rules("com")
    assert may_renew(com, D("2025-02-28"), 9, D("2024-02-29"))   # until 2034-02-28 = today + 10 years
    assert not may_renew(com, D("2025-03-01"), 9, D("2024-02-29"))


def test_do_07_a_period_the_tld_does_not_offer_is_refused():
    assert "1 year(s) at a time, not 2" in renewal_refusal(rules("ch"), D("2026-12-01"), 2, D("2026-11-26"))
    with pytest.raises(RenewalRefused):
        check_renewal(rules("de"), D("2026-12-01"), 3, D("2026-11-26"))


@pytest.mark.parametrize("tld", ["ch", "li", "de", "it"])
def test_do_07_yearly_tlds_take_the_coming_year_but_not_the_one_after(tld):
    r = rules(tld)
    assert may_renew(r, D("2026-12-01"), 1, D("2026-11-26"))       # the coming year, before expiry
    assert not may_renew(r, D("2027-12-01"), 1, D("2026-11-26"))   # already paid: a second year ahead is refused
    assert longest_renewal(r, D("2027-12-01"), D("2026-11-26")) == 0


def test_do_05_no_renewal_once_pending_delete():
    assert "pending delete" in renewal_refusal(rules("com"), D("2025-01-31"), 1, D("2025-04-16"))
    assert may_renew(rules("com"), D("2025-01-31"), 1, D("2025-04-15"))  # last day of redemption: restore + renewal


@settings(max_examples=200, deadline=None)
@given(tld=st.sampled_from(TLDS), on=st.dates(date(2020, 1, 1), date(2080, 12, 31)),
       ahead=st.integers(-60, 3650), years=st.integers(1, 10))
def test_do_07_an_allowed_renewal_never_reaches_beyond_the_years_ahead(tld, on, ahead, years):
    r = rules(tld)
    expires = on + timedelta(days=ahead)
    if may_renew(r, expires, years, on):
        assert years in r.periods
        assert expiry_after_renewal(expires, years) <= add_years(on, r.max_years_ahead) <= add_years(on, 10)


# --- Transfer lock ----------------------------------------------------------------------------------------

def test_do_03_com_locks_sixty_days_after_registration_transfer_and_owner_change():
    com = rules("com")
    registered = datetime(2026, 1, 31, 10, 0, tzinfo=timezone.utc)
    assert transfer_lock_ends(com, LockingEvent.REGISTRATION, registered) == datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc)
    assert transfer_lock_ends(com, LockingEvent.TRANSFER, D("2024-01-31")) == D("2024-03-31")  # leap February
    events = [(LockingEvent.REGISTRATION, D("2025-01-01")), (LockingEvent.OWNER_CHANGE, D("2025-02-01"))]
    assert transfer_locked_until(com, events) == D("2025-04-02")
    assert not may_transfer_out(com, events, D("2025-04-01"))
    assert may_transfer_out(com, events, D("2025-04-02"))


def test_do_03_the_revised_icann_policy_is_a_change_of_configuration():
    com = rules("com")
    revised = dataclasses.replace(com, transfer_lock=dataclasses.replace(
        com.transfer_lock, after_registration=30, after_transfer=30, after_owner_change=0))
    registered = datetime(2026, 3, 1, 8, 15, tzinfo=timezone.utc)
    assert transfer_lock_ends(revised, LockingEvent.REGISTRATION, registered) - registered == timedelta(hours=720)
    assert transfer_lock_ends(revised, LockingEvent.OWNER_CHANGE, registered) is None


@pytest.mark.parametrize("tld", ["ch", "li", "de", "fr", "it"])
def test_do_03_cctlds_here_lock_nothing(tld):
    events = [(LockingEvent.REGISTRATION, D("2026-11-26")), (LockingEvent.OWNER_CHANGE, D("2026-11-26"))]
    assert transfer_locked_until(rules(tld), events) is None
    assert may_transfer_out(rules(tld), events, D("2026-11-26"))


# --- Reminders (DO-04) -------------------------------------------------------------------------------------

def test_do_04_the_default_reminders_sit_in_errps_windows():
    for tld in TLDS:
        days = rules(tld).reminders
        assert any(d in ERRP_MONTH_BEFORE for d in days.days_before_expiry)
        assert any(d in ERRP_WEEK_BEFORE for d in days.days_before_expiry)
        assert any(d in ERRP_AFTER for d in days.days_after_expiry)


@pytest.mark.parametrize("tld", TLDS)
@pytest.mark.parametrize("expires, month_before, week_before, after", [
    ("2025-03-31", "2025-03-01", "2025-03-24", "2025-04-02"),
    ("2024-03-30", "2024-02-29", "2024-03-23", "2024-04-01"),   # a leap day receives the month's notice
    ("2026-01-05", "2025-12-06", "2025-12-29", "2026-01-07"),   # across the year end
])
def test_do_04_owners_hear_a_month_and_a_week_before_and_once_after_expiry(tld, expires, month_before, week_before, after):
    sent = reminders(rules(tld), D(expires))
    assert [(r.kind, r.on) for r in sent] == [
        (ReminderKind.BEFORE_EXPIRY, D(month_before)), (ReminderKind.BEFORE_EXPIRY, D(week_before)),
        (ReminderKind.AFTER_EXPIRY, D(after))]


def test_do_04_a_reminder_is_due_on_its_day_once():
    com, expires = rules("com"), D("2025-03-31")
    assert reminder_due(com, expires, D("2025-02-28")) is None
    month = reminder_due(com, expires, D("2025-03-01"))
    assert month.days == 30
    assert reminder_due(com, expires, D("2025-03-02"), already_sent=[month]) is None


def test_do_04_a_missed_day_sends_the_latest_reminder_only():
    com, expires = rules("com"), D("2025-03-31")
    late = reminder_due(com, expires, D("2025-03-25"))   # the scheduler was down from 1 to 25 March
    assert (late.kind, late.days) == (ReminderKind.BEFORE_EXPIRY, 7)


def test_do_04_after_a_renewal_the_old_reminders_are_gone_and_a_released_domain_hears_nothing():
    com = rules("com")
    renewed = expiry_after_renewal(D("2025-03-31"), 1)
    assert reminder_due(com, renewed, D("2025-04-02")) is None
    assert reminder_due(com, D("2025-03-31"), D("2025-04-02")).kind is ReminderKind.AFTER_EXPIRY
    assert reminder_due(rules("de"), D("2025-01-31"), D("2025-03-02")) is None  # released that day


# --- Renewal warranty (DO-06) --------------------------------------------------------------------------------

@pytest.mark.parametrize("tld, expires, renews_on", [
    ("com", "2025-02-28", "2025-02-28"),   # the registry auto-renews on expiry; the warranty keeps it
    ("it", "2024-02-29", "2024-02-29"),
    ("de", "2024-03-01", "2024-02-29"),    # no grace: the day before expiry, a leap day here
    ("ch", "2026-01-01", "2025-12-31"),
    ("li", "2026-01-01", "2025-12-31"),
    ("fr", "2025-03-01", "2025-02-28"),
])
def test_do_06_the_warranty_renews_without_the_customer_on_its_day(tld, expires, renews_on):
    r = rules(tld)
    assert warranty_renewal_day(r, D(expires)) == D(renews_on)
    day_before = D(renews_on) - timedelta(days=1)
    assert renewal_warranty(r, D(expires), day_before, "CHF", warranty=True) is None
    renewal = renewal_warranty(r, D(expires), D(renews_on), "CHF", warranty=True)
    assert (renewal.renew_on, renewal.years) == (D(renews_on), r.periods[0])
    assert renewal.quote.total == Money(r.price_per_year["CHF"], "CHF")   # the normal price, no restore fee
    assert renewal.new_expiry == expiry_after_renewal(D(expires), r.periods[0])
    assert renewal_warranty(r, D(expires), D(renews_on), "CHF", warranty=False) is None


def test_do_06_a_missed_warranty_day_still_keeps_the_domain_restoring_it_in_redemption():
    de = rules("de")
    late = renewal_warranty(de, D("2025-01-31"), D("2025-02-10"), "EUR", warranty=True)
    assert late.renew_on == D("2025-02-10") and late.quote.restores
    assert late.quote.total == Money(de.restore_fee["EUR"] + de.price_per_year["EUR"], "EUR")
    assert renewal_warranty(de, D("2025-01-31"), D("2025-03-02"), "EUR", warranty=True) is None  # released


def test_do_06_com_warranty_in_the_grace_renews_at_the_normal_price():
    com = rules("com")
    renewal = renewal_warranty(com, D("2025-01-31"), D("2025-03-16"), "EUR", warranty=True)
    assert renewal.quote.phase is Phase.AUTO_RENEW_GRACE and not renewal.quote.restores
