"""Idempotency-Key on unsafe requests (POST, PUT, PATCH, DELETE), at every component (docs/API.md).

A client that sends a key with a request may send it again, with the same body, and get the
first answer back instead of acting twice (a lost answer, a retried payment). Per caller: the key
is remembered with the verified token's subject, so a key never answers another caller. The same
key with another body is refused 422 (`idempotency-key-reused`); while the first request still
runs, 409 (`idempotency-key-in-use`). Answers of 5xx and 429 are not kept (the client should try
again), nor answers marked `Cache-Control: no-store`: a secret shown once (a domain's transfer auth
code) is never written to the table; a retry with the key acts anew. Keys are kept 24 hours, in a table of each component's own database, and removed in one
indexed delete at most every few minutes. A first request that never finished (its worker died
mid-way) holds its key for RUNNING_AT_MOST only; then the next request with the key runs.

An ASGI middleware placed after connexion's security (the caller is known) and before its
validation (a refused body is an answer too).
"""
from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timedelta, timezone

import anyio
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .asgi import read_bounded, replaying, send_answer, send_problem
from .db import IDEMPOTENCY_KEYS as NAME, idempotency_key_columns
from .db import idempotency_keys_table as table  # noqa: F401 - the table, for migrations and tests
from .request_body import max_body_bytes

KEPT = timedelta(hours=24)
PURGE_EVERY = 300.0  # seconds between two deletions of expired keys, per process
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = b"idempotency-key"
VALID_KEY = re.compile(rb"^[\x21-\x7e]{1,255}$")
REPLAYED_HEADERS = {b"content-type", b"location", b"link", b"retry-after", b"www-authenticate", b"allow"}
# Longer than any request may run: gunicorn replaces a worker silent for 60 s (launcher.py).
RUNNING_AT_MOST = timedelta(seconds=120)


def create_table(op) -> None:
    """For each component's Alembic migration."""
    op.create_table(NAME, *idempotency_key_columns())
    op.create_index(f"ix_{NAME}_created_at", NAME, ["created_at"])


def drop_table(op) -> None:
    op.drop_index(f"ix_{NAME}_created_at", table_name=NAME)
    op.drop_table(NAME)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Store:
    def __init__(self, engine: Engine, keys: Table):
        self.engine = engine
        self.keys = keys
        self._purged_at = 0.0

    def _where(self, caller: str, key: str):
        return (self.keys.c.caller == caller) & (self.keys.c.key == key)

    def begin(self, caller: str, key: str, fingerprint: str):
        """None when this request is the first with the key (now recorded as running), else the
        record of the first."""
        now = _now()
        self._purge(now)
        for _ in range(2):
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(self.keys).values(caller=caller, key=key, fingerprint=fingerprint,
                                                          created_at=now))
                return None
            except IntegrityError:
                pass
            with self.engine.begin() as conn:
                found = conn.execute(select(self.keys).where(self._where(caller, key))).first()
                if found is None:
                    continue  # removed meanwhile: try again
                expired = found.created_at < now - KEPT
                abandoned = found.status is None and found.created_at < now - RUNNING_AT_MOST
                if not (expired or abandoned):
                    return found
                # a new key, or one whose first request died: this request runs instead
                conn.execute(delete(self.keys).where(self._where(caller, key) & (self.keys.c.created_at == found.created_at)))
        return None

    def finish(self, caller: str, key: str, status: int, headers: list, body: bytes) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(self.keys).where(self._where(caller, key)).values(status=status, headers=headers, body=body))

    def forget(self, caller: str, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.keys).where(self._where(caller, key)))

    def _purge(self, now: datetime) -> None:
        if time.monotonic() - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = time.monotonic()
        with self.engine.begin() as conn:
            conn.execute(delete(self.keys).where(self.keys.c.created_at < now - KEPT))


def fingerprint_of(method: str, path: bytes, query: bytes, body: bytes) -> str:
    """What makes two requests with one key the same request."""
    return hashlib.sha256(b"\n".join([method.encode(), path, query, body])).hexdigest()


def _caller(scope) -> str:
    claims = scope.get("extensions", {}).get("connexion_context", {}).get("token_info") or {}
    return f"{claims.get('kind', 'customer')}:{claims['sub']}"[:120] if claims.get("sub") else "anonymous"


class Idempotency:
    def __init__(self, app, store: Store):
        self.app = app
        self.store = store

    async def __call__(self, scope, receive, send):
        key = next((v for k, v in scope.get("headers", ()) if k == HEADER), None) if scope["type"] == "http" else None
        if key is None or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        if not VALID_KEY.match(key):
            reason = "must be 1 to 255 visible ASCII characters"
            await send_problem(send, 400, f"Idempotency-Key: {reason}", "invalid-request",
                           invalid_params=[{"name": "Idempotency-Key", "reason": reason}])
            return
        body = await read_bounded(receive, max_body_bytes()) or b""  # BodyLimit, further out, bounded it
        caller, key = _caller(scope), key.decode("ascii")
        fingerprint = fingerprint_of(scope["method"], scope.get("raw_path") or scope["path"].encode(),
                                     scope.get("query_string", b""), body)
        first = await anyio.to_thread.run_sync(self.store.begin, caller, key, fingerprint)
        if first is not None:
            await self._replay(send, first, fingerprint)
            return
        answer = {"status": 500, "headers": [], "body": [], "no_store": False}
        held: list[dict] = []

        async def keep(message):
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["no_store"] = any(k.lower() == b"cache-control" and b"no-store" in v.lower()
                                         for k, v in message.get("headers", []))
                answer["headers"] = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in message.get("headers", [])
                                     if k.lower() in REPLAYED_HEADERS]
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))
            held.append(message)

        try:
            await self.app(scope, replaying(body, receive), keep)
        except BaseException:
            await anyio.to_thread.run_sync(self.store.forget, caller, key)
            raise
        # The answer is kept before the client has it: a retry sent the moment the first answer
        # arrives finds it, not a request "still running".
        if answer["status"] >= 500 or answer["status"] == 429 or answer["no_store"]:
            await anyio.to_thread.run_sync(self.store.forget, caller, key)
        else:
            await anyio.to_thread.run_sync(self.store.finish, caller, key, answer["status"], answer["headers"],
                                           b"".join(answer["body"]))
        for message in held:
            await send(message)

    async def _replay(self, send, first, fingerprint: str) -> None:
        if first.fingerprint != fingerprint:
            await send_problem(send, 422, "This Idempotency-Key was used with another request; use a new key for a new "
                                      "request.", "idempotency-key-reused")
        elif first.status is None:
            await send_problem(send, 409, "The first request with this Idempotency-Key is still running; try again "
                                      "in a moment.", "idempotency-key-in-use")
        else:
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (first.headers or [])]
            await send_answer(send, first.status, headers + [(b"idempotency-replayed", b"true")], first.body or b"")
