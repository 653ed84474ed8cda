"""The routed path: every `/v1/...` call that is not the gateway's own goes to its service.

Plain ASGI in front of the connexion app, so a routed request pays for a token check and one
pooled upstream call, not for the gateway's own routing and validation. The token is checked
here (pure CPU, keys in memory) and again by the service.

Here too, from the worker's in-memory snapshot (gateway/adapters/security.py): members blocked in
the organization their token acts for (OR-13), organizations that require 2FA (GW-02), and API keys (GW-03) with their scopes, rate limits and reseller links. A call
with an API key goes on with a short-lived internal token in place of the key.

Only normalized paths are routed (gateway/domain/routes.py), and only people's tokens are taken
from outside: the internal tokens the gateway mints itself (kinds `api_key` and `service`) never
come back in through the door.
"""
from __future__ import annotations

from typing import Callable, NamedTuple
from urllib.parse import quote

from portico_kernel.auth import InvalidToken
from portico_kernel.scopes import API_KEY, grants, required_scope
from portico_kernel.errors import DomainError
from portico_kernel.problems import STATUS, request_id as current_request_id
from portico_kernel.request_body import max_body_bytes, too_large_detail
from portico_kernel.asgi import declared_length, problem_answer, read_bounded, send_answer
from portico_kernel.web import request_id_of

from ..adapters.keystore import now
from ..adapters.upstream import UpstreamUnavailable
from ..domain import api_keys, tokens, two_factor
from ..domain.api_keys import MARK
from ..domain.routes import Route, UnsafePath, path_and_route
from .documentation import Documentation

HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailers",
              b"transfer-encoding", b"upgrade", b"host", b"content-length", b"expect"}  # the body is read already
CREDENTIALS = {b"authorization", b"x-api-key"}  # replaced by the token the services verify
RESPONSE_SKIP = {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"server", b"date"}


class Refused(Exception):
    def __init__(self, status: int, detail: str, problem: str | None = None, headers=(), **extra):
        super().__init__(detail)
        self.status, self.detail, self.problem, self.headers, self.extra = status, detail, problem, list(headers), extra

    def answer(self, request_id: str):
        return _problem(self.status, self.detail, request_id, self.problem, self.headers, **self.extra)


class Forwarding(NamedTuple):
    """A request as it goes on to its service."""

    call: tuple  # service, method, path and query, headers, body: Upstreams.request's arguments
    request_id: str


def _answered(answer: tuple | UpstreamUnavailable, request_id: str):
    """(status, headers, body) for the caller: the service's answer, or the problem of not having one."""
    if isinstance(answer, UpstreamUnavailable):
        return _problem(answer.status, str(answer), request_id, problem="service-unavailable")
    status, response_headers, response_body = answer
    out = [(name, value) for name, value in response_headers if name not in RESPONSE_SKIP]
    out.append((b"x-request-id", request_id.encode()))
    return status, out, response_body


def _problem(status: int, detail: str, request_id: str, problem: str | None = None, extra_headers=(), **extra):
    """(status, headers, body) of the gateway's own problem answer."""
    headers = [(b"x-request-id", request_id.encode()), *extra_headers]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="portico"'))
    return problem_answer(status, detail, problem, headers, **extra)


