"""The signing keys, kept in the gateway's own database so every gateway replica signs alike."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import jwt
from sqlalchemy import select

from portico_kernel.auth import PublicKeys

from .keys import KeyRing, SigningKey
from . import orm  # noqa: F401 - maps SigningKey onto its table


def now() -> datetime:
    return datetime.now(timezone.utc)


class KeyStore:
    def __init__(self, session_factory):
        self.session_factory = session_factory

    def load(self) -> KeyRing:
        with self.session_factory() as session:
            return KeyRing(list(session.scalars(select(SigningKey))))

    def ensure_signing_key(self) -> None:
        with self.session_factory() as session, session.begin():
            ring = KeyRing(list(session.scalars(select(SigningKey))))
            if ring.signing_key(now()) is None:
                session.add(SigningKey.generate(now()))

    def rotate(self, publish_ahead: timedelta, token_ttl: timedelta) -> SigningKey:
        with self.session_factory() as session, session.begin():
            ring = KeyRing(list(session.scalars(select(SigningKey))))
            new = ring.rotate(now(), publish_ahead, token_ttl)
            session.add(new)
            return new


class CachedKeyRing:
    """The key ring as this process last read it; re-read every few seconds so that a rotation made
    by an operator (or another replica) takes effect without a restart. Also serves as the kernel
    TokenVerifier's keyring, so the gateway verifies its own tokens without any HTTP call."""

    def __init__(self, store: KeyStore, max_age: float = 5.0):
        self.store = store
        self.max_age = max_age
        self._lock = threading.Lock()
        self._public = PublicKeys()
        self._load()

    def _load(self) -> None:
        ring = self.store.load()
        self._ring = ring
        self._public.replace([k.public_jwk for k in ring.keys if k.published(now())])
        self._loaded_at = time.monotonic()

    @property
    def ring(self) -> KeyRing:
        if time.monotonic() - self._loaded_at > self.max_age:
            with self._lock:
                if time.monotonic() - self._loaded_at > self.max_age:
                    self._load()
        return self._ring

    def get(self, kid: str) -> jwt.PyJWK | None:
        self.ring  # noqa: B018 - re-read when stale
        return self._public.get(kid)

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            self._load()
