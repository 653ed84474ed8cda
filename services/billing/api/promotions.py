"""Vouchers (staff) and free options granted by support (BI-12)."""
from __future__ import annotations

from datetime import date

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Invalid
from portico_kernel.web import page_asked, paged, period_asked, principal

from ..bootstrap import bootstrap
from ..domain import promotions
from .views import money


def _voucher(v) -> dict:
    view = {"code": v.code, "percent": v.percent, "amount": money(v.amount) if v.amount else None,
            "product_ids": list(v.product_ids), "max_uses": v.max_uses, "uses": v.uses,
            "valid_from": v.valid_from.isoformat() if v.valid_from else None,
            "valid_until": v.valid_until.isoformat() if v.valid_until else None}
    return {k: value for k, value in view.items() if value is not None or k in ("product_ids",)}


def _option(o) -> dict:
    return {"id": o.id, "org_id": o.org_id, "product_id": o.product_id, "add_on_id": o.add_on_id,
            "granted_at": iso_utc(o.granted_at), "used": o.used_on is not None}


def _day(value, name: str):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise Invalid(f"{name}: not a date", invalid_params=[{"name": name, "reason": "not a date (YYYY-MM-DD)"}]) from None


def create_voucher(body: dict):
    with bootstrap().uow() as uow:
        voucher = promotions.create_voucher(
            uow, principal(), code=body["code"], percent=body.get("percent"), amount=body.get("amount"),
            product_ids=body.get("product_ids") or [], max_uses=body.get("max_uses"),
            valid_from=_day(body.get("valid_from"), "valid_from"), valid_until=_day(body.get("valid_until"), "valid_until"))
        return _voucher(voucher), 201


def list_vouchers(limit=None, cursor=None, since=None, until=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(promotions.vouchers(uow, principal(), page_asked(limit, cursor), period_asked(since, until)), _voucher)


def grant_free_option(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return _option(promotions.grant_free_option(uow, principal(), org_id, body["product_id"], body["add_on_id"])), 201


def list_free_options(org_id: str, limit=None, cursor=None, status=None, since=None, until=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(promotions.free_options_of(uow, principal(), org_id, page_asked(limit, cursor), status,
                                                period_asked(since, until)), _option)
