"""Portico as an OAuth 2.0 / OpenID Connect provider (ID-13, GW-01): the door for applications.

Identity keeps clients, grants, codes and refresh tokens and runs the protocol (Authlib); the
gateway signs the access tokens and ID tokens it decides (EdDSA, the keys of /.well-known/jwks.json),
serves the discovery documents and the consent page, and refuses at once the tokens of every grant
or token family identity names as revoked (`revoked` in its answers; gateway/adapters/security.py).

Refusals of the token, revocation and introspection endpoints are problem details that carry the
RFC 6749 members `error` and `error_description` as well, so OAuth clients read them as usual.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta
from html import escape
from urllib.parse import urlencode

from connexion import context

from portico_kernel import config, paging
from portico_kernel.scopes import DELEGABLE_SCOPES
from portico_kernel.auth import InvalidToken
from portico_kernel.config import env
from portico_kernel.errors import Forbidden
from portico_kernel.problems import generic, problem_body
from portico_kernel.web import page_asked, paged, principal, problem_response

from ..adapters import tokens as signing
from ..adapters.keystore import now
from ..bootstrap import bootstrap
from ..domain.tokens import FROM_OUTSIDE, ground_ended, revoked
from .auth import _client_address, _passthrough

ID_TOKEN_TTL = timedelta(minutes=5)


def issuer() -> str:
    return env("PORTICO_OAUTH_ISSUER", config.url_of("gateway")).rstrip("/")


# --- discovery (RFC 8414, OpenID Connect Discovery 1.0) ---

def authorization_server_metadata():
    """RFC 8414's location; the same document as OpenID Connect's."""
    return metadata()


def metadata():
    base = issuer()
    document = {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "scopes_supported": list(DELEGABLE_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "email",
                             "email_verified", "name", "given_name", "family_name", "locale"],
    }
    return document, 200, {"Cache-Control": "public, max-age=300"}


# --- the token, revocation and introspection endpoints ---

def _oauth_refusal(status: int, body: dict):
    error = body.get("error") or "invalid_request"
    description = body.get("error_description") or error.replace("_", " ")
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="portico"'
    return problem_response(status, problem_body(status, description, "oauth-error", error=error,
                                                 error_description=description), headers)


async def _call(path: str, form: dict, **extra):
    authorization = context.request.headers.get("authorization")
    payload = {"form": {k: v for k, v in (form or {}).items() if isinstance(v, str)}, **extra}
    if authorization:
        payload["authorization"] = authorization[:2000]
    return await bootstrap().call_identity("POST", path, payload)


async def _revoke_at_once(ids: list[str]) -> None:
    gateway = bootstrap()
    await gateway.security.revoke(ids, gateway.token_ttl.total_seconds())


def _presented_claims(token: str | None) -> dict | None:
    """An access token presented to revocation or introspection, verified here (identity has no keys)."""
    if not token or token.count(".") != 2:
        return None
    try:
        claims = bootstrap().verifier.verify_known(token)
    except InvalidToken:
        return None
    return claims if claims.get("client_id") else None


async def token(body: dict):
    status, answer, headers = await _call("/internal/oauth/tokens", body)
    if status != 200:
        return _passthrough(status, answer, headers)
    await _revoke_at_once(answer.get("revoked") or [])
    if answer["status"] != 200:
        return _oauth_refusal(answer["status"], answer["body"])
    gateway = bootstrap()
    result = dict(answer["body"])
    result["access_token"] = gateway.issue(answer["access_claims"])
    result["expires_in"] = int(gateway.token_ttl.total_seconds())
    if answer.get("id_token_claims"):
        moment = now()
        key = gateway.keys.ring.signing_key(moment)
        result["id_token"] = signing.issue_id_token(key, answer["id_token_claims"], issuer=issuer(), now=moment,
                                                    ttl=ID_TOKEN_TTL)
    return result, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def revoke(body: dict):
    status, answer, headers = await _call("/internal/oauth/revocations", body,
                                          presented_claims=_presented_claims((body or {}).get("token")))
    if status != 200:
        return _passthrough(status, answer, headers)
    await _revoke_at_once(answer.get("revoked") or [])
    if answer["status"] != 200:
        return _oauth_refusal(answer["status"], answer["body"])
    return {}, 200, {"Cache-Control": "no-store"}


async def introspect(body: dict):
    presented = _presented_claims((body or {}).get("token"))
    status, answer, headers = await _call("/internal/oauth/introspections", body, presented_claims=presented)
    if status != 200:
        return _passthrough(status, answer, headers)
    if answer["status"] != 200:
        return _oauth_refusal(answer["status"], answer["body"])
    result = answer["body"]
    known = bootstrap().security.current
    if result.get("active") and presented and (revoked(presented, known.revoked_grants)
                                               or ground_ended(presented, known.delegation_endings)):
        result = {"active": False}
    return result, 200, {"Cache-Control": "no-store"}


# --- OpenID Connect userinfo (Core 5.3) ---

async def userinfo():
    authorization = context.request.headers.get("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    gateway = bootstrap()
    claims = None
    if scheme.lower() == "bearer" and token:
        try:
            claims = gateway.verifier.verify_known(token.strip())
        except InvalidToken:
            claims = None
    known = gateway.security.current
    if (claims is None or not claims.get("client_id") or claims.get("kind") not in FROM_OUTSIDE
            or revoked(claims, known.revoked_grants) or ground_ended(claims, known.delegation_endings)
            or (claims.get("org"), claims.get("sub")) in known.blocked_members):
        return _userinfo_refusal(401, "invalid_token", "Send an application's valid access token (Authorization: Bearer …).")
    if "openid" not in (claims.get("scope") or "").split():
        return _userinfo_refusal(403, "insufficient_scope", "The access token was not issued with the scope openid.")
    status, answer, headers = await gateway.call_identity("POST", "/internal/oauth/userinfo", {"claims": claims})
    if status == 404:
        return _userinfo_refusal(401, "invalid_token", "The access this token was issued under has ended.")
    if status != 200:
        return _passthrough(status, answer, headers)
    return answer, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def userinfo_post():
    return await userinfo()


def _userinfo_refusal(status: int, error: str, description: str):
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache",
               "WWW-Authenticate": f'Bearer realm="portico", error="{error}"'}
    return problem_response(status, problem_body(status, description, "oauth-error", error=error,
                                                 error_description=description), headers)


# --- applications and grants of people and organizations (/v1/oauth/...) ---

def _caller() -> dict:
    caller = principal()
    claims = caller.claims
    if claims.get("kind") not in FROM_OUTSIDE or claims.get("client_id"):
        raise Forbidden("Only people manage applications and grants.")
    return {"user_id": claims["sub"], "kind": claims["kind"], "org_id": claims.get("org"),
            "roles": list(claims.get("roles") or [])}


async def _internal(method: str, path: str, body: dict, ok: int = 200):
    status, answer, headers = await bootstrap().call_identity(method, path, body)
    return (status == ok), (answer if status == ok else _passthrough(status, answer, headers))


def _page_body(limit, cursor) -> dict:
    page_asked(limit, cursor)  # refuses a bad limit or cursor, naming it
    return {k: v for k, v in (("limit", int(limit) if limit is not None else None), ("cursor", cursor)) if v is not None}


async def register_client(body: dict):
    ok, answer = await _internal("POST", "/internal/oauth/clients", {**body, "caller": _caller()}, 201)
    return (answer, 201) if ok else answer


async def list_clients(limit=None, cursor=None):
    ok, answer = await _internal("POST", "/internal/oauth/client-lists", {"caller": _caller(), **_page_body(limit, cursor)})
    return paged(paging.Page(answer["items"], answer["next_cursor"])) if ok else answer


async def rotate_client_secret(client_id: str):
    ok, answer = await _internal("POST", f"/internal/oauth/clients/{client_id}/secret", {"caller": _caller()})
    return (answer, 200) if ok else answer


async def list_grants(limit=None, cursor=None):
    ok, answer = await _internal("POST", "/internal/oauth/grant-lists", {"caller": _caller(), **_page_body(limit, cursor)})
    return paged(paging.Page(answer["items"], answer["next_cursor"])) if ok else answer


async def list_organization_grants(limit=None, cursor=None):
    ok, answer = await _internal("POST", "/internal/oauth/grant-lists",
                                 {"caller": _caller(), "organization": True, **_page_body(limit, cursor)})
    return paged(paging.Page(answer["items"], answer["next_cursor"])) if ok else answer


async def revoke_grant(grant_id: str):
    ok, answer = await _internal("POST", f"/internal/oauth/grants/{grant_id}/revocation", {"caller": _caller()})
    if not ok:
        return answer
    await _revoke_at_once(answer["revoked"])
    return None, 204


# --- the consent page (server-rendered until the web portal exists) ---

SCOPE_WORDS = {
    "openid": "confirm who you are (sign in with Portico)",
    "profile": "read your name and language",
    "email": "read your email address",
    "offline_access": "keep access while you are away (until you revoke it)",
}
for _service in ("orgs", "billing", "domains", "tickets", "notifications"):
    SCOPE_WORDS[f"{_service}:read"] = f"read the organization's {_service}"
    SCOPE_WORDS[f"{_service}:write"] = f"read and change the organization's {_service}"

PAGE_HEADERS = {
    "Content-Type": "text/html",  # as the contract names it; the page declares its charset (utf-8)
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def _page(title: str, inner: str, status: int = 200):
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} – Portico</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto; line-height: 1.5">
<h1>{escape(title)}</h1>
{inner}
</body></html>
"""
    return html, status, PAGE_HEADERS


