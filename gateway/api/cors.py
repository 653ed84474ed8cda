"""CORS (Fetch standard) for the browser frontends on the origins of PORTICO_CORS_ORIGINS.

Outermost, so the gateway's own endpoints and every routed path answer alike: a preflight from an
allowed origin is answered here (204) without reaching a service, and every answer to an allowed
origin says so and exposes the headers a client reads. Without the setting, nothing changes: no
origin is allowed. No credentials mode: callers authenticate by header, not by cookie.
"""
from __future__ import annotations

from portico_kernel.config import env

ALLOWED_METHODS = b"GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = b"Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-API-Key, X-Portico-Org"
EXPOSED_HEADERS = b"X-Request-Id, Link, Retry-After, Idempotency-Replayed, Location"
MAX_AGE = b"600"


def allowed_origins() -> frozenset[str]:
    return frozenset(o.strip().rstrip("/") for o in (env("PORTICO_CORS_ORIGINS", "") or "").replace(",", " ").split())


def with_cors(app):
    """`app` answering CORS for the origins of the setting; `app` itself when the setting names none,
    so that every request does not pass one more layer for nothing."""
    origins = allowed_origins()
    return Cors(app, origins) if origins else app


class Cors:
    def __init__(self, app, origins: frozenset[str] | None = None):
        self.app = app
        self.origins = allowed_origins() if origins is None else origins

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.origins:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin not in self.origins:
            await self.app(scope, receive, send)
            return
        allowed = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send({"type": "http.response.start", "status": 204, "headers": allowed + [
                (b"access-control-allow-methods", ALLOWED_METHODS),
                (b"access-control-allow-headers", ALLOWED_HEADERS),
                (b"access-control-max-age", MAX_AGE)]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_allowed(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *allowed,
                                                  (b"access-control-expose-headers", EXPOSED_HEADERS)]}
            await send(message)

        await self.app(scope, receive, send_allowed)
