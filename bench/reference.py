"""The bare references `make bench` measures Portico against, served the way every component is
(gunicorn, one uvicorn worker).

`reference:app` answers GET /v1/orgs as the orgs service does, with nothing in between: the kernel's
token check (signature once, then the kept claims), the same indexed query through the database
driver itself on one kept connection in autocommit (one round trip, as the services read), and
the same JSON. No framework, no validation, no ORM, no thread hand-off: what one request cannot
cost less than in Python.

`reference:trivial` answers every request with an empty list and costs nothing: the upstream the
gateway is measured alone in front of.
"""
from __future__ import annotations

import json

from portico_kernel import config
from portico_kernel.auth import InvalidToken, JwksKeyring, TokenVerifier
from portico_kernel.clock import iso_utc

QUERY = ("SELECT o.id, o.name, o.type, o.country, o.created_at, m.role, o.two_factor_required, o.link_days,"
         " o.is_reseller, o.street, o.house_number, o.postcode, o.town, o.phone, o.vat_id, o.commercial_register"
         " FROM organizations o JOIN members m ON m.org_id = o.id WHERE m.user_id = {param}"
         " ORDER BY m.joined_at, m.org_id LIMIT 51")

_JSON = [(b"content-type", b"application/json")]


def _connect(url: str):
    """The driver's own connection, and its parameter style."""
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
        return connection, QUERY.format(param="?")
    import psycopg

    # autocommit, as the services read: one round trip per query, no BEGIN and ROLLBACK around it
    connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return connection, QUERY.format(param="%s")


def _moment(value) -> str:
    if isinstance(value, str):  # SQLite keeps the instant as text
        from datetime import datetime, timezone

        value = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    return iso_utc(value)


class Reference:
    def __init__(self):
        settings = config.load("orgs")
        self.verifier = TokenVerifier(JwksKeyring(settings.jwks_url), settings.issuer, settings.audience,
                                      max_lifetime=settings.access_token_ttl)
        self.connection, self.query = _connect(settings.database_url)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        try:
            claims = self.verifier.verify(authorization.decode()[7:])
        except InvalidToken:
            await _answer(send, 401, b'{"title": "Unauthorized"}')
            return
        cursor = self.connection.execute(self.query, (claims["sub"],))
        rows = cursor.fetchall()
        body = [{"id": r[0], "name": r[1], "type": r[2], "country": r[3], "created_at": _moment(r[4]), "my_role": r[5],
                 "two_factor_required": bool(r[6]), "link_days": r[7], "reseller": bool(r[8]),
                 "address": {"street": r[9], "house_number": r[10], "postcode": r[11], "town": r[12], "country": r[3]},
                 "phone": r[13], "vat_id": r[14], "commercial_register": r[15]} for r in rows]
        await _answer(send, 200, json.dumps(body).encode())


async def trivial(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    await _answer(send, 200, b"[]")


async def _answer(send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": _JSON + [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class _Lazy:
    """Built in the worker, after gunicorn forks: a database connection must not cross a fork."""

    def __init__(self):
        self.app = None

    async def __call__(self, scope, receive, send):
        if self.app is None:
            self.app = Reference()
        await self.app(scope, receive, send)


app = _Lazy()