def _asked(check: dict) -> str:
    items = "".join(f"<li><code>{escape(s)}</code>: {escape(SCOPE_WORDS.get(s, s))}</li>" for s in check["scopes"])
    return (f"<p><strong>{escape(check['client_name'])}</strong> asks to act for you, and may:</p>"
            f"<ul>{items}</ul>")


def _sign_in_form(check: dict, said: str = "") -> tuple:
    note = f'<p role="alert" style="color:#a00">{escape(said)}</p>' if said else ""
    return _page("Sign in to Portico", f"""{_asked(check)}{note}
<form method="post">
<input type="hidden" name="step" value="sign-in">
<p><label for="email">Email address</label><br><input id="email" name="email" type="email" required autocomplete="username"></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" required autocomplete="current-password"></p>
<p><button type="submit">Sign in</button></p>
</form>""")


def _second_factor_form(check: dict, due: dict, said: str = "") -> tuple:
    methods = [m for m in due.get("methods", []) if m != "webauthn"] or ["totp"]
    options = "".join(f'<option value="{escape(m)}">{escape(m)}</option>' for m in methods)
    note = f'<p role="alert" style="color:#a00">{escape(said)}</p>' if said else ""
    return _page("Confirm it is you", f"""{_asked(check)}{note}
<form method="post">
<input type="hidden" name="step" value="second-factor">
<input type="hidden" name="challenge" value="{escape(due['challenge'])}">
<p><label for="method">Method</label><br><select id="method" name="method">{options}</select></p>
<p><label for="code">Code</label><br><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required></p>
<p><button type="submit">Continue</button></p>
</form>""")


