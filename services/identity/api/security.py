"""`/v1/me/activity` and `/v1/me/alert-preferences` (ID-04)."""
from __future__ import annotations

from portico_kernel.web import page_asked, paged, period_asked, principal

from ..bootstrap import bootstrap
from ..domain import security
from ._views import iso

def list_activity(kind=None, since=None, until=None, limit=None, cursor=None):
    period = period_asked(since, until)
    with bootstrap().uow(reading=True) as uow:
        entries = uow.activity.recent_of(principal().user_id, page_asked(limit, cursor), kind=kind, period=period)
        return paged(entries, lambda entry: {
            "kind": entry.kind,
            "occurred_at": iso(entry.occurred_at),
            "ip_address": entry.ip_address,
            "network": entry.details.get("network"),
            "device": entry.device,
            "details": entry.details,
        })


def _preferences_view(settings: security.AlertSettings) -> dict:
    return {"new_sign_in_location": settings.new_sign_in_location, "wrong_password": settings.wrong_password}


def get_alert_preferences():
    with bootstrap().uow() as uow:
        settings = security.alert_settings(uow, principal().user_id)
        view = _preferences_view(settings)
        uow.commit()
    return view, 200


def put_alert_preferences(body: dict):
    with bootstrap().uow() as uow:
        return _preferences_view(security.set_alert_preferences(uow, principal().user_id, body)), 200
