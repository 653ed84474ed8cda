"""A ticket's emergency (TI-03, BI-17), service levels (TI-04, BI-18) and sensitive data (TI-02)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.errors import NotFound
from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap, sla_rules
from ..domain import emergencies, sensitive_data, sla_tracking, tickets


def _emergency_view(e) -> dict:
    return {"ticket_id": e.ticket_id, "kind": e.kind, "state": e.state, "reported_at": iso_utc(e.reported_at),
            "decided_at": iso_utc(e.decided_at) if e.decided_at else None, "reason": e.reason}


def get_emergency(ticket_id: str):
    caller = principal()
    with bootstrap().uow(reading=True) as uow:
        ticket = tickets.visible_ticket(uow, caller, ticket_id)
        found = uow.emergencies.get(ticket.id)
        if found is None:
            raise NotFound("The ticket reports no emergency.")
        return _emergency_view(found), 200


def decide_emergency(ticket_id: str, body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket = tickets.visible_ticket(uow, caller, ticket_id, for_update=True)
        decided = emergencies.decide(uow, ticket, uow.emergencies.get(ticket.id), caller, body["decision"],
                                     body.get("reason"), uow.clock.now())
        view = _emergency_view(decided)
        uow.commit()
        return view, 200


def _target_view(rules, record, target: str, now) -> dict:
    clock = rules.clocks(record)[target]
    met = record.met_at(target)
    due = record.first_response_due if target == sla_tracking.FIRST_RESPONSE else record.resolution_due
    if met is not None:
        state = "met"
    elif due is None:
        state = "paused"
    else:
        state = clock.state_at(now).value
    return {"due_at": iso_utc(due) if due else None, "met_at": iso_utc(met) if met else None, "state": state}


def get_service_levels(ticket_id: str):
    caller = principal()
    rules = sla_rules()
    with bootstrap().uow(reading=True) as uow:
        ticket = tickets.visible_ticket(uow, caller, ticket_id)
        record = uow.service_levels.get(ticket.id)
        if record is None:
            raise NotFound("The ticket has no service levels.")
        now = uow.clock.now()
        return {"ticket_id": ticket.id, "plan": record.plan, "priority": record.priority,
                "around_the_clock": rules.levels.targets(record.priority).around_the_clock,
                "first_response": _target_view(rules, record, sla_tracking.FIRST_RESPONSE, now),
                "resolution": _target_view(rules, record, sla_tracking.RESOLUTION, now)}, 200


def put_sensitive_data(ticket_id: str, body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket = tickets.visible_ticket(uow, caller, ticket_id, for_update=True)
        kept = sensitive_data.write(uow, ticket, caller, body["text"], uow.clock.now())
        view = {"ticket_id": kept.ticket_id, "written_at": iso_utc(kept.written_at)}
        uow.commit()
        return view, 200


def get_sensitive_data(ticket_id: str):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket = tickets.visible_ticket(uow, caller, ticket_id)
        data = sensitive_data.read(uow, ticket, caller, uow.clock.now(), staff_of_department=caller.is_staff)
        view = {"ticket_id": data.ticket_id, "text": data.value.reveal(), "written_by": data.written_by,
                "written_at": iso_utc(data.written_at)}
        uow.commit()  # the reading is recorded before the value leaves
        return view, 200, {"Cache-Control": "no-store"}


def list_sensitive_data_readings(ticket_id: str, limit=None, cursor=None):
    caller = principal()
    with bootstrap().uow(reading=True) as uow:
        ticket = tickets.visible_ticket(uow, caller, ticket_id)
        return paged(uow.sensitive_data.readings(ticket.id, page_asked(limit, cursor)),
                     lambda r: {"id": r.id, "reader_id": r.reader_id, "reader_kind": r.reader_kind,
                                "read_at": iso_utc(r.read_at)})
