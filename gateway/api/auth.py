"""`/v1/auth/...`: sign-up, sign-in, token refresh and sign-out (GW-01).

Identity checks passwords and keeps sessions; the gateway turns its answers into tokens.
"""
from __future__ import annotations

from connexion import context

from portico_kernel.web import principal, problem_response

from ..adapters.keystore import now
from ..bootstrap import bootstrap


def _client_address() -> str | None:
    client = context.scope.get("client")
    return client[0] if client else None


def _passthrough(status: int, answer: dict | None):
    """An answer of identity that is not a success goes back to the caller as it is."""
    return problem_response(status, answer or {"type": "about:blank", "title": "Error", "status": status})


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
    status, answer = await bootstrap().call_identity("POST", "/internal/users", body)
    return (answer, 201) if status == 201 else _passthrough(status, answer)


async def login(body: dict):
    request = {
        "email": body["email"],
        "password": body["password"],
        "user_agent": context.request.headers.get("user-agent", "")[:1000],
        "ip_address": _client_address() or "",
    }
    status, answer = await bootstrap().call_identity("POST", "/internal/sign-ins", request)
    return (_tokens(answer), 200) if status == 200 else _passthrough(status, answer)


async def refresh(body: dict):
    status, answer = await bootstrap().call_identity("POST", "/internal/refreshes", {"refresh_token": body["refresh_token"]})
    return (_tokens(answer), 200) if status == 200 else _passthrough(status, answer)


async def logout():
    caller = principal()
    if caller.session_id:
        status, answer = await bootstrap().call_identity(
            "POST", f"/internal/sessions/{caller.session_id}/end", {"user_id": caller.user_id})
        if status >= 400:
            return _passthrough(status, answer)
    return None, 204


def jwks():
    return bootstrap().keys.ring.jwks(now()), 200, {"Cache-Control": "public, max-age=60"}
