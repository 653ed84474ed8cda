"""Office hours, holidays and the service-level clocks of support tickets (TI-04, BI-18).

"Wir bearbeiten Tickets in unseren Bürozeiten (Mo-Fr, 08:00 – 17:00 Uhr). Kritische Tickets werden
auch ausserhalb unserer Bürozeiten schnellstmöglich bearbeitet." Times are written as Zurich wall-clock
times (`zh`) and compared as UTC instants.
"""
from __future__ import annotations

import copy
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from services.tickets.adapters.office_hours_file import OFFICE_HOURS, load
from services.tickets.domain.office_hours import (
    AROUND_THE_CLOCK, EasterHoliday, FixedHoliday, InvalidOfficeHours, OfficeHours, OneOffHoliday,
    easter_sunday, office_hours_from,
)
from services.tickets.domain.service_levels import (
    ServiceLevels, SlaClock, SlaState, Targets, duration_from, service_levels_from,
)

UTC = timezone.utc
ZURICH = ZoneInfo("Europe/Zurich")
HOURS, LEVELS = load()
WEEKDAYS_8_TO_17 = {day: [(time(8), time(17))] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}


def zh(year, month, day, hour=0, minute=0, second=0, *, fold=0) -> datetime:
    """A Zurich wall-clock time, as the UTC instant the code works with."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZURICH, fold=fold).astimezone(UTC)


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(OFFICE_HOURS.read_text(encoding="utf-8"))


# --- The week -----------------------------------------------------------------------------------------

def test_ti_04_the_office_is_open_monday_to_friday_from_eight_to_five():
    monday = date(2026, 11, 23)
    assert HOURS.office_time_between(zh(2026, 11, 23), zh(2026, 11, 30)) == h(45)
    for offset in range(5):
        day = monday + timedelta(days=offset)
        assert HOURS.office_time_between(zh(day.year, day.month, day.day), zh(day.year, day.month, day.day, 23, 59)) == h(9)
    assert HOURS.office_time_between(zh(2026, 11, 28), zh(2026, 11, 30)) == timedelta(0)


@pytest.mark.parametrize("moment, is_open", [
    (zh(2026, 11, 24, 7, 59, 59), False),
    (zh(2026, 11, 24, 8, 0), True),
    (zh(2026, 11, 24, 12, 30), True),
    (zh(2026, 11, 24, 16, 59, 59), True),
    (zh(2026, 11, 24, 17, 0), False),  # closing time: closed
    (zh(2026, 11, 24, 22, 0), False),
    (zh(2026, 11, 28, 10, 0), False),  # Saturday
    (zh(2026, 11, 29, 10, 0), False),  # Sunday
])
def test_ti_04_open_from_the_opening_until_just_before_closing_time(moment, is_open):
    assert HOURS.is_open(moment) is is_open


@pytest.mark.parametrize("moment, opening", [
    (zh(2026, 11, 24, 6, 0), zh(2026, 11, 24, 8, 0)),
    (zh(2026, 11, 24, 10, 0), zh(2026, 11, 24, 10, 0)),
    (zh(2026, 11, 24, 17, 0), zh(2026, 11, 25, 8, 0)),
    (zh(2026, 11, 27, 18, 0), zh(2026, 11, 30, 8, 0)),  # Friday evening: Monday
    (zh(2026, 12, 24, 17, 0), zh(2026, 12, 28, 8, 0)),  # Christmas, Stephanstag, weekend
])
def test_ti_04_the_next_opening(moment, opening):
    assert HOURS.next_opening(moment) == opening


def test_ti_04_office_time_counts_only_the_open_hours_of_an_evening_and_a_night():
    assert HOURS.office_time_between(zh(2026, 11, 24, 16, 0), zh(2026, 11, 25, 9, 0)) == h(2)
    assert HOURS.office_time_between(zh(2026, 11, 24, 17, 0), zh(2026, 11, 25, 8, 0)) == timedelta(0)
    assert HOURS.office_time_between(zh(2026, 11, 24, 20, 0), zh(2026, 11, 24, 23, 0)) == timedelta(0)


def test_ti_04_office_time_backwards_is_negative():
    assert HOURS.office_time_between(zh(2026, 11, 25, 9, 0), zh(2026, 11, 24, 16, 0)) == -h(2)


@pytest.mark.parametrize("opened, target, due", [
    (zh(2026, 11, 24, 9, 0), h(4), zh(2026, 11, 24, 13, 0)),  # within the day
    (zh(2026, 11, 24, 16, 30), h(1), zh(2026, 11, 25, 8, 30)),  # evening: next morning
    (zh(2026, 11, 24, 22, 0), h(4), zh(2026, 11, 25, 12, 0)),  # opened at night
    (zh(2026, 11, 25, 3, 0), h(1), zh(2026, 11, 25, 9, 0)),  # opened before dawn
    (zh(2026, 11, 27, 16, 0), h(2), zh(2026, 11, 30, 9, 0)),  # Friday afternoon: Monday
    (zh(2026, 11, 28, 10, 0), h(1), zh(2026, 11, 30, 9, 0)),  # opened on Saturday
    (zh(2026, 11, 29, 23, 30), h(9 + 4), zh(2026, 12, 1, 12, 0)),  # Sunday night, more than a day
    (zh(2026, 11, 23, 8, 0), h(45 + 1), zh(2026, 11, 30, 9, 0)),  # a whole week
])
def test_ti_04_a_deadline_counts_office_time_from_the_opening(opened, target, due):
    assert HOURS.deadline(opened, target) == due


# --- Holidays -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("year, sunday", [
    (1818, date(1818, 3, 22)),  # the earliest Easter
    (1943, date(1943, 4, 25)),  # the latest
    (2008, date(2008, 3, 23)),
    (2019, date(2019, 4, 21)),
    (2024, date(2024, 3, 31)),
    (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)),
    (2027, date(2027, 3, 28)),
    (2038, date(2038, 4, 25)),
    (2285, date(2285, 3, 22)),
])
def test_ti_04_easter_sunday_is_computed_for_any_year(year, sunday):
    assert easter_sunday(year) == sunday


@pytest.mark.parametrize("year, good_friday, easter_monday, ascension, whit_monday", [
    (2024, date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 9), date(2024, 5, 20)),
    (2025, date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 29), date(2025, 6, 9)),
    (2026, date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)),
    (2027, date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)),
    (2038, date(2038, 4, 23), date(2038, 4, 26), date(2038, 6, 3), date(2038, 6, 14)),
])
def test_ti_04_the_holidays_around_easter_move_with_it(year, good_friday, easter_monday, ascension, whit_monday):
    holidays = HOURS.holidays_in(year)
    assert holidays[good_friday] == "Karfreitag"
    assert holidays[easter_monday] == "Ostermontag"
    assert holidays[ascension] == "Auffahrt"
    assert holidays[whit_monday] == "Pfingstmontag"


def test_ti_04_the_zurich_holidays_of_2026():
    assert HOURS.holidays_in(2026) == {
        date(2026, 1, 1): "Neujahrstag", date(2026, 1, 2): "Berchtoldstag", date(2026, 4, 3): "Karfreitag",
        date(2026, 4, 6): "Ostermontag", date(2026, 5, 1): "Tag der Arbeit", date(2026, 5, 14): "Auffahrt",
        date(2026, 5, 25): "Pfingstmontag", date(2026, 8, 1): "Bundesfeier", date(2026, 12, 25): "Weihnachtstag",
        date(2026, 12, 26): "Stephanstag",
    }


@pytest.mark.parametrize("opened, target, due", [
    # Maundy Thursday afternoon 2026: Good Friday, the weekend and Easter Monday are closed
    (zh(2026, 4, 2, 16, 0), h(2), zh(2026, 4, 7, 9, 0)),
    # the same in 2025, Easter three weeks later
    (zh(2025, 4, 17, 16, 0), h(2), zh(2025, 4, 22, 9, 0)),
    # Ascension 2027 is Thursday 6 May
    (zh(2027, 5, 5, 16, 0), h(2), zh(2027, 5, 7, 9, 0)),
    # Whit Monday 2026 (25 May): Friday afternoon to Tuesday
    (zh(2026, 5, 22, 16, 0), h(2), zh(2026, 5, 26, 9, 0)),
    # Bundesfeier 2025 is a Friday
    (zh(2025, 7, 31, 16, 0), h(2), zh(2025, 8, 4, 9, 0)),
    # Christmas 2026: Thursday 24th to Monday 28th
    (zh(2026, 12, 24, 16, 0), h(2), zh(2026, 12, 28, 9, 0)),
    # New Year 2027: Neujahrstag Friday, Berchtoldstag Saturday
    (zh(2026, 12, 31, 16, 0), h(2), zh(2027, 1, 4, 9, 0)),
    # New Year 2026: Thursday and Friday closed
    (zh(2025, 12, 31, 16, 0), h(2), zh(2026, 1, 5, 9, 0)),
])
def test_ti_04_holidays_do_not_count(opened, target, due):
    assert HOURS.deadline(opened, target) == due


def test_ti_04_a_holiday_on_a_weekday_has_no_office_time():
    assert HOURS.office_time_between(zh(2026, 5, 14), zh(2026, 5, 15)) == timedelta(0)  # Auffahrt
    assert HOURS.office_time_between(zh(2026, 5, 13), zh(2026, 5, 16)) == h(18)


def test_ti_04_a_one_off_closure_and_a_leap_day_holiday():
    hours = OfficeHours("Europe/Zurich", WEEKDAYS_8_TO_17, (
        OneOffHoliday("Brückentag", date(2026, 5, 15)), FixedHoliday("Schalttag", 2, 29)))
    assert hours.deadline(zh(2026, 5, 14, 16, 0), h(2)) == zh(2026, 5, 18, 9, 0)
    assert hours.holiday(date(2028, 2, 29)) == "Schalttag"
    assert hours.holidays_in(2027) == {}
    assert hours.holidays_in(2025) == {}


def test_ti_04_office_hours_with_a_lunch_break():
    hours = OfficeHours("Europe/Zurich", {"monday": [(time(13, 30), time(17)), (time(8), time(12))]})
    assert hours.office_time_between(zh(2026, 11, 23), zh(2026, 11, 24)) == h(7.5)
    assert hours.deadline(zh(2026, 11, 23, 11, 0), h(2)) == zh(2026, 11, 23, 14, 30)
    # at noon the office closes: a deadline then is at the opening after lunch
    assert hours.deadline(zh(2026, 11, 23, 11, 0), h(1)) == zh(2026, 11, 23, 13, 30)


# --- Clocks that change (Europe/Zurich: 29 March 2026 02:00 -> 03:00, 25 October 2026 03:00 -> 02:00) --

def test_ti_04_spring_forward_keeps_the_opening_at_eight_local_time():
    # Friday 08:00 is 07:00 UTC (CET), Monday 08:00 is 06:00 UTC (CEST)
    assert zh(2026, 3, 27, 8, 0) == datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
    assert zh(2026, 3, 30, 8, 0) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert HOURS.next_opening(zh(2026, 3, 27, 17, 0)) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert HOURS.deadline(zh(2026, 3, 27, 16, 0), h(2)) == zh(2026, 3, 30, 9, 0)
    assert HOURS.office_time_between(zh(2026, 3, 23), zh(2026, 3, 30, 23, 0)) == h(45 + 9)
    assert HOURS.office_time_between(zh(2026, 3, 27, 17, 0), zh(2026, 3, 30, 8, 0)) == timedelta(0)


def test_ti_04_fall_back_keeps_the_opening_at_eight_local_time():
    assert zh(2026, 10, 23, 8, 0) == datetime(2026, 10, 23, 6, 0, tzinfo=UTC)
    assert zh(2026, 10, 26, 8, 0) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert HOURS.deadline(zh(2026, 10, 23, 16, 0), h(2)) == zh(2026, 10, 26, 9, 0)
    assert HOURS.office_time_between(zh(2026, 10, 19), zh(2026, 10, 26, 23, 0)) == h(45 + 9)


def test_ti_04_a_day_around_the_clock_lasts_23_or_25_hours_when_the_clocks_change():
    always = OfficeHours("Europe/Zurich", {day: [(time(0), None)] for day in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")})
    assert always.office_time_between(zh(2026, 3, 29), zh(2026, 3, 30)) == h(23)
    assert always.office_time_between(zh(2026, 10, 25), zh(2026, 10, 26)) == h(25)
    # midnight is no closing time: a deadline then stays
    assert always.deadline(zh(2026, 3, 28, 12, 0), h(12)) == zh(2026, 3, 29, 0, 0)
    assert always.is_open(zh(2026, 3, 29, 0, 0))


def test_ti_04_critical_tickets_count_real_hours_across_the_change_of_clocks():
    # opened 23:00 on Saturday 28 March; four real hours later the wall clock shows 04:00
    assert AROUND_THE_CLOCK.deadline(zh(2026, 3, 28, 23, 0), h(4)) == zh(2026, 3, 29, 4, 0)
    # opened at the first 01:00 of 25 October; four real hours later the wall clock shows 04:00
    assert AROUND_THE_CLOCK.deadline(zh(2026, 10, 25, 1, 0), h(4)) == zh(2026, 10, 25, 4, 0)
    # the hour 02:00-03:00 happens twice
    assert AROUND_THE_CLOCK.deadline(zh(2026, 10, 25, 2, 30), h(1)) == zh(2026, 10, 25, 2, 30, fold=1)


# --- The deadline that falls at closing time ---------------------------------------------------------

@pytest.mark.parametrize("opened, target, due", [
    (zh(2026, 11, 23, 8, 0), h(9), zh(2026, 11, 24, 8, 0)),  # a whole day: not 17:00 but the next opening
    (zh(2026, 11, 23, 16, 0), h(1), zh(2026, 11, 24, 8, 0)),
    (zh(2026, 11, 27, 16, 0), h(1), zh(2026, 11, 30, 8, 0)),  # Friday's closing: Monday's opening
    (zh(2026, 5, 13, 16, 0), h(1), zh(2026, 5, 15, 8, 0)),  # the evening before Auffahrt
    (zh(2026, 3, 27, 16, 0), h(1), zh(2026, 3, 30, 8, 0)),  # over the change to summer time
    (zh(2026, 11, 24, 21, 0), h(0), zh(2026, 11, 25, 8, 0)),  # nothing to count, opened at night
])
def test_ti_04_a_deadline_at_closing_time_moves_to_the_next_opening(opened, target, due):
    assert HOURS.deadline(opened, target) == due
    assert HOURS.is_open(due)


def test_ti_04_a_deadline_one_second_before_closing_time_stays():
    assert HOURS.deadline(zh(2026, 11, 23, 8, 0), h(9) - timedelta(seconds=1)) == zh(2026, 11, 23, 16, 59, 59)


def test_ti_04_a_ticket_due_at_the_next_opening_is_not_breached_overnight():
    clock = SlaClock(zh(2026, 11, 23, 8, 0), h(9), HOURS)
    assert clock.breach_at() == zh(2026, 11, 24, 8, 0)
    assert clock.state_at(zh(2026, 11, 23, 17, 0)) is SlaState.WARNING
    assert clock.state_at(zh(2026, 11, 24, 7, 59, 59)) is SlaState.WARNING
    assert clock.state_at(zh(2026, 11, 24, 8, 0)) is SlaState.BREACHED


def test_ti_04_around_the_clock_there_is_no_closing_time():
    assert AROUND_THE_CLOCK.deadline(zh(2026, 11, 23, 16, 0), h(1)) == zh(2026, 11, 23, 17, 0)


# --- Waiting for the customer -------------------------------------------------------------------------

def test_ti_04_a_pause_spanning_the_night_stops_the_clock():
    opened = zh(2026, 11, 23, 9, 0)
    assert HOURS.deadline(opened, h(9)) == zh(2026, 11, 24, 9, 0)
    # asked the customer Monday 15:00, answer Tuesday 10:00: 6 h counted, 3 h left from 10:00
    assert HOURS.deadline(opened, h(9), [(zh(2026, 11, 23, 15, 0), zh(2026, 11, 24, 10, 0))]) == zh(2026, 11, 24, 13, 0)


def test_ti_04_a_pause_outside_office_hours_changes_nothing():
    opened = zh(2026, 11, 23, 9, 0)
    night = [(zh(2026, 11, 23, 18, 0), zh(2026, 11, 24, 7, 0))]
    weekend = [(zh(2026, 11, 28, 9, 0), zh(2026, 11, 29, 20, 0))]
    assert HOURS.deadline(opened, h(9), night) == HOURS.deadline(opened, h(9)) == HOURS.deadline(opened, h(9), weekend)


def test_ti_04_a_pause_over_a_weekend_and_into_monday():
    opened = zh(2026, 11, 27, 14, 0)  # Friday
    pauses = [(zh(2026, 11, 27, 15, 0), zh(2026, 11, 30, 11, 0))]
    assert HOURS.deadline(opened, h(4), pauses) == zh(2026, 11, 30, 14, 0)


def test_ti_04_pauses_in_any_order_and_overlapping_count_once():
    opened = zh(2026, 11, 23, 8, 0)
    pauses = [
        (zh(2026, 11, 23, 13, 0), zh(2026, 11, 23, 14, 0)),
        (zh(2026, 11, 23, 9, 0), zh(2026, 11, 23, 10, 0)),
        (zh(2026, 11, 23, 9, 30), zh(2026, 11, 23, 10, 30)),
        (zh(2026, 11, 23, 11, 0), zh(2026, 11, 23, 11, 0)),  # empty
    ]
    # 8-9, 10:30-13, 14-... : 1 + 2.5 = 3.5 h by 14:00, 4 h at 14:30
    assert HOURS.deadline(opened, h(4), pauses) == zh(2026, 11, 23, 14, 30)
    assert HOURS.counted_between(opened, zh(2026, 11, 23, 17, 0), pauses) == h(9 - 2.5)


def test_ti_04_a_pause_before_the_opening_of_the_ticket_does_not_count():
    opened = zh(2026, 11, 23, 10, 0)
    assert HOURS.deadline(opened, h(1), [(zh(2026, 11, 23, 8, 0), zh(2026, 11, 23, 10, 30))]) == zh(2026, 11, 23, 11, 30)


def test_ti_04_a_target_reached_as_a_pause_begins_is_due_when_it_ends():
    opened = zh(2026, 11, 23, 8, 0)
    assert HOURS.deadline(opened, h(2), [(zh(2026, 11, 23, 10, 0), zh(2026, 11, 23, 12, 0))]) == zh(2026, 11, 23, 12, 0)


def test_ti_04_a_pause_that_ends_before_it_begins_is_refused():
    with pytest.raises(ValueError, match="pause"):
        HOURS.deadline(zh(2026, 11, 23, 8, 0), h(1), [(zh(2026, 11, 23, 10, 0), zh(2026, 11, 23, 9, 0))])


def test_ti_04_while_the_customer_has_not_answered_the_clock_stands():
    opened = zh(2026, 11, 23, 8, 0)
    waiting = SlaClock(opened, h(4), HOURS, ((zh(2026, 11, 23, 9, 0), None),))
    assert waiting.breach_at() is None
    assert waiting.counted(zh(2026, 11, 30, 12, 0)) == h(1)
    assert waiting.state_at(zh(2026, 12, 15, 12, 0)) is SlaState.ON_TIME
    # as things stand on Wednesday 10:00, an answer then leaves 3 h: due 13:00
    assert waiting.breach_at(zh(2026, 11, 25, 10, 0)) == zh(2026, 11, 25, 13, 0)
    answered = SlaClock(opened, h(4), HOURS, ((zh(2026, 11, 23, 9, 0), zh(2026, 11, 25, 10, 0)),))
    assert answered.state_at(zh(2026, 11, 25, 12, 11)) is SlaState.ON_TIME
    assert answered.state_at(zh(2026, 11, 25, 12, 12)) is SlaState.WARNING  # 3.2 h of 4
    assert answered.state_at(zh(2026, 11, 25, 13, 0)) is SlaState.BREACHED


def test_ti_04_a_ticket_breached_before_the_customer_was_asked_stays_breached():
    opened = zh(2026, 11, 23, 8, 0)
    late = SlaClock(opened, h(1), HOURS, ((zh(2026, 11, 23, 11, 0), None),))
    assert late.breach_at() == zh(2026, 11, 23, 9, 0)
    assert late.state_at(zh(2026, 11, 24, 12, 0)) is SlaState.BREACHED


# --- Targets per priority, critical around the clock, premium support -------------------------------

def test_ti_04_every_priority_has_targets_and_critical_ones_count_around_the_clock():
    for premium in (False, True):
        for priority in ("low", "normal", "high"):
            assert not LEVELS.targets(priority, premium=premium).around_the_clock
        assert LEVELS.targets("critical", premium=premium).around_the_clock


def test_ti_04_higher_priorities_are_answered_sooner():
    for premium in (False, True):
        targets = [LEVELS.targets(p, premium=premium) for p in ("low", "normal", "high", "critical")]
        assert [t.first_response for t in targets] == sorted((t.first_response for t in targets), reverse=True)
        assert [t.resolution for t in targets] == sorted((t.resolution for t in targets), reverse=True)
        assert all(t.first_response <= t.resolution for t in targets)


def test_ti_04_a_critical_ticket_opened_on_a_saturday_night_is_answered_that_night():
    first_response, resolution = LEVELS.clocks(zh(2026, 11, 28, 3, 0), "critical", premium=False, office_hours=HOURS)
    assert first_response.breach_at() == zh(2026, 11, 28, 4, 0)
    assert resolution.breach_at() == zh(2026, 11, 28, 11, 0)
    assert first_response.state_at(zh(2026, 11, 28, 3, 47)) is SlaState.ON_TIME
    assert first_response.state_at(zh(2026, 11, 28, 3, 48)) is SlaState.WARNING
    assert first_response.state_at(zh(2026, 11, 28, 4, 0)) is SlaState.BREACHED


def test_ti_04_a_critical_ticket_on_christmas_day_counts_the_holiday():
    first_response, _ = LEVELS.clocks(zh(2026, 12, 25, 12, 0), "critical", premium=False, office_hours=HOURS)
    assert first_response.breach_at() == zh(2026, 12, 25, 13, 0)


def test_ti_04_a_normal_ticket_opened_on_a_saturday_counts_from_monday_morning():
    first_response, resolution = LEVELS.clocks(zh(2026, 11, 28, 3, 0), "normal", premium=False, office_hours=HOURS)
    assert first_response.breach_at() == zh(2026, 12, 1, 8, 0)  # 9 h: all of Monday, due at Tuesday's opening
    assert resolution.breach_at() == zh(2026, 12, 3, 8, 0)  # 27 h: three days


def test_bi_18_premium_support_answers_sooner():
    for priority in ("low", "normal", "high", "critical"):
        standard, premium = LEVELS.targets(priority), LEVELS.targets(priority, premium=True)
        assert premium.first_response < standard.first_response
        assert premium.resolution < standard.resolution


def test_bi_18_a_premium_normal_ticket_opened_in_the_afternoon_is_answered_next_morning():
    opened = zh(2026, 11, 23, 15, 0)
    standard, _ = LEVELS.clocks(opened, "normal", premium=False, office_hours=HOURS)
    premium, _ = LEVELS.clocks(opened, "normal", premium=True, office_hours=HOURS)
    assert premium.breach_at() == zh(2026, 11, 24, 10, 0)
    assert standard.breach_at() == zh(2026, 11, 24, 15, 0)


def test_bi_18_a_premium_critical_ticket_at_night_gets_an_answer_within_a_quarter_hour():
    first_response, resolution = LEVELS.clocks(zh(2026, 11, 29, 2, 0), "critical", premium=True, office_hours=HOURS)
    assert first_response.breach_at() == zh(2026, 11, 29, 2, 15)
    assert first_response.warning_at() == zh(2026, 11, 29, 2, 12)
    assert resolution.breach_at() == zh(2026, 11, 29, 6, 0)


def test_ti_04_bi_18_pauses_apply_to_the_clocks_of_a_ticket():
    pauses = [(zh(2026, 11, 23, 12, 0), zh(2026, 11, 24, 12, 0))]
    first_response, resolution = LEVELS.clocks(zh(2026, 11, 23, 8, 0), "high", premium=True, office_hours=HOURS, pauses=pauses)
    assert first_response.breach_at() == zh(2026, 11, 23, 10, 0)  # 2 h, before the customer was asked
    # 9 h: Monday 8-12, waiting until Tuesday noon, Tuesday 12-17: reached at closing, due Wednesday 08:00
    assert resolution.breach_at() == zh(2026, 11, 25, 8, 0)


def test_ti_04_an_unknown_priority_is_refused():
    with pytest.raises(ValueError, match="priority"):
        LEVELS.targets("urgent")


# --- Warning before the breach ------------------------------------------------------------------------

def test_ti_04_the_clock_warns_at_eighty_percent_and_breaches_at_the_deadline():
    clock = SlaClock(zh(2026, 11, 23, 8, 0), h(10), HOURS)
    assert clock.warning_at() == zh(2026, 11, 23, 16, 0)  # 8 h of 10
    assert clock.breach_at() == zh(2026, 11, 24, 9, 0)
    assert clock.state_at(zh(2026, 11, 23, 12, 0)) is SlaState.ON_TIME
    assert clock.state_at(zh(2026, 11, 23, 15, 59, 59)) is SlaState.ON_TIME
    assert clock.state_at(zh(2026, 11, 23, 16, 0)) is SlaState.WARNING
    assert clock.state_at(zh(2026, 11, 23, 23, 0)) is SlaState.WARNING
    assert clock.state_at(zh(2026, 11, 24, 8, 59, 59)) is SlaState.WARNING
    assert clock.state_at(zh(2026, 11, 24, 9, 0)) is SlaState.BREACHED
    assert clock.state_at(zh(2027, 1, 1)) is SlaState.BREACHED


def test_ti_04_the_warning_share_is_configurable():
    clock = SlaClock(zh(2026, 11, 23, 8, 0), h(4), HOURS, warning_share=0.5)
    assert clock.warning_at() == zh(2026, 11, 23, 10, 0)


def test_ti_04_before_the_ticket_is_opened_it_is_on_time():
    clock = SlaClock(zh(2026, 11, 23, 8, 0), h(4), HOURS)
    assert clock.state_at(zh(2026, 11, 20, 8, 0)) is SlaState.ON_TIME
    assert clock.counted(zh(2026, 11, 20, 8, 0)) == timedelta(0)


# --- Moments without a time zone, bad arguments --------------------------------------------------------

def test_ti_04_moments_without_a_time_zone_are_refused():
    with pytest.raises(ValueError, match="aware"):
        HOURS.office_time_between(datetime(2026, 11, 23, 8, 0), zh(2026, 11, 24))
    with pytest.raises(ValueError, match="aware"):
        HOURS.deadline(datetime(2026, 11, 23, 8, 0), h(1))
    with pytest.raises(ValueError, match="aware"):
        SlaClock(zh(2026, 11, 23), h(1), HOURS).state_at(datetime(2026, 11, 23, 8, 0))


def test_ti_04_moments_in_another_time_zone_are_the_same_instants():
    new_york = datetime(2026, 11, 23, 3, 0, tzinfo=ZoneInfo("America/New_York"))  # 09:00 in Zurich
    assert HOURS.deadline(new_york, h(1)) == zh(2026, 11, 23, 10, 0)
    assert HOURS.deadline(new_york, h(1)).tzinfo is UTC


def test_ti_04_a_negative_target_is_refused():
    with pytest.raises(ValueError, match="target"):
        HOURS.deadline(zh(2026, 11, 23), -h(1))


# --- The data file ------------------------------------------------------------------------------------

def test_ti_04_the_file_keeps_zurich_time_and_monday_to_friday_eight_to_five(raw):
    assert raw["time_zone"] == "Europe/Zurich"
    assert HOURS.time_zone == "Europe/Zurich"
    assert {day: list(periods) for day, periods in HOURS.week.items() if periods} == WEEKDAYS_8_TO_17


def test_ti_04_the_easter_holidays_are_rules_not_dates(raw):
    by_name = {entry["name"]: entry for entry in raw["holidays"]}
    assert {by_name[name]["days_after_easter"] for name in ("Karfreitag", "Ostermontag", "Auffahrt", "Pfingstmontag")} == {-2, 1, 39, 50}
    assert not any("date" in entry for entry in raw["holidays"])


def refused(data: dict) -> str:
    with pytest.raises(InvalidOfficeHours) as refusal:
        office_hours_from(data)
        service_levels_from(data.get("service_levels"))
    return str(refusal.value)


@pytest.mark.parametrize("change, named", [
    (lambda d: d.update(time_zone="Europe/Zürich"), "time_zone"),
    (lambda d: d["week"].update(monday=[["17:00", "08:00"]]), "week.monday"),
    (lambda d: d["week"].update(monday=[["8", "17:00"]]), "week.monday[0]"),
    (lambda d: d["week"].update(monday=[["08:00", "24:30"]]), "week.monday[0]"),
    (lambda d: d["week"].update(monday=[["08:00", "12:00"], ["11:00", "17:00"]]), "week.monday"),
    (lambda d: d["week"].update(moonday=[]), "moonday"),
    (lambda d: d.update(week={"monday": []}), "never opens"),
    (lambda d: d["holidays"].append({"name": "Zibelemärit"}), "holidays[10]"),
    (lambda d: d["holidays"].append({"name": "x", "month": 4, "day": 31}), "holidays[10]"),
    (lambda d: d["holidays"].append({"name": "x", "month": 4, "day": 1, "days_after_easter": 3}), "holidays[10]"),
    (lambda d: d["service_levels"]["premium"]["high"].update(first_response="5h"), "service_levels.premium.high"),
    (lambda d: d["service_levels"]["standard"]["low"].update(resolution="soon"), "service_levels.standard.low.resolution"),
    (lambda d: d["service_levels"]["standard"].pop("normal"), "service_levels.standard"),
    (lambda d: d["service_levels"]["standard"]["critical"].pop("around_the_clock"), "critical"),
    (lambda d: d["service_levels"]["premium"].update(urgent={}), "urgent"),
])
def test_ti_04_a_contradictory_file_is_refused_naming_the_entry(raw, change, named):
    data = copy.deepcopy(raw)
    change(data)
    assert named in refused(data)


def test_ti_04_a_broken_file_is_refused_at_load(tmp_path, raw):
    broken = copy.deepcopy(raw)
    broken["week"]["friday"] = [["08:00", "25:00"]]
    path = tmp_path / "office_hours.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(InvalidOfficeHours, match="week.friday"):
        load(path)


@pytest.mark.parametrize("text, duration", [
    ("45m", timedelta(minutes=45)), ("4h", h(4)), ("1h30m", h(1.5)), ("2d", timedelta(days=2)), ("1d 2h", h(26)),
])
def test_ti_04_durations_in_the_file(text, duration):
    assert duration_from(text, "x") == duration


@pytest.mark.parametrize("text", ["", "4", "h", "1.5h", "-1h", "4 hours"])
def test_ti_04_durations_that_are_none(text):
    with pytest.raises(InvalidOfficeHours):
        duration_from(text, "x")


def test_bi_18_premium_cannot_be_slower_than_standard():
    slow = Targets(h(10), h(30))
    fast = Targets(h(1), h(2))
    critical = Targets(h(1), h(4), around_the_clock=True)
    with pytest.raises(InvalidOfficeHours, match="premium.low"):
        ServiceLevels({"low": fast, "normal": fast, "high": fast, "critical": critical},
                      {"low": slow, "normal": fast, "high": fast, "critical": critical})


# --- Properties ---------------------------------------------------------------------------------------

START = datetime(2025, 12, 20, tzinfo=UTC)  # spans Christmas, Easter and both changes of the clocks
# minutes more often than seconds, so that openings and closings are hit exactly
moments = st.one_of(
    st.integers(0, 420 * 24 * 4).map(lambda q: START + timedelta(minutes=15 * q)),
    st.integers(0, 420 * 24 * 3600).map(lambda s: START + timedelta(seconds=s)),
)
targets = st.integers(0, 60 * 4).map(lambda q: timedelta(minutes=15 * q))
pause_lists = st.lists(
    st.tuples(moments, st.integers(0, 4 * 24 * 4).map(lambda q: timedelta(minutes=15 * q))).map(lambda p: (p[0], p[0] + p[1])),
    max_size=4,
)
calendars = st.sampled_from([HOURS, AROUND_THE_CLOCK])


@settings(max_examples=150, deadline=None)
@given(calendars, moments, targets, targets, pause_lists)
def test_ti_04_the_deadline_is_monotone_in_the_target(hours, start, a, b, pauses):
    shorter, longer = sorted((a, b))
    assert hours.deadline(start, shorter, pauses) <= hours.deadline(start, longer, pauses)


@settings(max_examples=150, deadline=None)
@given(calendars, moments, moments, moments)
def test_ti_04_office_time_is_additive(hours, a, b, c):
    assert hours.office_time_between(a, b) + hours.office_time_between(b, c) == hours.office_time_between(a, c)


@settings(max_examples=150, deadline=None)
@given(moments, moments)
def test_ti_04_office_time_is_at_most_the_time_that_passed_and_nine_hours_a_day(a, b):
    a, b = sorted((a, b))
    office = HOURS.office_time_between(a, b)
    assert timedelta(0) <= office <= b - a
    assert office <= h(9) * ((b - a).days + 1)


@settings(max_examples=150, deadline=None)
@given(calendars, moments, targets, pause_lists)
def test_ti_04_by_the_deadline_exactly_the_target_has_run_and_the_office_is_open(hours, start, target, pauses):
    due = hours.deadline(start, target, pauses)
    assert due >= start
    assert hours.counted_between(start, due, pauses) == target
    assert hours.is_open(due)  # never at a closing time
    assert not any(begins <= due < ends for begins, ends in pauses)
    # the last such moment: a moment later more has run
    assert hours.counted_between(start, due + timedelta(microseconds=1), pauses) > target


@settings(max_examples=100, deadline=None)
@given(moments, targets, pause_lists, st.lists(moments, min_size=2, max_size=6))
def test_ti_04_a_clock_never_goes_back_from_breached_or_warning(start, target, pauses, nows):
    clock = SlaClock(start, target, HOURS, tuple(pauses))
    order = [SlaState.ON_TIME, SlaState.WARNING, SlaState.BREACHED]
    states = [order.index(clock.state_at(now)) for now in sorted(nows)]
    assert states == sorted(states)


@settings(max_examples=100, deadline=None)
@given(calendars, moments, moments, moments, pause_lists)
def test_ti_04_counted_time_without_the_pauses_is_additive(hours, a, b, c, pauses):
    a, b, c = sorted((a, b, c))
    assert hours.counted_between(a, b, pauses) + hours.counted_between(b, c, pauses) == hours.counted_between(a, c, pauses)
    assert hours.counted_between(a, c, pauses) <= hours.office_time_between(a, c)


@settings(max_examples=100, deadline=None)
@given(moments, st.sampled_from(["low", "normal", "high", "critical"]), pause_lists)
def test_bi_18_premium_deadlines_are_never_later_than_standard_ones(opened, priority, pauses):
    standard = LEVELS.clocks(opened, priority, premium=False, office_hours=HOURS, pauses=pauses)
    premium = LEVELS.clocks(opened, priority, premium=True, office_hours=HOURS, pauses=pauses)
    for fast, slow in zip(premium, standard):
        assert fast.breach_at() <= slow.breach_at()
        assert fast.warning_at() <= fast.breach_at()
