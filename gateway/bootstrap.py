"""Wires the gateway once per process: its database of signing keys, the token issuer and verifier,
the in-memory copy of API keys and security read models, and the pooled client to the services."""
from __future__ import annotations

import json
from collections.abc import Mapping
import time
from datetime import timedelta
from functools import cached_property, lru_cache

from portico_kernel.auth import TokenVerifier
from portico_kernel.problems import request_id
from portico_kernel.service import Service
from starlette.datastructures import Headers

from .adapters.keystore import CachedKeyRing, KeyStore, now
from .adapters.orm import metadata
from .adapters.security import LiveSecurity, SecurityStore
from .adapters.unit_of_work import GatewayUnitOfWork
from .adapters.upstream import Upstreams
from .adapters import tokens
from .domain import events, read_models
from .domain.api_keys import ApiKey
from .domain.rate_limits import RateLimiter

API_KEY_TOKEN_TTL = timedelta(seconds=60)
SERVICE_TOKEN_TTL = timedelta(minutes=2)


class Gateway:
    def __init__(self):
        self.service = Service("gateway", metadata, uow_class=GatewayUnitOfWork, events=events, handlers={
            "TwoFactorPolicyChanged": read_models.on_two_factor_policy_changed,
            "TwoFactorStatusChanged": read_models.on_two_factor_status_changed,
            "ResellerLinked": read_models.on_reseller_linked,
            "ResellerUnlinked": read_models.on_reseller_unlinked,
            "MemberBlocked": read_models.on_member_blocked,
            "MemberUnblocked": read_models.on_member_unblocked,
            "MemberLeft": read_models.on_member_left,
            "MemberJoined": read_models.on_member_joined,
            "AccountClosed": read_models.on_account_closed,
        })
        self.settings = self.service.settings
        self.token_ttl = timedelta(seconds=self.settings.access_token_ttl)
        # No token the gateway issues lives longer than an access token: verifiers refuse longer ones.
        self.service_token_ttl = min(SERVICE_TOKEN_TTL, self.token_ttl)
        self.api_key_token_ttl = min(API_KEY_TOKEN_TTL, self.token_ttl)
        self.keystore = KeyStore(self.service.session_factory)
        self.upstreams = Upstreams()
        self._service_token: tuple[str, float] | None = None
        self.security_store = SecurityStore(self.service.session_factory)
        self.rate_limiter = RateLimiter()
        self._key_tokens: dict[tuple[str, str], tuple[str, float]] = {}

    # Read from the database on first use (the web process at start-up), so that the consumer
    # process, which needs none of them, does not.
    @cached_property
    def keys(self) -> CachedKeyRing:
        self.keystore.ensure_signing_key()
        return CachedKeyRing(self.keystore)

    @cached_property
    def verifier(self) -> TokenVerifier:
        return TokenVerifier(self.keys, self.settings.issuer, self.settings.audience,
                             max_lifetime=self.settings.access_token_ttl)

    @cached_property
    def security(self) -> LiveSecurity:
        return LiveSecurity(self.security_store, also_refresh=(self.keys.refresh,))

    @property
    def handlers(self) -> dict:
        """The events the gateway's consumer handles, like every service's bootstrap names them."""
        return self.service.handlers

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
            ttl = self.service_token_ttl
            token = self.issue({"sub": "gateway", "kind": "service", "org": None, "roles": ["service"], "amr": []}, ttl)
            self._service_token = (token, time.monotonic() + ttl.total_seconds() / 2)
        return self._service_token[0]

    def api_key_token(self, key: ApiKey, org_id: str) -> str:
        """GW-03: the short-lived internal token a call with an API key travels on, so services
        see one kind of credential (kind "api_key", the key's scopes). Reused for half its life."""
        cached = self._key_tokens.get((key.id, org_id))
        if cached is None or cached[1] < time.monotonic():
            claims = {"sub": key.id, "kind": "api_key", "org": org_id, "roles": [], "amr": [],
                      "scope": " ".join(key.scopes)}
            ttl = self.api_key_token_ttl
            cached = (self.issue(claims, ttl), time.monotonic() + ttl.total_seconds() / 2)
            self._key_tokens[(key.id, org_id)] = cached
        return cached[0]

    async def call_identity(self, method: str, path: str, body: dict) -> tuple[int, dict | None, Mapping[str, str]]:
        """Identity's answer: status, JSON body and headers (a refusal's Retry-After goes back to the caller)."""
        return await self.call_service("identity", method, path, body)

    async def call_service(self, service: str, method: str, path: str, body: dict) -> tuple[int, dict | None, Mapping[str, str]]:
        """A service's internal endpoint, called with the gateway's own service token."""
        headers = {"Authorization": f"Bearer {self.service_token()}", "Content-Type": "application/json",
                   "X-Correlation-Id": request_id.get() or ""}
        status, answer_headers, raw = await self.upstreams.request(service, method, path, headers,
                                                                   json.dumps(body).encode())
        return status, (json.loads(raw) if raw else None), Headers(raw=answer_headers)


@lru_cache(maxsize=1)
def bootstrap() -> Gateway:
    return Gateway()