class GatewayApp:
    """The gateway's ASGI application: routed paths are proxied, the rest is the connexion app."""

    def __init__(self, gateway, own_app):
        self.gateway = gateway
        self.own_app = own_app
        self.documentation = Documentation()
        self.max_body = max_body_bytes()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.own_app(scope, receive, send)
            return
        headers, request_id = self._request_begins(scope["headers"])
        try:
            path, to_service = path_and_route(scope.get("raw_path") or quote(scope["path"]).encode())
        except UnsafePath as exc:
            await send_answer(send, *_problem(400, str(exc), request_id, "invalid-path",
                                              invalid_params=[{"name": "path", "reason": str(exc)}]))
            return
        if to_service is not None:
            await self.proxy(to_service, scope, headers, receive, send, request_id)
            return
        page = self.documentation.page(path) if scope["method"] in ("GET", "HEAD") else None
        if page is not None:
            kind, body = page
            await send_answer(send, 200, [(b"content-type", kind.encode()), (b"x-request-id", request_id.encode())], body)
            return
        await self.own(scope, receive, send, request_id)

    def _request_begins(self, raw_headers: list) -> tuple[dict, str]:
        """The request's headers as a dict, and its id: answered in X-Request-Id, named by every
        problem's `instance`, carried to the services as X-Correlation-Id."""
        self.gateway.security.ensure_running()
        headers = dict(raw_headers)
        request_id = request_id_of(headers.get(b"x-request-id"))
        current_request_id.set(request_id)
        return headers, request_id

    async def own(self, scope, receive, send, request_id: str) -> None:
        """The gateway's own endpoints, with the request id in and out like a routed call."""
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-correlation-id"]
        scope = {**scope, "headers": headers + [(b"x-correlation-id", request_id.encode())]}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        await self.own_app(scope, receive, send_with_id)

    async def proxy(self, routed: Route, scope, headers: dict, receive, send, request_id: str) -> None:
        try:
            token = self._authorize(routed, scope["method"], headers)
        except Refused as refused:
            await send_answer(send, *refused.answer(request_id))
            return
        declared = declared_length(scope["headers"])
        body = None if declared is not None and declared > self.max_body else await read_bounded(receive, self.max_body)
        if body is None:
            await send_answer(send, *_problem(413, too_large_detail(self.max_body), request_id, problem="body-too-large"))
            return
        await send_answer(send, *await self.forward(routed, scope["method"], scope["headers"], scope.get("query_string"),
                                                    scope.get("client"), token, body or None, request_id))

    def routed_read_now(self, routed: Route, raw_headers: list, query_string: bytes, client,
                        answer: Callable[[int, list, bytes], None]) -> Forwarding | None:
        """A GET without a body to a service's path, answered through `answer(status, headers, body)`
        without a task where it can be: a refusal at once, the service's answer from the callback of
        a connection that rested (gateway/entrypoints/web_worker.py). The answer is the one `proxy`
        gives. Returns what is still to be sent when no connection rests: `send_on` sends it."""
        outcome = self._read_forwarding(routed, raw_headers, query_string, client)
        if not isinstance(outcome, Forwarding):
            answer(*outcome)
            return None
        request_id = outcome.request_id
        if self.gateway.upstreams.request_now(*outcome.call, lambda got: answer(*_answered(got, request_id))):
            return None
        return outcome

    async def routed_read(self, routed: Route, raw_headers: list, query_string: bytes, client):
        """(status, headers, body) of the answer `routed_read_now` gives, awaited."""
        outcome = self._read_forwarding(routed, raw_headers, query_string, client)
        return await self.send_on(outcome) if isinstance(outcome, Forwarding) else outcome

    def _read_forwarding(self, routed: Route, raw_headers: list, query_string: bytes, client) -> tuple | Forwarding:
        """A routed read's refusal as (status, headers, body), or what it goes on to its service as."""
        headers, request_id = self._request_begins(raw_headers)
        try:
            token = self._authorize(routed, "GET", headers)
        except Refused as refused:
            return refused.answer(request_id)
        return self._forwarding(routed, "GET", raw_headers, query_string, client, token, None, request_id)

    async def forward(self, routed: Route, method: str, raw_headers: list, query_string: bytes | None, client,
                      token: str, body: bytes | None, request_id: str):
        """The service's answer to the caller's request, sent on with `token`, as (status, headers, body)."""
        return await self.send_on(self._forwarding(routed, method, raw_headers, query_string, client, token, body,
                                                   request_id))

    async def send_on(self, forwarding: Forwarding):
        try:
            answer = await self.gateway.upstreams.request(*forwarding.call)
        except UpstreamUnavailable as exc:
            answer = exc
        return _answered(answer, forwarding.request_id)

    @staticmethod
    def _forwarding(routed: Route, method: str, raw_headers: list, query_string: bytes | None, client, token: str,
                    body: bytes | None, request_id: str) -> Forwarding:
        forward = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers
                   if k not in HOP_BY_HOP and k not in CREDENTIALS}
        forward["authorization"] = f"Bearer {token}"
        forward["x-correlation-id"] = request_id
        if client:
            forward["x-forwarded-for"] = client[0]
        path_qs = routed.forwarded
        if query_string:
            path_qs += "?" + query_string.decode("latin-1")
        return Forwarding((routed.service, method, path_qs, forward, body), request_id)

    def _authorize(self, routed: Route, method: str, headers: dict) -> str:
        """The access token to send on: the caller's own, or for an API key the internal token."""
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        api_key = headers.get(b"x-api-key", b"").decode("latin-1") or (token if token.startswith(MARK) else "")
        if api_key:
            return self._with_api_key(routed.service, method, headers, api_key)
        if scheme.lower() != "bearer" or not token:
            raise Refused(401, "Sign in first: this call needs an access token (Authorization: Bearer …).")
        try:
            claims = self.gateway.verifier.verify_known(token)
        except InvalidToken as exc:
            raise Refused(401, str(exc), "invalid-token") from exc
        known = self.gateway.security.current
        if claims.get("client_id"):
            self._delegated(routed, method, claims, known)
            if claims.get("kind") == API_KEY:  # an application's own token (client credentials)
                return token
        if claims.get("kind") not in tokens.FROM_OUTSIDE:
            raise Refused(401, "This token is not accepted here: sign in, or use an API key.", "invalid-token")
        if (claims.get("org"), claims.get("sub")) in known.blocked_members:
            raise Refused(403, "You are blocked in this organization; its administrators can unblock you. "
                               "You can still switch to another of your organizations.", "member-blocked")
        if two_factor.blocks(claims, method, routed.path, orgs_requiring=known.orgs_requiring_two_factor,
                             people_with_two_factor=known.people_with_two_factor):
            raise Refused(403, "Your organization requires two-factor authentication: set it up under "
                               "/v1/me/two-factor, then sign in again.", "two-factor-required")
        return token

    @staticmethod
    def _delegated(routed: Route, method: str, claims: dict, known) -> None:
        """ID-13: an application's token is refused at once when its grant or family is revoked,
        and reaches only what its scopes grant (the service checks the scope again)."""
        if claims.get("kind") not in (*tokens.FROM_OUTSIDE, API_KEY):
            raise Refused(401, "This token is not accepted here.", "invalid-token")
        if tokens.revoked(claims, known.revoked_grants) or tokens.ground_ended(claims, known.delegation_endings):
            raise Refused(401, "The access granted to this application was revoked.", "invalid-token")
        needed = required_scope(routed.service, method)
        if not grants(tuple((claims.get("scope") or "").split()), needed):
            raise Refused(403, f"This token lacks the scope {needed}.", "insufficient-scope", required_scope=needed)

    def _with_api_key(self, service: str, method: str, headers: dict, presented: str) -> str:
        """GW-03: a partner's API key, checked against the worker's in-memory copy of the keys."""
        try:
            key, org_id = api_keys.admit(presented, self.gateway.security.current, service=service,
                                         method=method, now=now(), take=self.gateway.rate_limiter.take,
                                         org_id=headers.get(b"x-portico-org", b"").decode("latin-1") or None)
        except DomainError as refusal:
            extra = dict(refusal.extra)
            retry_after = extra.pop("retry_after", None)
            raise Refused(STATUS[refusal.code], refusal.detail, refusal.problem,
                          [(b"retry-after", str(retry_after).encode())] if retry_after else (), **extra) from refusal
        return self.gateway.api_key_token(key, org_id)
