from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.clock import iso_utc
from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap


def _view(d) -> dict:
    return {"id": d.id, "name": d.name, "status": d.status, "auto_renew": d.auto_renew,
            "expires_at": iso_utc(d.expires_at), "renewal_warranty": d.renewal_warranty}


def list_domains(status=None, limit=None, cursor=None):
    org_id = active_org(principal())
    with bootstrap().uow(reading=True) as uow:
        return paged(uow.domains.of_org(org_id, page_asked(limit, cursor), status=status), _view)
