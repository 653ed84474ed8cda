"""`/v1/tickets`: support tickets and their threads (TI-01)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.web import page_asked, paged, period_asked, principal

from ..adapters.mail_settings import reply_domain
from ..bootstrap import bootstrap, sla_rules
from ..domain import ticket_course, tickets
from ..domain.filters import TicketFilter


def ticket_view(t, caller) -> dict:
    view = {"id": t.id, "org_id": t.org_id, "number": t.number, "subject": t.subject, "department": t.department,
            "priority": t.priority, "emergency": t.emergency, "product_id": t.product_id,
            "product_type": t.product_type, "status": t.state, "opened_by": t.opened_by,
            "created_at": iso_utc(t.created_at), "updated_at": iso_utc(t.updated_at),
            "closed_at": iso_utc(t.closed_at) if t.closed_at else None,
            "reply_to": tickets.reply_address(t, reply_domain())}
    if caller.is_staff:
        view["assignee"] = t.assignee
    return view


def attachment_view(a) -> dict:
    return {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "url": f"/v1/tickets/{a.ticket_id}/attachments/{a.id}"}


def message_view(m, attachments) -> dict:
    return {"id": m.id, "author": {"kind": m.author_kind, "user_id": m.author_id, "name": m.author_name},
            "visibility": m.visibility, "body": m.body, "created_at": iso_utc(m.created_at),
            "attachments": [attachment_view(a) for a in attachments]}


def _files(body: dict) -> list:
    return [tickets.NewFile(f["filename"], f["content_type"], f["content"]) for f in body.get("attachments") or ()]


def list_tickets(status=None, department=None, priority=None, org_id=None, assignee=None, product_id=None,
                 since=None, until=None, limit=None, cursor=None):
    caller = principal()
    wanted = TicketFilter(org_id=org_id, state=status, department=department, priority=priority, assignee=assignee,
                          product_id=product_id, period=period_asked(since, until))
    with bootstrap().uow(reading=True) as uow:
        return paged(tickets.tickets_for(uow, caller, wanted, page_asked(limit, cursor)),
                     lambda t: ticket_view(t, caller))


def open_ticket(body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket, message, added = tickets.open_ticket(
            uow, caller, subject=body["subject"], department=body["department"], body=body["body"],
            priority=body.get("priority", "normal"), emergency=body.get("emergency"),
            product_id=body.get("product_id"), new_files=_files(body))
        ticket_course.opened(uow, ticket, sla_rules())
        uow.commit()
        view = ticket_view(ticket, caller)
        view["messages"] = [message_view(message, added)]
        return view, 201, {"Location": f"/v1/tickets/{ticket.id}"}


def get_ticket(ticket_id: str):
    caller = principal()
    with bootstrap().uow(reading=True) as uow:
        return ticket_view(tickets.visible_ticket(uow, caller, ticket_id), caller), 200


def change_ticket(ticket_id: str, body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket = tickets.change(uow, caller, ticket_id, body)
        uow.commit()
        return ticket_view(ticket, caller), 200


def list_messages(ticket_id: str, limit=None, cursor=None):
    caller = principal()
    with bootstrap().uow(reading=True) as uow:
        _, page = tickets.thread(uow, caller, ticket_id, page_asked(limit, cursor))
        files = {}
        for a in uow.attachments.of_messages([m.id for m in page.items]):
            files.setdefault(a.message_id, []).append(a)
        return paged(page, lambda m: message_view(m, files.get(m.id, [])))


def reply(ticket_id: str, body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket, message, added = tickets.reply(uow, caller, ticket_id, body=body["body"],
                                               visibility=body.get("visibility", "public"), new_files=_files(body),
                                               reply_domain=reply_domain())
        ticket_course.answered(uow, ticket, message, sla_rules())
        uow.commit()
        return message_view(message, added), 201


def close_ticket(ticket_id: str):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket = tickets.close(uow, caller, ticket_id)
        ticket_course.closed(uow, ticket, sla_rules())
        uow.commit()
        return ticket_view(ticket, caller), 200


def reopen_ticket(ticket_id: str):
    caller = principal()
    with bootstrap().uow() as uow:
        ticket = tickets.reopen(uow, caller, ticket_id)
        ticket_course.reopened(uow, ticket, sla_rules())
        uow.commit()
        return ticket_view(ticket, caller), 200


def get_attachment(ticket_id: str, attachment_id: str):
    with bootstrap().uow(reading=True) as uow:
        found = tickets.attachment(uow, principal(), ticket_id, attachment_id)
        content, content_type, filename = found.content, found.content_type, found.filename
    safe = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return content, 200, {"Content-Type": content_type, "X-Content-Type-Options": "nosniff",
                          "Content-Disposition": f'attachment; filename="{safe}"'}
