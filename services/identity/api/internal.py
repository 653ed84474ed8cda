"""Calls only the gateway makes (with its own service token): it turns their answers into tokens."""
from __future__ import annotations

from portico_kernel.errors import Forbidden
from portico_kernel.web import principal

from ..bootstrap import bootstrap, hasher
from ..domain import accounts
from ._views import signed_in_view, user_view


def _gateway_only() -> None:
    caller = principal()
    if not (caller.is_service and caller.user_id == "gateway"):
        raise Forbidden("Only the gateway may call this.")


def create_user(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        user = accounts.sign_up(uow, hasher(), email=body["email"], password=body["password"],
                                first_name=body["first_name"], last_name=body["last_name"],
                                language=body.get("language", "en"), country=body.get("country"))
    return user_view(user), 201


def create_sign_in(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        result = accounts.sign_in(uow, hasher(), email=body["email"], password=body["password"],
                                  user_agent=body.get("user_agent"), ip_address=body.get("ip_address"))
    return signed_in_view(result), 200


def refresh_session(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        result = accounts.refresh(uow, refresh_token=body["refresh_token"])
    return signed_in_view(result), 200


def end_session(session_id: str, body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        accounts.sign_out(uow, session_id=session_id, user_id=body["user_id"])
    return None, 204