def _consent_form(consent: dict) -> tuple:
    organizations = consent.get("organizations") or []
    chosen = consent.get("org_id")
    if not chosen:
        where = "<p>It acts for you as platform staff"
    elif len(organizations) > 1:
        options = "".join(
            f'<option value="{escape(o["org_id"])}"{" selected" if o["org_id"] == chosen else ""}>'
            f'{escape(o["name"])} ({escape(o["role"])})</option>' for o in organizations)
        where = (f'<p><label for="org_id">It acts for the organization</label><br>'
                 f'<select id="org_id" name="org_id">{options}</select></p><p>It acts')
    else:
        name = next((o["name"] for o in organizations if o["org_id"] == chosen), chosen)
        where = (f'<input type="hidden" name="org_id" value="{escape(chosen)}">'
                 f'<p>It acts for the organization <strong>{escape(name)}</strong> (<code>{escape(chosen)}</code>)')
    return _page("Allow access?", f"""{_asked(consent)}
<form method="post">
<input type="hidden" name="step" value="consent">
<input type="hidden" name="consent" value="{escape(consent['consent'])}">
{where} as you, and never does more than you may do there yourself. You can revoke this access at any time in
your account.</p>
<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form>""")


def _error_page(check: dict):
    """A request that cannot go back to the application (unknown client, unregistered redirect URI):
    answered here, never redirected."""
    return _oauth_refusal(400, {"error": check.get("error") or "invalid_request",
                                "error_description": check.get("error_description") or "The request is not valid."})


def _redirect(location: str):
    return "", 302, {"Location": location, "Content-Type": "text/html", "Cache-Control": "no-store",
                     "Referrer-Policy": "no-referrer"}


def _params() -> dict:
    return {k: v for k, v in context.request.query_params.items()}


