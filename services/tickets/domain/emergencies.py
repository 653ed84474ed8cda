"""TI-03, BI-17: priority "critical" is for emergencies only, and a false emergency is billed.

A critical ticket names one of three kinds of emergency: a server is down (server_outage), a
system-relevant service is down (system_service_down), a website or shop is offline
(website_offline); opening it without one is refused naming the field (tickets.open_ticket). It is
escalated at once (`EmergencyReported`, which the notifications service mails to the on-call
address), inside or outside office hours. Support staff of the ticket's department then confirm it
(`EmergencyConfirmed`) or reject it with a reason; a rejected emergency emits
`FalseEmergencyReported` once per ticket, and billing charges the catalog's fee on an invoice that
shows the reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, Forbidden, invalid_field

from .events import EmergencyConfirmed, EmergencyReported, FalseEmergencyReported

EMERGENCY_KINDS = ("server_outage", "system_service_down", "website_offline")
CRITICAL = "critical"

# What support decided about an emergency.
REPORTED, CONFIRMED, REJECTED = "reported", "confirmed", "rejected"
DECISIONS = {"confirm": CONFIRMED, "reject": REJECTED}
REASON_MAX = 500


@dataclass(eq=False)
class Emergency:
    """A critical ticket's emergency (table ticket_emergencies), one per ticket."""

    ticket_id: str
    org_id: str
    kind: str
    state: str
    reported_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


def checked_kind(priority: str, emergency_kind: str | None) -> str | None:
    """The emergency kind a ticket of this priority carries: required for critical, refused otherwise
    (TI-03); the answer names the field."""
    if priority == CRITICAL:
        if emergency_kind is None:
            raise invalid_field("emergency", "a critical ticket is an emergency: give one of " + ", ".join(EMERGENCY_KINDS))
        if emergency_kind not in EMERGENCY_KINDS:
            raise invalid_field("emergency", "one of " + ", ".join(EMERGENCY_KINDS))
        return emergency_kind
    if emergency_kind is not None:
        raise invalid_field("emergency", "only a critical ticket names an emergency kind")
    return None


def report(uow, ticket, now: datetime) -> Emergency | None:
    """A critical ticket was opened: escalated at once, whatever the hour; once per ticket."""
    if ticket.priority != CRITICAL or ticket.emergency is None or uow.emergencies.get(ticket.id) is not None:
        return None
    emergency = Emergency(ticket_id=ticket.id, org_id=ticket.org_id, kind=ticket.emergency, state=REPORTED,
                          reported_at=now)
    uow.emergencies.add(emergency)
    uow.emit(EmergencyReported(org_id=ticket.org_id, ticket_id=ticket.id, ticket_number=ticket.number,
                               department=ticket.department, emergency_kind=ticket.emergency,
                               subject=ticket.subject, reported_at=iso_utc(now)), org_id=ticket.org_id)
    return emergency


def checked_reason(decision: str, reason: str | None) -> str | None:
    if decision not in DECISIONS:
        raise invalid_field("decision", "confirm or reject")
    reason = " ".join((reason or "").split()) or None
    if decision == "reject" and reason is None:
        raise invalid_field("reason", "say why it is no emergency: the customer sees it on the invoice")
    if reason is not None and len(reason) > REASON_MAX:
        raise invalid_field("reason", f"at most {REASON_MAX} characters")
    return reason


def decide(uow, ticket, emergency: Emergency | None, caller, decision: str, reason: str | None, now: datetime) -> Emergency:
    """Support of the ticket's department (the caller sees the ticket as staff) confirms or rejects
    the emergency, once."""
    if not caller.is_staff:
        raise Forbidden("Only support staff of the ticket's department decide about its emergency.")
    reason = checked_reason(decision, reason)
    if emergency is None:
        raise Conflict("The ticket reports no emergency.")
    if emergency.state != REPORTED:
        raise Conflict(f"The emergency is {emergency.state} already.")
    emergency.state = DECISIONS[decision]
    emergency.decided_by, emergency.decided_at, emergency.reason = caller.user_id, now, reason
    if decision == "confirm":
        uow.emit(EmergencyConfirmed(org_id=ticket.org_id, ticket_id=ticket.id, ticket_number=ticket.number,
                                    confirmed_by=caller.user_id, confirmed_at=iso_utc(now)), org_id=ticket.org_id)
    else:
        uow.emit(FalseEmergencyReported(org_id=ticket.org_id, ticket_id=ticket.id, reported_at=iso_utc(now),
                                        reason=reason, ticket_number=ticket.number), org_id=ticket.org_id)
    return emergency
