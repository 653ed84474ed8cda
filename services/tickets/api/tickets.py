from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.clock import iso_utc
from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap


def _view(t) -> dict:
    return {"id": t.id, "subject": t.subject, "department": t.department, "priority": t.priority,
            "status": t.status, "opened_at": iso_utc(t.opened_at)}


def list_tickets(status=None, limit=None, cursor=None):
    org_id = active_org(principal())
    with bootstrap().uow(reading=True) as uow:
        return paged(uow.tickets.of_org(org_id, page_asked(limit, cursor), status=status), _view)