async def _check(params: dict) -> dict:
    status, answer, _ = await bootstrap().call_identity("POST", "/internal/oauth/authorization-checks", {"params": params})
    if status != 200:
        return {"valid": False, "error": "invalid_request", "error_description": (answer or {}).get("detail")}
    return answer


async def authorize_page(**_):
    params = _params()
    check = await _check(params)
    if not check["valid"]:
        return _redirect(check["redirect"]) if check.get("redirect") else _error_page(check)
    return _sign_in_form(check)


async def authorize(body: dict, **_):
    params = _params()
    check = await _check(params)
    if not check["valid"]:
        return _redirect(check["redirect"]) if check.get("redirect") else _error_page(check)
    step = (body or {}).get("step")
    if step == "consent":
        decision = {"consent": body.get("consent") or "-", "approve": body.get("decision") == "allow"}
        if body.get("org_id"):
            decision["org_id"] = body["org_id"]
        status, answer, headers = await bootstrap().call_identity("POST", "/internal/oauth/decisions", decision)
        if status == 400:
            return _sign_in_form(check, "Pick one of the organizations offered: sign in again.")
        if status != 200:
            return _sign_in_form(check, "This page has expired: sign in again.")
        return _redirect(answer["redirect"]) if answer.get("redirect") else _error_page(answer)
    device = {"user_agent": context.request.headers.get("user-agent", "")[:1000], "ip_address": _client_address() or ""}
    if step == "second-factor":
        status, answer, headers = await bootstrap().call_identity(
            "POST", "/internal/sign-ins/second-factor",
            {"challenge": body.get("challenge") or "-", "method": body.get("method") or "totp", "code": body.get("code") or ""})
        if status == 202:
            return _second_factor_form(check, {"challenge": body.get("challenge") or "", "methods": [body.get("method")]})
        if status != 200:
            return _sign_in_form(check, (answer or {}).get("detail") or "That did not work; sign in again.")
    else:
        status, answer, headers = await bootstrap().call_identity(
            "POST", "/internal/sign-ins", {"email": body.get("email") or "", "password": body.get("password") or "", **device})
        if status == 202:
            return _second_factor_form(check, answer)
        if status != 200:
            return _sign_in_form(check, (answer or {}).get("detail") or "The email address or password is wrong.")
    return await _signed_in(params, check, answer)


async def _signed_in(params: dict, check: dict, signed_in: dict):
    """The sign-in served only this consent: its session ends at once; the grant is what lasts."""
    claims = signed_in["claims"]
    gateway = bootstrap()
    await gateway.call_identity("POST", f"/internal/sessions/{claims['sid']}/end", {"user_id": claims["sub"]})
    person = {"sub": claims["sub"], "org": claims.get("org"), "amr": claims.get("amr") or []}
    status, preview, _ = await gateway.call_identity(
        "POST", "/internal/oauth/consents", {"params": params, "person": person, "preview": True})
    if status != 200 or not preview.get("valid"):
        return _error_page(preview or {})
    allowed = _organizations_open_to(claims["sub"], preview.get("organizations") or [])
    if claims.get("kind") != "staff" and not allowed:
        return _sign_in_form(check, _why_none(claims["sub"], preview.get("organizations") or []))
    status, answer, _ = await gateway.call_identity(
        "POST", "/internal/oauth/consents",
        {"params": params, "person": person, "org_choices": [o["org_id"] for o in allowed]})
    if status != 200 or not answer.get("valid"):
        return _error_page(answer or {})
    return _consent_form(answer)


def _organizations_open_to(user_id: str, organizations: list[dict]) -> list[dict]:
    """The organizations a person may let an application act for now: not blocked there (OR-13), and
    with two-factor authentication where the organization requires it (OR-10)."""
    known = bootstrap().security.current
    has_two_factor = user_id in known.people_with_two_factor
    return [o for o in organizations if (o["org_id"], user_id) not in known.blocked_members
            and (has_two_factor or o["org_id"] not in known.orgs_requiring_two_factor)]


def _why_none(user_id: str, organizations: list[dict]) -> str:
    known = bootstrap().security.current
    if user_id not in known.people_with_two_factor and any(o["org_id"] in known.orgs_requiring_two_factor
                                                            for o in organizations):
        return ("Your organization requires two-factor authentication: set it up in the customer center first.")
    if organizations:
        return "You are blocked in this organization."
    return "You belong to no organization an application could act for."
