"""When support is at work (TI-04): office hours in the provider's time zone, public holidays, and
the office time between two moments.

Tickets are handled Mon–Fri 08:00–17:00 (services/tickets/data/office_hours.yaml); critical tickets
around the clock (`AROUND_THE_CLOCK`). Every moment given or answered is an aware datetime, answered
in UTC; the week and the holidays are read in the provider's time zone, so a working day is 9 hours
also on the days the clocks change. No clock is read here: callers pass the moments.

A deadline is the moment at which `target` of office time has run since `start`. When that moment is
a closing time (17:00, or the start of a pause), the deadline moves to the next opening: it is the
last moment by which no more than `target` has run, and nobody can answer while the office is closed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ZERO = timedelta(0)

# How many days in a row may be without an opening before the office hours count as never open.
_LONGEST_CLOSURE_DAYS = 3 * 366


class InvalidOfficeHours(ValueError):
    """The office hours or service levels (their data file) contradict themselves; names the entry."""


Period = tuple[datetime, datetime]  # [opens, closes) in UTC
Pause = tuple[datetime, "datetime | None"]  # waiting for the customer; None: still waiting


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian computus, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the computus' own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class FixedHoliday:
    """The same day every year (Neujahrstag, 1 August)."""

    name: str
    month: int
    day: int

    def __post_init__(self):
        date(2024, self.month, self.day)  # refuses 31 April; 29 February is a leap years' holiday

    def in_year(self, year: int) -> date | None:
        try:
            return date(year, self.month, self.day)
        except ValueError:
            return None


@dataclass(frozen=True)
class EasterHoliday:
    """A day counted from Easter Sunday: Good Friday -2, Easter Monday +1, Ascension +39, Whit Monday +50."""

    name: str
    days_after_easter: int

    def in_year(self, year: int) -> date | None:
        return easter_sunday(year) + timedelta(days=self.days_after_easter)


@dataclass(frozen=True)
class OneOffHoliday:
    """One given day (a bridge day, a closure announced to customers)."""

    name: str
    day: date

    def in_year(self, year: int) -> date | None:
        return self.day if self.day.year == year else None


Holiday = FixedHoliday | EasterHoliday | OneOffHoliday


def as_utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC), not {type(moment).__name__} without a time zone")
    return moment.astimezone(UTC)


def _pauses(pauses: Iterable[Pause]) -> list[tuple[datetime, datetime | None]]:
    """The pauses in order, overlapping ones merged, empty ones dropped; None: a pause without end."""
    spans = []
    for paused_from, paused_until in pauses:
        begins = as_utc(paused_from, "paused_from")
        ends = None if paused_until is None else as_utc(paused_until, "paused_until")
        if ends is not None and ends < begins:
            raise ValueError("a pause ends before it begins (paused_until < paused_from)")
        if ends is None or ends > begins:
            spans.append((begins, ends))
    spans.sort(key=lambda span: span[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for begins, ends in spans:
        if merged and (merged[-1][1] is None or begins <= merged[-1][1]):
            last_begins, last_ends = merged[-1]
            merged[-1] = (last_begins, None if ends is None or last_ends is None else max(last_ends, ends))
        else:
            merged.append((begins, ends))
    return merged


def _without_pauses(periods: Iterator[Period], pauses: list[tuple[datetime, datetime | None]]) -> Iterator[Period]:
    """The periods minus the pauses; ends at a pause without end."""
    index = 0
    for opens, closes in periods:
        while opens < closes:
            while index < len(pauses) and pauses[index][1] is not None and pauses[index][1] <= opens:
                index += 1
            if index == len(pauses) or pauses[index][0] >= closes:
                yield opens, closes
                break
            begins, ends = pauses[index]
            if begins > opens:
                yield opens, begins
            if ends is None:
                return
            opens = max(opens, ends)


class WorkingTime:
    """Time that counts: subclasses answer the open periods from a moment on."""

    def open_periods(self, start: datetime) -> Iterator[Period]:
        """The periods in which the office is open, from `start` on (the first one clipped to it), in
        order. Periods may touch (24:00 and 00:00): then the office does not close in between."""
        raise NotImplementedError

    def is_open(self, moment: datetime) -> bool:
        opens, _ = next(self.open_periods(moment))
        return opens == as_utc(moment, "moment")

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` when the office is open then, else the moment it opens next."""
        return next(self.open_periods(moment))[0]

    def office_time_between(self, a: datetime, b: datetime) -> timedelta:
        """The office time from `a` to `b` (negative when `b` comes first), so that
        office_time_between(a, b) + office_time_between(b, c) == office_time_between(a, c)."""
        a, b = as_utc(a, "a"), as_utc(b, "b")
        if b < a:
            return -self.office_time_between(b, a)
        total = ZERO
        for opens, closes in self.open_periods(a):
            if opens >= b:
                break
            total += min(closes, b) - opens
        return total

    def counted_between(self, a: datetime, b: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
        """Office time from `a` to `b` without the pauses (a pause without end lasts beyond `b`)."""
        a, b = as_utc(a, "a"), as_utc(b, "b")
        total = ZERO
        for opens, closes in _without_pauses(self.open_periods(a), _pauses(pauses)):
            if opens >= b:
                break
            total += min(closes, b) - opens
        return total

    def deadline(self, start: datetime, target: timedelta, pauses: Iterable[Pause] = ()) -> datetime | None:
        """The moment at which `target` of office time has run since `start`, not counting the
        pauses; a deadline at closing time (or at the start of a pause) moves to the next opening.
        None while a pause without end stops the clock before then."""
        start = as_utc(start, "start")
        if not isinstance(target, timedelta) or target < ZERO:
            raise ValueError("target must be a timedelta of zero or more")
        remaining = target
        for opens, closes in _without_pauses(self.open_periods(start), _pauses(pauses)):
            # strictly shorter: when the target ends exactly at a closing, it reaches the next opening
            if remaining < closes - opens:
                return opens + remaining
            remaining -= closes - opens
        return None


@dataclass(frozen=True, eq=False)
class AroundTheClock(WorkingTime):
    """Every moment counts: critical tickets (TI-04: handled outside office hours too)."""

    _FAR = datetime(9999, 12, 31, tzinfo=UTC)

    def open_periods(self, start: datetime) -> Iterator[Period]:
        yield as_utc(start, "start"), self._FAR


AROUND_THE_CLOCK = AroundTheClock()


@dataclass(frozen=True, eq=False)
class OfficeHours(WorkingTime):
    """The provider's week (per weekday, [opens, closes) as local times; "24:00" closes at midnight)
    and its public holidays, in its time zone."""

    time_zone: str
    week: Mapping[str, Sequence[tuple[time, time | None]]]
    holidays: tuple[Holiday, ...] = ()
    _zone: ZoneInfo = field(init=False, repr=False)

    def __post_init__(self):
        try:
            object.__setattr__(self, "_zone", ZoneInfo(self.time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidOfficeHours(f"time_zone: {self.time_zone!r} is no IANA time zone") from None
        unknown = set(self.week) - set(WEEKDAYS)
        if unknown:
            raise InvalidOfficeHours(f"week: {sorted(unknown)[0]!r} is no weekday")
        for weekday, periods in self.week.items():
            ordered = sorted(periods, key=lambda period: period[0])
            for (opens, closes), following in zip(ordered, [*ordered[1:], None]):
                if closes is not None and closes <= opens:
                    raise InvalidOfficeHours(f"week.{weekday}: {opens:%H:%M}–{closes:%H:%M} closes before it opens")
                if following is not None and (closes is None or following[0] < closes):
                    raise InvalidOfficeHours(f"week.{weekday}: the opening hours overlap")
        if not any(self.week.values()):
            raise InvalidOfficeHours("week: the office never opens")

    def holidays_in(self, year: int) -> dict[date, str]:
        """The year's holidays by day (the first name when two fall on one day)."""
        return dict(_holidays_in(self.holidays, year))

    def holiday(self, day: date) -> str | None:
        return self.holidays_in(day.year).get(day)

    def open_periods(self, start: datetime) -> Iterator[Period]:
        start = as_utc(start, "start")
        day = start.astimezone(self._zone).date()
        closed_days = 0
        while True:
            periods = self._periods_on(day)
            closed_days = 0 if periods else closed_days + 1
            if closed_days > _LONGEST_CLOSURE_DAYS:
                raise InvalidOfficeHours("the office hours have no opening within three years")
            for opens, closes in periods:
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def _periods_on(self, day: date) -> list[Period]:
        if self.holiday(day) is not None:
            return []
        periods = []
        for opens, closes in sorted(self.week.get(WEEKDAYS[day.weekday()], ()), key=lambda period: period[0]):
            # a local time the change of the clocks skips or repeats is read as before the change (fold=0)
            local_opens = datetime.combine(day, opens, tzinfo=self._zone)
            if closes is None:
                local_closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self._zone)
            else:
                local_closes = datetime.combine(day, closes, tzinfo=self._zone)
            periods.append((local_opens.astimezone(UTC), local_closes.astimezone(UTC)))
        return periods


@lru_cache(maxsize=256)
def _holidays_in(holidays: tuple[Holiday, ...], year: int) -> tuple[tuple[date, str], ...]:
    days: dict[date, str] = {}
    for holiday in holidays:
        day = holiday.in_year(year)
        if day is not None:
            days.setdefault(day, holiday.name)
    return tuple(sorted(days.items()))


# --- from the data file (services/tickets/data/office_hours.yaml) ---------------------------------

_CLOCK_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def _clock_time(value, where: str) -> time | None:
    match = _CLOCK_TIME.match(str(value))
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise InvalidOfficeHours(f"{where}: {value!r} is no time of day HH:MM")
    return None if match.group(1) == "24" else time(int(match.group(1)), int(match.group(2)))


def _holiday_from(entry, where: str) -> Holiday:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise InvalidOfficeHours(f"{where}: a holiday needs a name")
    name = entry["name"]
    kinds = [key for key in ("date", "month", "days_after_easter") if key in entry]
    if len(kinds) != 1:
        raise InvalidOfficeHours(f"{where} ({name}): give one of date, month and day, or days_after_easter")
    try:
        if "date" in entry:
            day = entry["date"]
            return OneOffHoliday(name, day if isinstance(day, date) else date.fromisoformat(str(day)))
        if "month" in entry:
            return FixedHoliday(name, int(entry["month"]), int(entry["day"]))
        return EasterHoliday(name, int(entry["days_after_easter"]))
    except (KeyError, TypeError, ValueError):
        raise InvalidOfficeHours(f"{where} ({name}): no day of the year") from None


def office_hours_from(data: Mapping) -> OfficeHours:
    """The office hours from the data file's content; refuses it naming the entry that is wrong."""
    if not isinstance(data, Mapping):
        raise InvalidOfficeHours("office hours: the file holds no mapping")
    week: dict[str, list[tuple[time, time | None]]] = {}
    for weekday, periods in (data.get("week") or {}).items():
        week[weekday] = []
        for number, period in enumerate(periods or []):
            where = f"week.{weekday}[{number}]"
            if not isinstance(period, (list, tuple)) or len(period) != 2:
                raise InvalidOfficeHours(f"{where}: give [opens, closes]")
            opens = _clock_time(period[0], where)
            if opens is None:
                raise InvalidOfficeHours(f"{where}: the office cannot open at 24:00")
            week[weekday].append((opens, _clock_time(period[1], where)))
    holidays = tuple(_holiday_from(entry, f"holidays[{n}]") for n, entry in enumerate(data.get("holidays") or []))
    return OfficeHours(time_zone=str(data.get("time_zone", "")), week=week, holidays=holidays)
