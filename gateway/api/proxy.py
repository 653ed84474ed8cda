"""The routed path: every `/v1/...` call that is not the gateway's own goes to its service.

Plain ASGI in front of the connexion app, so a routed request pays for a token check and one
pooled upstream call, not for the gateway's own routing and validation. The token is checked
here (pure CPU, keys in memory) and again by the service.
"""
from __future__ import annotations

import uuid

from portico_kernel.auth import InvalidToken
from portico_kernel.problems import CONTENT_TYPE, problem_bytes

from ..adapters.upstream import UpstreamUnavailable
from ..domain.routes import service_for

HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailers",
              b"transfer-encoding", b"upgrade", b"host", b"content-length"}
RESPONSE_SKIP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}
MAX_BODY = 10 * 1024 * 1024


async def _reply(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = headers + [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _problem(send, status: int, detail: str, request_id: str, problem: str | None = None, extra_headers=()) -> None:
    headers = [(b"content-type", CONTENT_TYPE.encode()), (b"x-request-id", request_id.encode()), *extra_headers]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="portico"'))
    await _reply(send, status, problem_bytes(status, detail, problem), headers)


async def _read_body(receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


class GatewayApp:
    """The gateway's ASGI application: routed paths are proxied, the rest is the connexion app."""

    def __init__(self, gateway, own_app):
        self.gateway = gateway
        self.own_app = own_app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            service = service_for(scope["path"])
            if service is not None:
                await self.proxy(service, scope, receive, send)
                return
        await self.own_app(scope, receive, send)

    async def proxy(self, service: str, scope, receive, send) -> None:
        headers = dict(scope["headers"])
        request_id = (headers.get(b"x-request-id") or b"").decode("latin-1")[:100] or str(uuid.uuid4())
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            await _problem(send, 401, "Sign in first: this call needs an access token (Authorization: Bearer …).", request_id)
            return
        try:
            self.gateway.verifier.verify_with_key(token, self._known_key(token))
        except InvalidToken as exc:
            await _problem(send, 401, str(exc), request_id)
            return
        body = await _read_body(receive)
        if body is None:
            await _problem(send, 413, f"The request body is larger than {MAX_BODY // (1024 * 1024)} MiB.", request_id)
            return
        forward = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k not in HOP_BY_HOP}
        forward["x-correlation-id"] = request_id
        client = scope.get("client")
        if client:
            forward["x-forwarded-for"] = client[0]
        path_qs = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else scope["path"]
        if scope.get("query_string"):
            path_qs += "?" + scope["query_string"].decode("latin-1")
        try:
            status, response_headers, response_body = await self.gateway.upstreams.request(
                service, scope["method"], path_qs, forward, body or None)
        except UpstreamUnavailable as exc:
            await _problem(send, exc.status, str(exc), request_id, problem="service-unavailable")
            return
        out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response_headers.items()
               if k.lower() not in RESPONSE_SKIP]
        out.append((b"x-request-id", request_id.encode()))
        await _reply(send, status, response_body, out)

    def _known_key(self, token: str):
        kid = self.gateway.verifier._key(token)
        key = self.gateway.keys.get(kid)
        if key is None:
            raise InvalidToken("token was signed with an unknown key")
        return key
