"""`PATCH /v1/me` and the account details around it: profile (ID-05, ID-12), link expiry (ID-16),
recovery contacts (ID-06), login email change (ID-07)."""
from __future__ import annotations

from portico_kernel.errors import NotFound
from portico_kernel.web import principal

from ..bootstrap import bootstrap, hasher
from ..domain import profile
from ._views import iso, user_view


def _settings_view(settings: profile.AccountSettings) -> dict:
    return {"link_expiry_days": settings.link_expiry_days}


def get_me():
    caller = principal()
    with bootstrap().uow(reading=True) as uow:
        user = uow.users.get(caller.user_id)
        if user is None:
            raise NotFound("This account does not exist (any more).")
        return {**user_view(user, uow.memberships.of_user(user.id)),
                **_settings_view(profile.settings_of(uow, user.id))}, 200


def update_me(body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        user, settings = profile.update_profile(uow, caller.user_id, body)
        return {**user_view(user, uow.memberships.of_user(user.id)), **_settings_view(settings)}, 200


def _recovery_view(settings: profile.AccountSettings) -> dict:
    phone = None
    if settings.recovery_phone_number:
        code = settings.recovery_phone_country_code
        phone = {"country_code": f"+{code}", "number": settings.recovery_phone_number[len(code) + 1:],
                 "e164": settings.recovery_phone_number}
    return {"recovery_phone": phone, "recovery_email": settings.recovery_email, "updated_at": iso(settings.updated_at)}


def get_recovery_contacts():
    with bootstrap().uow(reading=True) as uow:
        return _recovery_view(profile.settings_of(uow, principal().user_id)), 200


def put_recovery_contacts(body: dict):
    with bootstrap().uow() as uow:
        settings = profile.set_recovery_contacts(uow, hasher(), principal().user_id, password=body["password"],
                                                 recovery_phone=body.get("recovery_phone"),
                                                 recovery_email=body.get("recovery_email"))
        return _recovery_view(settings), 200


def request_email_change(body: dict):
    with bootstrap().uow() as uow:
        change = profile.request_email_change(uow, hasher(), principal().user_id, new_email=body["new_email"],
                                              password=body["password"])
        return {"new_email": change.new_email, "expires_at": iso(change.expires_at)}, 202


def confirm_email_change(body: dict):
    with bootstrap().uow() as uow:
        user = profile.confirm_email_change(uow, principal().user_id, token=body["token"])
        return user_view(user, uow.memberships.of_user(user.id)), 200
