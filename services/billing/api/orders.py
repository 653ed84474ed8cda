"""`/v1/billing/accounts/{org_id}/checkout` and `/orders`: what an order costs, and placing it (BI-05, BI-12)."""
from __future__ import annotations

from portico_kernel.web import principal

from ..bootstrap import bootstrap
from ..domain import orders
from .views import invoice_part as _invoice, charges_view, subscription_view


def _items(body: dict) -> list[orders.Item]:
    return [orders.Item(product_id=i["product_id"], plan_id=i["plan_id"], frequency=i.get("frequency", "monthly"),
                        add_on_ids=tuple(i.get("add_on_ids") or ())) for i in body["items"]]


def _free_option(option) -> dict:
    return {"id": option.id, "product_id": option.product_id, "add_on_id": option.add_on_id}


def check_out(org_id: str, body: dict):
    with bootstrap().uow(reading=True) as uow:
        order = orders.checkout(uow, principal(), org_id, _items(body), body.get("voucher_codes") or [])
        return {**charges_view(order.charges, order.currency),
                "voucher_codes": [v.code for v in order.vouchers],
                "free_options": [_free_option(o) for o in order.free_options_available],
                "free_options_applied": [_free_option(o) for o, _ in order.free_options]}, 200


def place_order(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        order, document = orders.place(uow, principal(), org_id, _items(body), body.get("voucher_codes") or [])
        today = uow.clock.now().date()
        return {"subscriptions": [subscription_view(s, p, today=today) for s, p, _ in order.subscriptions],
                **_invoice(document)}, 201
