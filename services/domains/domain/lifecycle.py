"""A domain's life in time (DO-04 … DO-07): pure functions over UTC dates and a TLD's rules.

Nothing here reads a clock: the day in question (`on`, or `now` for a moment) is always an argument.

`expires_on` is the date, in UTC, of the registry's expiry (EPP exDate). The registry may act at any hour
of that day, so from that day on the domain counts as expired and a renewal must reach the registry the
day before. After expiry the phases follow one another without gaps, each a whole number of days long
(RFC 3915 names them; their lengths are each registry's policy, see data/tlds.yaml):

    active → auto_renew_grace (renew at the normal price) → redemption_period (restore: restore fee plus
    the renewal) → pending_delete (nothing can be done) → released (anyone may register it, DO-05)

A phase of 0 days is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Iterable, TypeVar

from .tld_rules import Money, TldRules

When = TypeVar("When", date, datetime)

DAY = timedelta(days=1)


class Phase(StrEnum):
    ACTIVE = "active"
    AUTO_RENEW_GRACE = "auto_renew_grace"
    REDEMPTION_PERIOD = "redemption_period"
    PENDING_DELETE = "pending_delete"
    RELEASED = "released"


RENEWABLE = (Phase.ACTIVE, Phase.AUTO_RENEW_GRACE)


class TooLate(ValueError):
    """The domain can no longer be renewed or restored."""


class RenewalRefused(ValueError):
    """A renewal the TLD does not allow (period not offered, beyond the years ahead, too late)."""


# --- Dates of a term -----------------------------------------------------------------------------------

def utc_day(now: datetime) -> date:
    """The UTC date of a moment: the day every rule here counts in (registries keep exDate in UTC)."""
    if now.tzinfo is None:
        raise ValueError("a moment without a time zone has no UTC day")
    return now.astimezone(timezone.utc).date()


def add_years(when: When, years: int) -> When:
    """The same day `years` later; 29 February becomes 28 February in a common year, so a term never
    ends in the month after its anniversary."""
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February → a year without one
        return when.replace(year=when.year + years, day=28)


def expiry_after(registered: When, years: int) -> When:
    """When a registration for `years` years ends (registered 2024-02-29 for 1 year: 2025-02-28)."""
    if years < 1:
        raise ValueError("a registration lasts at least one year")
    return add_years(registered, years)


def expiry_after_renewal(expires_on: When, years: int) -> When:
    """A renewal extends the current expiry, not today's date (EPP domain:renew names curExpDate), so a
    2024-02-29 registration renewed year by year stays on 28 February, also in 2028."""
    if years < 1:
        raise ValueError("a renewal lasts at least one year")
    return add_years(expires_on, years)


def expiry_after_transfer(rules: TldRules, expires_on: When, transferred: When) -> When:
    """gTLD transfers add a year to the term; SWITCH, DENIC and Afnic keep the expiry as it was;
    Registro.it sets it to one year after the day the transfer completes."""
    if rules.transfer_expiry == "add_year":
        return add_years(expires_on, 1)
    if rules.transfer_expiry == "one_year_from_transfer":
        return add_years(transferred, 1)
    return expires_on


def in_add_grace(rules: TldRules, registered_on: date, on: date) -> bool:
    """Within the add grace period a new registration can be deleted for a refund (RFC 3915 addPeriod)."""
    return registered_on <= on < registered_on + timedelta(days=rules.add_grace)


# --- Phases after expiry ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """Whole days, both ends included."""
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Timeline:
    """The dates of each phase after a given expiry, for one TLD (DO-05)."""
    expires_on: date
    auto_renew_grace: Span | None
    redemption_period: Span | None
    pending_delete: Span | None
    released_on: date

    @property
    def last_active_day(self) -> date:
        return self.expires_on - DAY

    @property
    def last_renewal_day(self) -> date:
        """The last day a renewal at the normal price is still possible."""
        return self.auto_renew_grace.last_day if self.auto_renew_grace else self.last_active_day

    def spans(self) -> tuple[tuple[Phase, Span], ...]:
        """The phases after expiry that last at least a day, in order."""
        phases = ((Phase.AUTO_RENEW_GRACE, self.auto_renew_grace), (Phase.REDEMPTION_PERIOD, self.redemption_period),
                  (Phase.PENDING_DELETE, self.pending_delete))
        return tuple((phase, span) for phase, span in phases if span is not None)

    def phase_on(self, on: date) -> Phase:
        if on < self.expires_on:
            return Phase.ACTIVE
        for phase, span in self.spans():
            if on in span:
                return phase
        return Phase.RELEASED


def _span(first_day: date, days: int) -> Span | None:
    return Span(first_day, first_day + timedelta(days=days - 1)) if days > 0 else None


def timeline(rules: TldRules, expires_on: date) -> Timeline:
    grace_starts = expires_on
    redemption_starts = grace_starts + timedelta(days=rules.auto_renew_grace)
    pending_delete_starts = redemption_starts + timedelta(days=rules.redemption_period)
    released_on = pending_delete_starts + timedelta(days=rules.pending_delete)
    return Timeline(
        expires_on=expires_on,
        auto_renew_grace=_span(grace_starts, rules.auto_renew_grace),
        redemption_period=_span(redemption_starts, rules.redemption_period),
        pending_delete=_span(pending_delete_starts, rules.pending_delete),
        released_on=released_on,
    )


def phase_on(rules: TldRules, expires_on: date, on: date) -> Phase:
    """Where a domain expiring on `expires_on` stands on the day `on`."""
    return timeline(rules, expires_on).phase_on(on)


# --- What keeping the domain costs -----------------------------------------------------------------------

@dataclass(frozen=True)
class Quote:
    """The price to keep a domain: a renewal, plus the restore fee in the redemption period."""
    phase: Phase
    years: int
    renewal: Money
    restore_fee: Money | None = None

    @property
    def total(self) -> Money:
        return self.renewal + self.restore_fee if self.restore_fee else self.renewal

    @property
    def restores(self) -> bool:
        return self.restore_fee is not None


def price_to_keep(rules: TldRules, expires_on: date, on: date, currency: str, years: int = 1) -> Quote:
    """Before expiry and in the auto-renew grace a renewal costs the normal price; in the redemption
    period the registry restores first (RFC 3915 restore) and renews, so the restore fee comes on top."""
    phase = phase_on(rules, expires_on, on)
    if phase in RENEWABLE:
        return Quote(phase, years, rules.renewal_price(currency, years))
    if phase is Phase.REDEMPTION_PERIOD:
        return Quote(phase, years, rules.renewal_price(currency, years), rules.restore_price(currency))
    raise TooLate(f"the domain is in {phase.value.replace('_', ' ')} since "
                  f"{_phase_start(rules, expires_on, phase).isoformat()}: it can no longer be renewed or restored")


def _phase_start(rules: TldRules, expires_on: date, phase: Phase) -> date:
    line = timeline(rules, expires_on)
    if phase is Phase.RELEASED:
        return line.released_on
    return dict(line.spans())[phase].first_day


def renewal_refusal(rules: TldRules, expires_on: date, years: int, on: date) -> str | None:
    """Why a renewal for `years` years on the day `on` is not allowed, or None when it is.

    A renewal must be one of the TLD's periods, and the new expiry may lie at most `max_years_ahead`
    years (10 at most, as registries cap it) after the day of the renewal."""
    if years not in rules.periods:
        offered = ", ".join(str(p) for p in rules.periods)
        return f".{rules.tld} renews for {offered} year(s) at a time, not {years}"
    phase = phase_on(rules, expires_on, on)
    if phase not in RENEWABLE and phase is not Phase.REDEMPTION_PERIOD:
        return f"the domain is in {phase.value.replace('_', ' ')}: it can no longer be renewed"
    new_expiry = expiry_after_renewal(expires_on, years)
    latest = add_years(on, rules.max_years_ahead)
    if new_expiry > latest:
        return (f"renewed for {years} year(s) it would run until {new_expiry.isoformat()}, more than "
                f"{rules.max_years_ahead} years ahead (at most until {latest.isoformat()})")
    return None


def may_renew(rules: TldRules, expires_on: date, years: int, on: date) -> bool:
    return renewal_refusal(rules, expires_on, years, on) is None


def check_renewal(rules: TldRules, expires_on: date, years: int, on: date) -> None:
    reason = renewal_refusal(rules, expires_on, years, on)
    if reason:
        raise RenewalRefused(reason)


def longest_renewal(rules: TldRules, expires_on: date, on: date) -> int:
    """The most years one renewal may add today (0: none)."""
    return max((p for p in rules.periods if may_renew(rules, expires_on, p, on)), default=0)


# --- Transfer lock ---------------------------------------------------------------------------------------

class LockingEvent(StrEnum):
    REGISTRATION = "registration"
    TRANSFER = "transfer"
    OWNER_CHANGE = "owner_change"


def transfer_lock_ends(rules: TldRules, event: LockingEvent, at: When) -> When | None:
    """When a domain may move to another registrar again after this event; None when it locks nothing.
    Given a moment, the lock ends at the same time of day (ICANN's revised policy counts 720 hours)."""
    days = {LockingEvent.REGISTRATION: rules.transfer_lock.after_registration,
            LockingEvent.TRANSFER: rules.transfer_lock.after_transfer,
            LockingEvent.OWNER_CHANGE: rules.transfer_lock.after_owner_change}[LockingEvent(event)]
    return at + timedelta(days=days) if days else None


def transfer_locked_until(rules: TldRules, events: Iterable[tuple[LockingEvent, When]]) -> When | None:
    """The end of the longest-running lock of these events (registration, transfers, owner changes)."""
    ends = [end for event, at in events if (end := transfer_lock_ends(rules, event, at)) is not None]
    return max(ends) if ends else None


def may_transfer_out(rules: TldRules, events: Iterable[tuple[LockingEvent, When]], now: When) -> bool:
    until = transfer_locked_until(rules, events)
    return until is None or now >= until


# --- Reminders (DO-04) -------------------------------------------------------------------------------------

class ReminderKind(StrEnum):
    BEFORE_EXPIRY = "before_expiry"
    AFTER_EXPIRY = "after_expiry"  # only sent while the domain is not renewed


@dataclass(frozen=True)
class Reminder:
    kind: ReminderKind
    days: int  # before or after the expiry
    on: date


def reminders(rules: TldRules, expires_on: date) -> tuple[Reminder, ...]:
    """The owners' reminders for this expiry, in date order (ICANN's ERRP: about a month and about a week
    before, one within 5 days after; the days are the TLD's configuration)."""
    before = [Reminder(ReminderKind.BEFORE_EXPIRY, d, expires_on - timedelta(days=d))
              for d in rules.reminders.days_before_expiry]
    after = [Reminder(ReminderKind.AFTER_EXPIRY, d, expires_on + timedelta(days=d))
             for d in rules.reminders.days_after_expiry]
    return tuple(sorted(before + after, key=lambda r: r.on))


def reminder_due(rules: TldRules, expires_on: date, on: date, already_sent: Iterable[Reminder] = ()) -> Reminder | None:
    """The reminder to send on the day `on`, if any: the latest one whose day has come and that was not
    sent yet. A day missed (the scheduler was down) still sends it, but never an earlier one that a
    later one has replaced, and nothing once the domain is released. `expires_on` is the current expiry:
    after a renewal the reminders of the old one no longer apply."""
    if on >= timeline(rules, expires_on).released_on:
        return None
    come = [r for r in reminders(rules, expires_on) if r.on <= on]
    if not come or come[-1] in set(already_sent):
        return None
    return come[-1]


# --- Renewal warranty (DO-06) ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WarrantyRenewal:
    """What the renewal warranty does: renew (or, if too late for that, restore) without the customer."""
    renew_on: date
    years: int
    quote: Quote
    new_expiry: date


def warranty_renewal_day(rules: TldRules, expires_on: date) -> date:
    """The day the warranty renews a domain the customer did not renew: the expiry day where the registry
    grants an auto-renew grace (the registry has renewed, we keep that renewal), the day before expiry
    where it does not (SWITCH, DENIC, Afnic act on the expiry day)."""
    return expires_on if rules.auto_renew_grace else expires_on - DAY


def renewal_warranty(rules: TldRules, expires_on: date, on: date, currency: str, *,
                     warranty: bool) -> WarrantyRenewal | None:
    """DO-06: on and after its renewal day, a domain under the renewal warranty that is still expiring on
    `expires_on` is renewed for the TLD's shortest period without the customer's action, billed like
    any renewal (DO-07). A missed day still renews; in the redemption period it restores (restore fee
    plus renewal). None: no warranty, not yet its day, or too late for anything."""
    if not warranty:
        return None
    day = warranty_renewal_day(rules, expires_on)
    if on < day:
        return None
    years = rules.periods[0]
    try:
        quote = price_to_keep(rules, expires_on, on, currency, years)
    except TooLate:
        return None
    return WarrantyRenewal(renew_on=max(day, on), years=years, quote=quote,
                           new_expiry=expiry_after_renewal(expires_on, years))


# --- The scheduler's calendar (DO-04 … DO-07) ------------------------------------------------------------

# A domain's status (the `domains.status` column, the API and DomainStateChanged) for each phase.
STATUS_OF_PHASE = {Phase.ACTIVE: "active", Phase.AUTO_RENEW_GRACE: "expired", Phase.REDEMPTION_PERIOD: "redemption",
                   Phase.PENDING_DELETE: "pending_delete", Phase.RELEASED: "released"}
STATUS_ORDER = ("active", "expired", "redemption", "pending_delete", "released")


def status_on(rules: TldRules, expires_on: date, on: date) -> str:
    return STATUS_OF_PHASE[phase_on(rules, expires_on, on)]


def statuses_between(rules: TldRules, current: str, target: str) -> tuple[str, ...]:
    """The statuses a domain of the TLD passes through from `current` to `target`, in order, `current`
    excluded and phases of 0 days skipped (a scheduler down for days still announces each change);
    nothing when `target` is not later."""
    start, end = STATUS_ORDER.index(current), STATUS_ORDER.index(target)
    lengths = {"expired": rules.auto_renew_grace, "redemption": rules.redemption_period,
               "pending_delete": rules.pending_delete}
    return tuple(s for s in STATUS_ORDER[start + 1:end + 1] if s == target or lengths.get(s, 1) > 0)


def renewal_window_opens(expires_on: date, lead_days: int) -> date:
    """DO-07: from this day on a domain with automatic renewal is invoiced for its next term."""
    return expires_on - timedelta(days=max(lead_days, 1))


def next_check(rules: TldRules, expires_on: date, today: date, lead_days: int) -> date | None:
    """The next day the scheduler must look at a domain that expires on `expires_on` (its `due_on`),
    having looked today: the next reminder's day or the day its renewal window opens, whichever comes
    first; from then on every day (a renewal turned on, a payment missing, the next phase), until the
    domain is released (None: nothing more will ever be due).

    So the daily scan reads only the domains with something due, through an index on that day."""
    released_on = timeline(rules, expires_on).released_on
    if today >= released_on:
        return None
    tomorrow = today + DAY
    window = min(renewal_window_opens(expires_on, lead_days), warranty_renewal_day(rules, expires_on))
    if tomorrow >= window:
        return tomorrow
    upcoming = [r.on for r in reminders(rules, expires_on) if r.on > today] + [window]
    return max(tomorrow, min(upcoming))


def notice_name(reminder: Reminder) -> str:
    """How a reminder is named in DomainExpiring and the table of notices sent: before_30, before_7,
    after_expiry (ERRP's one notice after expiry)."""
    return f"before_{reminder.days}" if reminder.kind is ReminderKind.BEFORE_EXPIRY else "after_expiry"


def last_renewable_day(rules: TldRules, expires_on: date) -> date:
    """The last day a renewal at the normal price is possible: the end of the auto-renew grace, or the
    day before expiry where the registry grants none."""
    line = timeline(rules, expires_on)
    return line.auto_renew_grace.last_day if line.auto_renew_grace else expires_on - DAY


def last_restorable_day(rules: TldRules, expires_on: date) -> date | None:
    line = timeline(rules, expires_on)
    return line.redemption_period.last_day if line.redemption_period else None
