"""Calls only the gateway makes (with its own service token): it turns their answers into tokens."""
from __future__ import annotations

from portico_kernel.errors import Forbidden, TooManyRequests
from portico_kernel.problems import from_domain_error
from portico_kernel.web import principal, problem_response

from ..bootstrap import bootstrap, hasher, sms_sender, webauthn_site
from ..domain import accounts, profile, sign_ins, two_factor
from ._views import signed_in_view, user_view


def _gateway_only() -> None:
    caller = principal()
    if not (caller.is_service and caller.user_id == "gateway"):
        raise Forbidden("Only the gateway may call this.")


def create_user(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        joining = body.get("invitation")
        user = accounts.sign_up(uow, hasher(), email=body["email"], password=body["password"],
                                first_name=body["first_name"], last_name=body["last_name"],
                                language=body.get("language", "en"), country=body.get("country"),
                                invitation=accounts.Invitation(**joining) if joining else None)
    return user_view(user), 201


def _throttled(error: TooManyRequests):
    status, problem = from_domain_error(error)
    return problem_response(status, problem, {"Retry-After": str(error.extra["retry_after"])})


def create_sign_in(body: dict):
    """200 signed in, or 202 when a second factor is due (ID-09)."""
    _gateway_only()
    try:
        with bootstrap().uow() as uow:
            result = sign_ins.sign_in(uow, hasher(), webauthn_site(), email=body["email"], password=body["password"],
                                      user_agent=body.get("user_agent"), ip_address=body.get("ip_address"))
    except TooManyRequests as error:
        return _throttled(error)
    if isinstance(result, sign_ins.SecondFactorDue):
        due = {"challenge": result.challenge, "methods": result.methods, "expires_in": result.expires_in}
        return ({**due, "webauthn_options": result.webauthn_options} if result.webauthn_options else due), 202
    return signed_in_view(result), 200


def complete_sign_in(body: dict):
    """The second step: a code of the method chosen, or a security key's assertion; for SMS
    without a code, the code is sent first."""
    _gateway_only()
    with bootstrap().uow() as uow:
        if body["method"] == two_factor.SMS and not body.get("code"):
            two_factor.send_sign_in_sms(uow, sms_sender(), body["challenge"])
            return {"challenge": body["challenge"], "code_sent": True}, 202
        result = sign_ins.complete_second_factor(uow, webauthn_site(), challenge=body["challenge"], method=body["method"],
                                                 code=body.get("code") or "", assertion=body.get("assertion"))
    return signed_in_view(result), 200


def create_app_sign_in(body: dict):
    """ID-10: a tool signs in with an app password."""
    _gateway_only()
    try:
        with bootstrap().uow() as uow:
            result = sign_ins.sign_in_with_app_password(uow, email=body["email"], app_password=body["app_password"],
                                                        user_agent=body.get("user_agent"),
                                                        ip_address=body.get("ip_address"))
    except TooManyRequests as error:
        return _throttled(error)
    return signed_in_view(result), 200


def refresh_session(body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        result = accounts.refresh(uow, refresh_token=body["refresh_token"])
    return signed_in_view(result), 200


def switch_organization(session_id: str, body: dict):
    """OR-01: the session acts for another of the person's organizations; the gateway signs the token."""
    _gateway_only()
    with bootstrap().uow() as uow:
        claims = accounts.switch_organization(uow, session_id=session_id, user_id=body["user_id"], org_id=body["org_id"])
    return {"claims": claims}, 200


def reauthenticate(session_id: str, body: dict):
    """OR-09: the password re-entered for a grave change; the gateway signs a token saying when."""
    _gateway_only()
    with bootstrap().uow() as uow:
        claims = accounts.reauthenticate(uow, hasher(), session_id=session_id, user_id=body["user_id"],
                                         password=body["password"])
    return {"claims": claims}, 200


def end_session(session_id: str, body: dict):
    _gateway_only()
    with bootstrap().uow() as uow:
        accounts.sign_out(uow, session_id=session_id, user_id=body["user_id"])
    return None, 204


def confirm_email_change_by_link(body: dict):
    """ID-07: the page the verification link opens (served by the gateway) confirms with the link."""
    _gateway_only()
    with bootstrap().uow() as uow:
        user = profile.confirm_email_change(uow, None, token=body["token"])
        return {"email": user.email}, 200
