"""Time for the domain: the current instant from a clock tests can move, and one ISO-8601 form.

Domain rules that depend on "now" (throttling windows, expiries, lock-outs) take a `Clock`, so a
unit test can put the time where the rule is decided instead of waiting for it.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(moment: datetime) -> str:
    """`2026-11-25T21:02:07.123456Z`: how every API and event writes an instant (UTC, with a Z).
    A naive datetime is taken as UTC (SQLite gives them back naive)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    elif moment.tzinfo is not timezone.utc:
        moment = moment.astimezone(timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return utcnow()


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 1, 1, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**units)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


class ShiftedClock:
    """The real time moved by the number of seconds written in a file (none or unreadable: not
    moved). Rehearsals and end-to-end tests move one component's time forward this way, in all its
    processes at once, to see renewals, reminders and expiries happen (PORTICO_CLOCK_DIR); the file is
    read again only when it changes."""

    def __init__(self, path: Path):
        self._path = path
        self._seen: float | None = None
        self._shift = timedelta(0)

    def now(self) -> datetime:
        try:
            changed = self._path.stat().st_mtime_ns
        except OSError:
            return utcnow()
        if changed != self._seen:
            try:
                self._shift = timedelta(seconds=float(self._path.read_text().strip() or 0))
            except (OSError, ValueError):
                self._shift = timedelta(0)
            self._seen = changed
        return utcnow() + self._shift


SYSTEM = SystemClock()


def clock_of(component: str) -> Clock:
    """A component's clock: the real time, or moved by `<PORTICO_CLOCK_DIR>/<component>.shift` where
    that setting is given (never in production)."""
    folder = os.environ.get("PORTICO_CLOCK_DIR")
    return ShiftedClock(Path(folder) / f"{component}.shift") if folder else SYSTEM


def parse_iso(text: str) -> datetime:
    """The instant `iso_utc` wrote (a trailing Z, or any offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
