"""What happens beside a ticket's thread as the ticket moves (TI-02, TI-03, TI-04, BI-18): the use
cases of tickets.py call these in their unit of work, so the service levels, the emergency and the
sensitive data change with the ticket or not at all.

- opened: the service level clocks start (premium targets when the organization has premium support,
  BI-18); a critical ticket reports its emergency at once (TI-03).
- answered by staff in public: the first response is given; the ticket waits for the customer, which
  pauses the clocks. A customer's reply resumes them.
- closed: resolved (the clocks stop) and the sensitive data erased (TI-02). Reopened: the resolution
  clock counts on, the time closed not counted.
"""
from __future__ import annotations

from . import emergencies, sensitive_data, sla_tracking

WAITING, CLOSED = "waiting", "closed"


def opened(uow, ticket, rules: sla_tracking.Rules) -> None:
    now = ticket.created_at
    record = sla_tracking.start(rules, ticket_id=ticket.id, org_id=ticket.org_id, ticket_number=ticket.number,
                                priority=ticket.priority, premium=sla_tracking.has_premium_support(uow, ticket.org_id),
                                opened_at=now)
    uow.service_levels.add(record)
    emergencies.report(uow, ticket, now)


def _levels(uow, ticket):
    return uow.service_levels.get(ticket.id, for_update=True)


def answered(uow, ticket, message, rules: sla_tracking.Rules) -> None:
    """A message in the thread: staff's public answer, a customer's reply, or an internal note."""
    record = _levels(uow, ticket)
    if record is None:
        return
    now = message.created_at
    if message.author_kind == "staff":
        if message.visibility != "public":
            return
        sla_tracking.responded(rules, record, now)
    if ticket.state == WAITING:
        sla_tracking.pause(rules, record, now)
    else:
        sla_tracking.resume(rules, record, now)


def closed(uow, ticket, rules: sla_tracking.Rules) -> None:
    now = ticket.closed_at or ticket.updated_at
    record = _levels(uow, ticket)
    if record is not None:
        sla_tracking.resolved(rules, record, now)
    sensitive_data.erase(uow, ticket, now)


def reopened(uow, ticket, rules: sla_tracking.Rules) -> None:
    record = _levels(uow, ticket)
    if record is not None:
        sla_tracking.reopened(rules, record, ticket.updated_at)
        if ticket.state == WAITING:
            sla_tracking.pause(rules, record, ticket.updated_at)


def answered_by_email(uow, ticket, rules: sla_tracking.Rules) -> None:
    """The customer's email answer landed in the thread: support's turn again (a closed ticket
    reopens)."""
    record = _levels(uow, ticket)
    if record is None:
        return
    now = ticket.updated_at
    sla_tracking.reopened(rules, record, now)
    sla_tracking.resume(rules, record, now)
