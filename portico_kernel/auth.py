"""Verifying the gateway's access tokens inside a service, without calling anyone per request.

The public keys come from the gateway's JWKS and are cached; an unknown `kid` (the gateway
rotated its key) triggers one refetch, rate-limited. The algorithm is pinned to EdDSA: `alg: none`,
an HS256 token "signed" with the public key, or any other algorithm is refused.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field

import jwt
import requests
from connexion.exceptions import OAuthProblem

from .config import Settings

log = logging.getLogger(__name__)

ALGORITHMS = ["EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud"]


class InvalidToken(Exception):
    pass


class JwksKeyring:
    """The gateway's public signing keys by kid, fetched from its JWKS."""

    def __init__(self, jwks_url: str, min_refresh_interval: float = 2.0):
        self.jwks_url = jwks_url
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def get(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get(kid)

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._fetched_at < self.min_refresh_interval:
                return
            self._fetched_at = time.monotonic()
            try:
                response = requests.get(self.jwks_url, timeout=3)
                response.raise_for_status()
                keys = jwt.PyJWKSet.from_dict(response.json()).keys
            except (requests.RequestException, ValueError, jwt.PyJWKSetError) as exc:
                log.warning("cannot fetch JWKS from %s: %s", self.jwks_url, exc)
                return
            self._keys = {key.key_id: key for key in keys if key.key_id}


class TokenVerifier:
    def __init__(self, keyring: JwksKeyring, issuer: str, audience: str):
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience

    def _kid(self, token: str) -> str:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from exc
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"token algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not kid:
            raise InvalidToken("token has no key id")
        return kid

    def verify_with_key(self, token: str, key: jwt.PyJWK) -> dict:
        try:
            return jwt.decode(
                token, key=key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS}, leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"token rejected: {exc}") from exc

    def verify(self, token: str) -> dict:
        """Blocking: may refetch the JWKS once for an unknown kid."""
        kid = self._kid(token)
        key = self.keyring.get(kid)
        if key is None:
            self.keyring.refresh()
            key = self.keyring.get(kid)
        if key is None:
            raise InvalidToken("token was signed with an unknown key")
        return self.verify_with_key(token, key)

    def verify_known(self, token: str) -> dict:
        """Pure CPU, never fetches: for a hot path whose keyring is kept current in the background."""
        key = self.keyring.get(self._kid(token))
        if key is None:
            raise InvalidToken("token was signed with an unknown key")
        return self.verify_with_key(token, key)

    async def verify_async(self, token: str) -> dict:
        """For the event loop: pure CPU when the key is known; a refetch runs in a thread."""
        kid = self._kid(token)
        key = self.keyring.get(kid)
        if key is None:
            await asyncio.to_thread(self.keyring.refresh)
            key = self.keyring.get(kid)
        if key is None:
            raise InvalidToken("token was signed with an unknown key")
        return self.verify_with_key(token, key)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a customer, a member of the provider's staff, a partner's API key, or a service."""

    user_id: str
    kind: str
    org_id: str | None
    roles: tuple[str, ...] = ()
    amr: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    session_id: str | None = None
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_claims(cls, claims: dict) -> "Principal":
        return cls(
            user_id=claims["sub"],
            kind=claims.get("kind", "customer"),
            org_id=claims.get("org"),
            roles=tuple(claims.get("roles") or ()),
            amr=tuple(claims.get("amr") or ()),
            scopes=tuple((claims.get("scope") or "").split()),
            session_id=claims.get("sid"),
            claims=claims,
        )

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_service(self) -> bool:
        return self.kind == "service"


def bearer_info_function(settings: Settings, verifier: TokenVerifier | None = None):
    """The `x-bearerInfoFunc` of a service: verifies locally, answers 401 problem+json otherwise."""
    verifier = verifier or TokenVerifier(JwksKeyring(settings.jwks_url), settings.issuer, settings.audience)

    async def bearer_info(token: str) -> dict:
        try:
            return await verifier.verify_async(token)
        except InvalidToken as exc:
            raise OAuthProblem(detail=str(exc)) from exc

    bearer_info.verifier = verifier
    return bearer_info
