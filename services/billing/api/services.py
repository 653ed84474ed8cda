"""`/v1/billing/accounts/{org_id}/subscriptions`: my services (BI-05) and changing them (BI-01..BI-04, BI-09, BI-11)."""
from __future__ import annotations

from portico_kernel.web import page_asked, paged, period_asked, principal

from ..bootstrap import bootstrap
from ..domain import services
from .views import invoice_part as _invoice, money, subscription_view


def list_subscriptions(org_id: str, limit=None, cursor=None, status=None, since=None, until=None):
    with bootstrap().uow(reading=True) as uow:
        today = uow.clock.now().date()
        page = services.services_of(uow, principal(), org_id, page_asked(limit, cursor), status,
                                    period_asked(since, until))
        return paged(page, lambda found: subscription_view(found[0], found[1], found[2], today))


def get_subscription(org_id: str, subscription_id: str):
    with bootstrap().uow(reading=True) as uow:
        subscription, product = services.service(uow, principal(), org_id, subscription_id)
        return subscription_view(subscription, product, today=uow.clock.now().date()), 200


def set_auto_renew(org_id: str, subscription_id: str, body: dict):
    with bootstrap().uow() as uow:
        subscription = services.set_auto_renew(uow, principal(), org_id, subscription_id, body["auto_renew"])
        return _view(uow, subscription), 200


def end_subscription(org_id: str, subscription_id: str):
    with bootstrap().uow() as uow:
        return _view(uow, services.end(uow, principal(), org_id, subscription_id)), 200


def book_add_on(org_id: str, subscription_id: str, body: dict):
    with bootstrap().uow() as uow:
        subscription, document = services.book_add_on(uow, principal(), org_id, subscription_id, body["add_on_id"])
        return {"subscription": _view(uow, subscription), **_invoice(document)}, 201


def preview_plan_change(org_id: str, subscription_id: str, body: dict):
    with bootstrap().uow(reading=True) as uow:
        return _change(services.preview_plan_change(uow, principal(), org_id, subscription_id, body["plan_id"])), 200


def change_plan(org_id: str, subscription_id: str, body: dict):
    with bootstrap().uow() as uow:
        change, document = services.change_plan(uow, principal(), org_id, subscription_id, body["plan_id"])
        return {**_change(change), "subscription": _view(uow, change.subscription),
                **_invoice(document)}, 200


def preview_frequency_change(org_id: str, subscription_id: str, body: dict):
    with bootstrap().uow(reading=True) as uow:
        return _change(services.preview_frequency_change(uow, principal(), org_id, subscription_id,
                                                         body["frequency"])), 200


def change_frequency(org_id: str, subscription_id: str, body: dict):
    with bootstrap().uow() as uow:
        change, document = services.change_frequency(uow, principal(), org_id, subscription_id, body["frequency"])
        return {**_change(change), "subscription": _view(uow, change.subscription),
                **_invoice(document)}, 200


def _view(uow, subscription) -> dict:
    product = uow.catalog.product(uow.accounts.of_org(subscription.org_id).currency, subscription.product_id)
    return subscription_view(subscription, product, today=uow.clock.now().date())


def _change(change) -> dict:
    return {"kind": change.kind, "effective_on": change.effective_on.isoformat(),
            "renews_on": change.renews_on.isoformat(),
            "lines": [{"description": line.description, "amount": money(line.amount)} for line in change.lines],
            "amount_due": money(change.total), "plan_id": change.subscription.plan_id,
            "next_plan_id": change.subscription.next_plan_id}


def check_capacity(org_id: str, subscription_id: str, body: dict):
    with bootstrap().uow(reading=True) as uow:
        subscription, notices = services.capacity_check(uow, principal(), org_id, subscription_id, body["usage"])
        return {"notices": [{"measure": n.measure, "used": n.used, "capacity": n.capacity,
                             **({"offer": {"plan_id": n.offer.id, "name": n.offer.name,
                                           **({"price": money(n.offer.price(subscription.frequency))}
                                              if subscription.frequency in n.offer.prices else {})}}
                                if n.offer else {})} for n in notices]}, 200
