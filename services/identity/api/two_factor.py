"""`/v1/me/two-factor/...` (ID-09) and `/v1/me/app-passwords` (ID-10)."""
from __future__ import annotations

from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap, hasher, sms_sender, webauthn_site
from ..domain import two_factor
from ._views import iso


def _status(uow, user_id: str, recovery_codes: list[str] | None = None) -> dict:
    view = two_factor.status(uow, user_id)
    view["security_keys"] = [{**key, "created_at": iso(key["created_at"])} for key in view["security_keys"]]
    if recovery_codes is not None:
        view["recovery_codes"] = recovery_codes
    return view


def get_status():
    with bootstrap().uow(reading=True) as uow:
        return _status(uow, principal().user_id), 200


def start_totp():
    with bootstrap().uow() as uow:
        secret, uri = two_factor.start_totp(uow, principal().user_id)
    return {"secret": secret, "otpauth_uri": uri}, 201


def confirm_totp(body: dict):
    user_id = principal().user_id
    with bootstrap().uow() as uow:
        _, codes = two_factor.confirm_totp(uow, user_id, body["code"])
        return _status(uow, user_id, codes), 200


def start_security_key():
    with bootstrap().uow() as uow:
        return {"options": two_factor.start_security_key(uow, webauthn_site(), principal().user_id)}, 201


def add_security_key(body: dict):
    user_id = principal().user_id
    with bootstrap().uow() as uow:
        _, codes = two_factor.add_security_key(uow, webauthn_site(), user_id, body["name"], body["credential"])
        return _status(uow, user_id, codes), 200


def start_sms(body: dict):
    with bootstrap().uow() as uow:
        phone = two_factor.start_sms(uow, sms_sender(), principal().user_id, body["phone"])
    return {"phone": phone, "code_sent": True}, 202


def confirm_sms(body: dict):
    user_id = principal().user_id
    with bootstrap().uow() as uow:
        _, codes = two_factor.confirm_sms(uow, user_id, body["code"])
        return _status(uow, user_id, codes), 200


def remove_method(method: str, body: dict):
    user_id = principal().user_id
    with bootstrap().uow() as uow:
        two_factor.remove_method(uow, hasher(), user_id, method, body["password"])
        return _status(uow, user_id), 200


def regenerate_recovery_codes(body: dict):
    with bootstrap().uow() as uow:
        codes = two_factor.regenerate_recovery_codes(uow, hasher(), principal().user_id, body["password"])
    return {"recovery_codes": codes}, 201


def _app_password_view(app_password: two_factor.AppPassword) -> dict:
    return {"id": app_password.id, "name": app_password.name, "created_at": iso(app_password.created_at),
            "last_used_at": iso(app_password.last_used_at)}


def list_app_passwords(limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(uow.app_passwords.of_user(principal().user_id, page_asked(limit, cursor)), _app_password_view)


def create_app_password(body: dict):
    with bootstrap().uow() as uow:
        app_password, secret = two_factor.create_app_password(uow, principal().user_id, body["name"])
        return {**_app_password_view(app_password), "password": secret}, 201


def revoke_app_password(app_password_id: str):
    with bootstrap().uow() as uow:
        two_factor.revoke_app_password(uow, principal().user_id, app_password_id)
    return None, 204
