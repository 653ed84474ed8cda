from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.web import principal

from ..bootstrap import bootstrap


def list_domains():
    org_id = active_org(principal())
    with bootstrap().uow() as uow:
        return [{"id": d.id, "name": d.name, "status": d.status, "auto_renew": d.auto_renew,
                 "expires_at": d.expires_at.isoformat().replace("+00:00", "Z")} for d in uow.domains.of_org(org_id)], 200
