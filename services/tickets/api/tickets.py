from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.web import principal

from ..bootstrap import bootstrap


def list_tickets():
    org_id = active_org(principal())
    with bootstrap().uow() as uow:
        return [{"id": t.id, "subject": t.subject, "department": t.department, "priority": t.priority,
                 "status": t.status, "opened_at": t.opened_at.isoformat().replace("+00:00", "Z")}
                for t in uow.tickets.of_org(org_id)], 200
