"""TI-04, BI-18: the service levels of each ticket as it lives: when its first response and its
resolution are due, warnings before and breaches at those moments, each emitted once.

A ticket's targets are those of its priority, for premium support (BI-18) when its organization had
the premium support product when the ticket was opened, else standard (service_levels.py). They
count office time (critical: around the clock, office_hours.py). Waiting for the customer pauses both
clocks; a closed ticket is resolved (a reopened one counts on from where it stood, the time it was
closed not counted). A changed priority counts the new targets from the opening.

The scheduler (entrypoints/scheduler.py) looks at the tickets whose next moment has come
(`next_check_at`); every warning and breach is recorded with a unique key (ticket, target, stage) in
the same transaction as its event, so two schedulers at once emit each one once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import iso_utc

from .events import ServiceLevelBreached, ServiceLevelWarning
from .office_hours import WorkingTime, as_utc
from .service_levels import ServiceLevels, SlaClock

FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
TARGETS = (FIRST_RESPONSE, RESOLUTION)
WARNING, BREACHED = "warning", "breached"
STAGES = (WARNING, BREACHED)
STANDARD, PREMIUM = "standard", "premium"
PREMIUM_SUPPORT = "premium-support"  # billing's product type (BI-18)


@dataclass(eq=False)
class TicketServiceLevel:
    """One ticket's service level clocks (table ticket_service_levels)."""

    ticket_id: str
    org_id: str
    ticket_number: str
    priority: str
    plan: str
    opened_at: datetime
    pauses: list = field(default_factory=list)  # [[from ISO, until ISO | None], …]
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    next_check_at: datetime | None = None
    done: list = field(default_factory=list)  # ["first_response:warning", …] emitted already

    @property
    def pause_spans(self) -> list[tuple[datetime, datetime | None]]:
        return [(_at(begins), None if ends is None else _at(ends)) for begins, ends in self.pauses]

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    def met_at(self, target: str) -> datetime | None:
        return self.first_responded_at if target == FIRST_RESPONSE else self.resolved_at


def _at(text) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) else text


@dataclass(frozen=True)
class Rules:
    """The office hours and the targets (from services/tickets/data/office_hours.yaml)."""

    office_hours: WorkingTime
    levels: ServiceLevels

    def clocks(self, record: TicketServiceLevel) -> dict[str, SlaClock]:
        first, resolution = self.levels.clocks(record.opened_at, record.priority, premium=record.plan == PREMIUM,
                                               office_hours=self.office_hours, pauses=record.pause_spans)
        return {FIRST_RESPONSE: first, RESOLUTION: resolution}


def start(rules: Rules, *, ticket_id: str, org_id: str, ticket_number: str, priority: str, premium: bool,
          opened_at: datetime) -> TicketServiceLevel:
    record = TicketServiceLevel(ticket_id=ticket_id, org_id=org_id, ticket_number=ticket_number, priority=priority,
                                plan=PREMIUM if premium else STANDARD, opened_at=as_utc(opened_at, "opened_at"))
    plan(rules, record)
    return record


def _moments(rules: Rules, record: TicketServiceLevel) -> dict[tuple[str, str], datetime | None]:
    """When each stage of each target falls due as things stand (None: paused, or met)."""
    moments = {}
    for target, clock in rules.clocks(record).items():
        met = record.met_at(target) is not None
        moments[(target, WARNING)] = None if met else clock.warning_at()
        moments[(target, BREACHED)] = None if met else clock.breach_at()
    return moments


def plan(rules: Rules, record: TicketServiceLevel) -> None:
    """The deadlines shown on the ticket and the next moment the scheduler looks at it."""
    moments = _moments(rules, record)
    record.first_response_due = moments[(FIRST_RESPONSE, BREACHED)]
    record.resolution_due = moments[(RESOLUTION, BREACHED)]
    pending = [moment for (target, stage), moment in moments.items()
               if moment is not None and f"{target}:{stage}" not in record.done]
    record.next_check_at = min(pending) if pending else None


def pause(rules: Rules, record: TicketServiceLevel, now: datetime) -> None:
    """The ticket waits for the customer: neither clock counts until they answer."""
    if not record.paused:
        record.pauses = [*record.pauses, [iso_utc(now), None]]
        plan(rules, record)


def resume(rules: Rules, record: TicketServiceLevel, now: datetime) -> None:
    if record.paused:
        begins = record.pauses[-1][0]
        record.pauses = [*record.pauses[:-1], [begins, iso_utc(max(now, _at(begins)))]]
        plan(rules, record)


def responded(rules: Rules, record: TicketServiceLevel, now: datetime) -> None:
    """Support answered the customer for the first time."""
    if record.first_responded_at is None:
        record.first_responded_at = now
        plan(rules, record)


def resolved(rules: Rules, record: TicketServiceLevel, now: datetime) -> None:
    """The ticket is closed; its time closed counts as a pause should it be reopened."""
    if record.resolved_at is None:
        record.resolved_at = now
        pause(rules, record, now)
        plan(rules, record)


def reopened(rules: Rules, record: TicketServiceLevel, now: datetime) -> None:
    if record.resolved_at is not None:
        record.resolved_at = None
        resume(rules, record, now)
        plan(rules, record)


def reprioritized(rules: Rules, record: TicketServiceLevel, priority: str) -> None:
    if priority != record.priority:
        record.priority = priority
        plan(rules, record)


def alerts_due(rules: Rules, record: TicketServiceLevel, now: datetime) -> list:
    """The warnings and breaches whose moment has come and that were not emitted yet, in order; marks
    them done and plans the next moment."""
    events = []
    clocks = rules.clocks(record)
    for (target, stage), moment in sorted(_moments(rules, record).items(), key=lambda item: (item[1] or now, item[0][1] == BREACHED)):
        key = f"{target}:{stage}"
        if moment is None or moment > now or key in record.done:
            continue
        # a warning that came before the customer was asked: its deadline as it stands now
        due_at = clocks[target].breach_at() or clocks[target].breach_at(now)
        common = dict(org_id=record.org_id, ticket_id=record.ticket_id, ticket_number=record.ticket_number,
                      target=target, priority=record.priority, plan=record.plan, due_at=iso_utc(due_at))
        if stage == WARNING:
            events.append((key, ServiceLevelWarning(**common, warned_at=iso_utc(now))))
        else:
            events.append((key, ServiceLevelBreached(**common, breached_at=iso_utc(now))))
        record.done = [*record.done, key]
    plan(rules, record)
    return events


def check_due(uow, rules: Rules, now: datetime, *, batch: int = 100) -> int:
    """One scheduler round: emits what has fallen due on the tickets whose next moment has come.
    Each (ticket, target, stage) is claimed by a unique row, so it is emitted once however many
    schedulers run."""
    count = 0
    for record in uow.service_levels.due(now, batch):
        for key, event in alerts_due(rules, record, now):
            if uow.service_levels.claim(record.ticket_id, key, now):
                uow.emit(event, org_id=record.org_id)
                count += 1
    return count


def has_premium_support(uow, org_id: str) -> bool:
    """BI-18: the organization has the premium support product (billing's ProductProvisioned, kept
    by read_models until ProductRemoved)."""
    return uow.products.has_type(org_id, PREMIUM_SUPPORT)
