"""Wires the gateway once per process: its database of signing keys, the token issuer and verifier,
and the pooled client to the services."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from functools import lru_cache

from portico_kernel.auth import TokenVerifier
from portico_kernel.service import Service

from .adapters.keystore import CachedKeyRing, KeyStore, now
from .adapters.orm import metadata
from .adapters.upstream import Upstreams
from .domain import tokens


class Gateway:
    def __init__(self):
        self.service = Service("gateway", metadata)
        self.settings = self.service.settings
        self.token_ttl = timedelta(seconds=self.settings.access_token_ttl)
        self.keystore = KeyStore(self.service.session_factory)
        self.keystore.ensure_signing_key()
        self.keys = CachedKeyRing(self.keystore)
        self.verifier = TokenVerifier(self.keys, self.settings.issuer, self.settings.audience)
        self.upstreams = Upstreams()
        self._service_token: tuple[str, float] | None = None

    def issue(self, claims: dict, ttl: timedelta | None = None) -> str:
        moment = now()
        key = self.keys.ring.signing_key(moment)
        if key is None:  # every key retired (e.g. an operator removed them): make one rather than fail
            self.keystore.ensure_signing_key()
            self.keys.refresh()
            key = self.keys.ring.signing_key(moment)
        return tokens.issue(key, claims, issuer=self.settings.issuer, audience=self.settings.audience,
                            now=moment, ttl=ttl or self.token_ttl)

    def service_token(self) -> str:
        """The gateway's own credential towards the services (kind "service")."""
        if self._service_token is None or self._service_token[1] < time.monotonic():
            ttl = timedelta(minutes=2)
            token = self.issue({"sub": "gateway", "kind": "service", "org": None, "roles": ["service"], "amr": []}, ttl)
            self._service_token = (token, time.monotonic() + ttl.total_seconds() / 2)
        return self._service_token[0]

    async def call_identity(self, method: str, path: str, body: dict) -> tuple[int, dict | None]:
        headers = {"Authorization": f"Bearer {self.service_token()}", "Content-Type": "application/json"}
        status, _, raw = await self.upstreams.request("identity", method, path, headers, json.dumps(body).encode())
        return status, (json.loads(raw) if raw else None)


@lru_cache(maxsize=1)
def bootstrap() -> Gateway:
    return Gateway()
