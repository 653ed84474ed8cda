"""`/v1/auth/...`: sign-up, sign-in (with a second factor, ID-09, or an app password, ID-10),
token refresh and sign-out (GW-01).

Identity checks passwords and keeps sessions; the gateway turns its answers into tokens.
"""
from __future__ import annotations

from connexion import context

from portico_kernel.errors import Forbidden
from portico_kernel.problems import generic
from portico_kernel.web import principal, problem_response

from ..adapters.keystore import now
from ..bootstrap import bootstrap


def _client_address() -> str | None:
    client = context.scope.get("client")
    return client[0] if client else None


# Headers of identity's refusals that the caller needs (when to try again after 429).
PASSED_HEADERS = ("Retry-After",)


def _passthrough(status: int, answer: dict | None, headers=None):
    """An answer of identity that is not a success goes back to the caller as it is."""
    kept = {name: headers[name] for name in PASSED_HEADERS if headers and name in headers}
    return problem_response(status, answer or generic(status), kept)


async def _sign_in_call(path: str, body: dict):
    """Identity checks a sign-in knowing the caller's device and address."""
    device = {"user_agent": context.request.headers.get("user-agent", "")[:1000], "ip_address": _client_address() or ""}
    return await bootstrap().call_identity("POST", path, {**body, **device})


def _tokens(signed_in: dict) -> dict:
    gateway = bootstrap()
    return {
        "access_token": gateway.issue(signed_in["claims"]),
        "token_type": "Bearer",
        "expires_in": int(gateway.token_ttl.total_seconds()),
        "refresh_token": signed_in["refresh_token"],
        "user_id": signed_in["user"]["id"],
    }


async def signup(body: dict):
    """OR-03: a sign-up through an invitation link: orgs checks the link for this email address
    first, and identity records the membership it names instead of a personal organization."""
    if body.get("invitation"):
        status, answer, headers = await bootstrap().call_service(
            "orgs", "POST", "/internal/invitation-checks", {"token": body["invitation"], "email": body["email"]})
        if status != 200:
            return _passthrough(status, answer, headers)
        body = {**body, "invitation": {k: answer[k] for k in ("invitation_id", "org_id", "role")}}
    status, answer, headers = await bootstrap().call_identity("POST", "/internal/users", body)
    return (answer, 201) if status == 201 else _passthrough(status, answer, headers)


async def login(body: dict):
    """Tokens, or 202 with a challenge when the person has 2FA."""
    status, answer, headers = await _sign_in_call("/internal/sign-ins", {"email": body["email"], "password": body["password"]})
    if status == 200:
        return _tokens(answer), 200
    return (answer, 202) if status == 202 else _passthrough(status, answer, headers)


async def login_second_factor(body: dict):
    status, answer, headers = await bootstrap().call_identity("POST", "/internal/sign-ins/second-factor", body)
    if status == 200:
        return _tokens(answer), 200
    return (answer, 202) if status == 202 else _passthrough(status, answer, headers)


async def app_login(body: dict):
    status, answer, headers = await _sign_in_call(
        "/internal/app-sign-ins", {"email": body["email"], "app_password": body["app_password"]})
    return (_tokens(answer), 200) if status == 200 else _passthrough(status, answer, headers)


async def refresh(body: dict):
    status, answer, headers = await bootstrap().call_identity("POST", "/internal/refreshes",
                                                              {"refresh_token": body["refresh_token"]})
    return (_tokens(answer), 200) if status == 200 else _passthrough(status, answer, headers)


async def logout():
    caller = principal()
    if caller.session_id:
        status, answer, headers = await bootstrap().call_identity(
            "POST", f"/internal/sessions/{caller.session_id}/end", {"user_id": caller.user_id})
        if status >= 400:
            return _passthrough(status, answer, headers)
    return None, 204


async def switch_organization(body: dict):
    """OR-01: identity checks the membership and remembers the choice; the gateway signs the token."""
    caller = principal()
    if caller.kind != "customer" or not caller.session_id:
        raise Forbidden("Only people who signed in act for organizations.")
    status, answer, headers = await bootstrap().call_identity(
        "PUT", f"/internal/sessions/{caller.session_id}/organization", {"user_id": caller.user_id, "org_id": body["org_id"]})
    if status != 200:
        return _passthrough(status, answer, headers)
    gateway = bootstrap()
    return {"access_token": gateway.issue(answer["claims"]), "token_type": "Bearer",
            "expires_in": int(gateway.token_ttl.total_seconds()), "org_id": answer["claims"]["org"]}, 200


async def reauthenticate(body: dict):
    """OR-09: identity checks the re-entered password; the token says when (`auth_time`)."""
    caller = principal()
    if caller.kind != "customer" or not caller.session_id:
        raise Forbidden("Only people who signed in re-enter their password.")
    status, answer, headers = await bootstrap().call_identity(
        "POST", f"/internal/sessions/{caller.session_id}/password-checks",
        {"user_id": caller.user_id, "password": body["password"]})
    if status != 200:
        return _passthrough(status, answer, headers)
    gateway = bootstrap()
    return {"access_token": gateway.issue(answer["claims"]), "token_type": "Bearer",
            "expires_in": int(gateway.token_ttl.total_seconds()), "org_id": answer["claims"]["org"]}, 200


def jwks():
    return bootstrap().keys.ring.jwks(now()), 200, {"Cache-Control": "public, max-age=60"}
