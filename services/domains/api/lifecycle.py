"""A domain's renewal and renewal warranty (DO-05 … DO-07): thin handlers over domain/renewals.py."""
from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.web import principal

from ..bootstrap import bootstrap
from ..domain import renewals
from .domains import _view


def _renewal(renewal) -> dict:
    return {"domain_id": renewal.domain_id, "expires_on": renewal.expires_on.isoformat(), "years": renewal.years,
            "price": {"amount_minor": renewal.amount_minor, "currency": renewal.currency},
            "status": renewal.status, "reference": renewal.reference,
            "renewed_until": renewal.renewed_until.isoformat() if renewal.renewed_until else None}


def set_renewal_warranty(domain_id: str, body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        domain = renewals.set_renewal_warranty(uow, caller, active_org(caller), domain_id, body["renewal_warranty"])
        return _view(domain), 200


def renew_domain(domain_id: str, body: dict | None = None):
    caller = principal()
    with bootstrap().uow() as uow:
        renewal, asked_now = renewals.renew_on_request(uow, caller, active_org(caller), domain_id,
                                                       (body or {}).get("years"))
        return _renewal(renewal), 202 if asked_now else 200


def restore_domain(domain_id: str):
    from .orders import _view as order_view
    from ..domain import restores

    caller = principal()
    with bootstrap().uow() as uow:
        order = restores.order_restore(uow, caller, active_org(caller), domain_id)
        view = order_view(order)
        uow.commit()
    return view, 201
