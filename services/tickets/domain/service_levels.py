"""Service levels of support tickets (TI-04, BI-18): by when a ticket gets its first answer and by
when it is resolved, per priority.

Targets count office time (services/tickets/data/office_hours.yaml); critical tickets count every
hour, day and night (TI-04: handled outside office hours too). Premium support (BI-18) has its own,
shorter targets. Time spent waiting for the customer does not count (pauses). A clock warns once a
share of its target (80 %) has run and is breached at its deadline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Iterable, Mapping

from .model import PRIORITIES
from .office_hours import AROUND_THE_CLOCK, ZERO, InvalidOfficeHours, Pause, WorkingTime, as_utc

WARNING_SHARE = 0.8
PLANS = ("standard", "premium")


class SlaState(str, Enum):
    ON_TIME = "on_time"
    WARNING = "warning"
    BREACHED = "breached"


@dataclass(frozen=True)
class Targets:
    """A priority's targets: the first answer and the resolution, counted from the ticket's opening."""

    first_response: timedelta
    resolution: timedelta
    around_the_clock: bool = False


@dataclass(frozen=True)
class SlaClock:
    """One target of one ticket: `target` of counted time from `start`, not counting the pauses
    (paused_from, paused_until); a pause without end (None) means the customer has not answered yet."""

    start: datetime
    target: timedelta
    hours: WorkingTime
    pauses: tuple[Pause, ...] = ()
    warning_share: float = WARNING_SHARE

    def __post_init__(self):
        as_utc(self.start, "start")
        if self.target < ZERO:
            raise ValueError("target must be zero or more")
        if not 0 < self.warning_share <= 1:
            raise ValueError("warning_share must lie in (0, 1]")
        object.__setattr__(self, "pauses", tuple(self.pauses))

    def _pauses_until(self, now: datetime | None) -> list[Pause]:
        if now is None:
            return list(self.pauses)
        now = as_utc(now, "now")
        # a pause still running counts as ending now: the clock is read as it stands
        return [(begins, max(begins, now) if ends is None else ends) for begins, ends in self.pauses]

    def breach_at(self, now: datetime | None = None) -> datetime | None:
        """The deadline; with `now`, as things stand then (a pause still running ends then).
        None while an open pause stops the clock (without `now`)."""
        return self.hours.deadline(self.start, self.target, self._pauses_until(now))

    def warning_at(self, now: datetime | None = None) -> datetime | None:
        return self.hours.deadline(self.start, self.target * self.warning_share, self._pauses_until(now))

    def counted(self, now: datetime) -> timedelta:
        """How much of the target has run by `now`."""
        if as_utc(now, "now") <= as_utc(self.start, "start"):
            return ZERO
        return self.hours.counted_between(self.start, now, self._pauses_until(now))

    def state_at(self, now: datetime) -> SlaState:
        breach, warning = self.breach_at(now), self.warning_at(now)
        now = as_utc(now, "now")
        if breach is not None and now >= breach:
            return SlaState.BREACHED
        if warning is not None and now >= warning:
            return SlaState.WARNING
        return SlaState.ON_TIME


@dataclass(frozen=True)
class ServiceLevels:
    """The targets of every priority, for standard and for premium support (BI-18)."""

    standard: Mapping[str, Targets]
    premium: Mapping[str, Targets]
    warning_share: float = WARNING_SHARE

    def __post_init__(self):
        for plan in PLANS:
            missing = [p for p in PRIORITIES if p not in getattr(self, plan)]
            if missing:
                raise InvalidOfficeHours(f"service_levels.{plan}: no targets for {missing[0]}")
        for priority in PRIORITIES:
            standard, premium = self.standard[priority], self.premium[priority]
            if premium.first_response > standard.first_response or premium.resolution > standard.resolution:
                raise InvalidOfficeHours(f"service_levels.premium.{priority}: premium support answers no later than standard")
            if premium.around_the_clock != standard.around_the_clock:
                raise InvalidOfficeHours(f"service_levels.premium.{priority}: counts the same hours as standard")
        if not self.standard["critical"].around_the_clock:
            raise InvalidOfficeHours("service_levels.standard.critical: critical tickets are handled around the clock (TI-04)")
        if not 0 < self.warning_share <= 1:
            raise InvalidOfficeHours("service_levels.warning_share must lie in (0, 1]")

    def targets(self, priority: str, *, premium: bool = False) -> Targets:
        if priority not in PRIORITIES:
            raise ValueError(f"priority: {priority!r} is none of {', '.join(PRIORITIES)}")
        return (self.premium if premium else self.standard)[priority]

    def clocks(self, opened_at: datetime, priority: str, *, premium: bool, office_hours: WorkingTime,
               pauses: Iterable[Pause] = ()) -> tuple[SlaClock, SlaClock]:
        """The ticket's first-response and resolution clocks."""
        targets = self.targets(priority, premium=premium)
        hours = AROUND_THE_CLOCK if targets.around_the_clock else office_hours
        pauses = tuple(pauses)
        return (
            SlaClock(opened_at, targets.first_response, hours, pauses, self.warning_share),
            SlaClock(opened_at, targets.resolution, hours, pauses, self.warning_share),
        )


# --- from the data file ----------------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def duration_from(value, where: str) -> timedelta:
    """"45m", "4h", "1h30m", "2d" (days of 24 hours, for targets around the clock)."""
    match = _DURATION.match(str(value).replace(" ", ""))
    if not match or not any(match.groups()):
        raise InvalidOfficeHours(f"{where}: {value!r} is no duration like 4h, 30m or 1h30m")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def service_levels_from(data: Mapping) -> ServiceLevels:
    """The targets from the data file's `service_levels`; refuses them naming the entry that is wrong."""
    if not isinstance(data, Mapping):
        raise InvalidOfficeHours("service_levels: give standard and premium")
    plans = {}
    for plan in PLANS:
        entries = data.get(plan)
        if not isinstance(entries, Mapping):
            raise InvalidOfficeHours(f"service_levels.{plan}: give the targets per priority")
        plans[plan] = {}
        for priority, entry in entries.items():
            where = f"service_levels.{plan}.{priority}"
            if priority not in PRIORITIES:
                raise InvalidOfficeHours(f"{where}: no such priority")
            if not isinstance(entry, Mapping):
                raise InvalidOfficeHours(f"{where}: give first_response and resolution")
            plans[plan][priority] = Targets(
                first_response=duration_from(entry.get("first_response"), f"{where}.first_response"),
                resolution=duration_from(entry.get("resolution"), f"{where}.resolution"),
                around_the_clock=bool(entry.get("around_the_clock", False)),
            )
    try:
        warning_share = float(data.get("warning_share", WARNING_SHARE))
    except (TypeError, ValueError):
        raise InvalidOfficeHours("service_levels.warning_share: give a share like 0.8") from None
    return ServiceLevels(plans["standard"], plans["premium"], warning_share)
