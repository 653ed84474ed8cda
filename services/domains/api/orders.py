from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict
from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap, catalog, registry_for
from ..domain import documents, orders
from ..domain.domains import ensure_manages


def _view(order) -> dict:
    return {"id": order.id, "kind": order.kind, "domain": order.domain, "years": order.years,
            "price": order.price(), "status": order.status, "reason": order.reason, "domain_id": order.domain_id,
            "invoice_reference": f"{orders.REFERENCE_PREFIX}{order.id}",
            "created_at": iso_utc(order.created_at), "updated_at": iso_utc(order.updated_at)}


def _currency(uow, org_id: str) -> str:
    currency = uow.currencies.of(org_id)
    if currency is None:
        raise Conflict("The organization's billing account is not open yet; try again in a moment.",
                       problem="billing-account-pending")
    return currency


def check_availability(body: dict):
    org_id = active_org(principal())
    with bootstrap().uow(reading=True) as uow:
        currency = _currency(uow, org_id)
    return orders.check_availability(catalog(), registry_for, body["names"], currency)


def place_order(body: dict):
    caller = principal()
    org_id = active_org(caller)
    ensure_manages(caller)
    with bootstrap().uow() as uow:
        order = orders.place(uow, org_id, catalog(), body, registry_for=registry_for)
        view = _view(order)
        uow.commit()
    return view, 201


def list_orders(status=None, limit=None, cursor=None):
    org_id = active_org(principal())
    with bootstrap().uow(reading=True) as uow:
        return paged(uow.orders.of_org(org_id, page_asked(limit, cursor), status=status), _view)


def get_order(order_id: str):
    org_id = active_org(principal())
    with bootstrap().uow(reading=True) as uow:
        return _view(orders.order_of(uow, org_id, order_id))


def upload_document(body: dict):
    caller = principal()
    org_id = active_org(caller)
    ensure_manages(caller)
    with bootstrap().uow() as uow:
        document = documents.accept(org_id, body, uow.clock.now())
        uow.documents.add(document)
        view = {"id": document.id, "type": document.type, "filename": document.filename,
                "media_type": document.media_type, "size": document.size, "sha256": document.sha256,
                "created_at": iso_utc(document.created_at)}
        uow.commit()
    return view, 201
