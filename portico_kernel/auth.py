"""Verifying the gateway's access tokens inside a service, without calling anyone per request.

The public keys come from the gateway's JWKS and are cached; an unknown `kid` (the gateway
rotated its key) triggers one refetch, rate-limited. The algorithm is pinned to EdDSA: `alg: none`,
an HS256 token "signed" with the public key, or any other algorithm is refused. A token meant to
live longer than the longest lifetime the gateway issues (PORTICO_ACCESS_TOKEN_TTL) is refused too,
and a token of an API key must hold the scope of the operation it calls (portico_kernel/scopes.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time

import jwt
import requests
from connexion.exceptions import OAuthProblem

from . import scopes
from .config import Settings
from .principal import Principal  # noqa: F401 - where the web layer has long found it

log = logging.getLogger(__name__)

ALGORITHMS = ["EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud"]


class InvalidToken(Exception):
    pass


class PublicKeys:
    """Public keys by kid, read from JWKs. A key that is read again unchanged stays the same
    object, so that the tokens verified with it need not be verified again."""

    def __init__(self):
        self._by_kid: dict[str, tuple[dict, jwt.PyJWK]] = {}

    def get(self, kid: str) -> jwt.PyJWK | None:
        known = self._by_kid.get(kid)
        return known[1] if known else None

    def replace(self, jwks: list[dict]) -> None:
        """Raises jwt.PyJWTError for a JWK it cannot use."""
        by_kid = {}
        for jwk in jwks:
            kid = jwk.get("kid")
            if kid:
                known = self._by_kid.get(kid)
                by_kid[kid] = known if known and known[0] == jwk else (jwk, jwt.PyJWK(jwk))
        self._by_kid = by_kid


class JwksKeyring:
    """The gateway's public signing keys by kid, fetched from its JWKS."""

    def __init__(self, jwks_url: str, min_refresh_interval: float = 2.0):
        self.jwks_url = jwks_url
        self.min_refresh_interval = min_refresh_interval
        self._keys = PublicKeys()
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
                self._keys.replace(response.json()["keys"])
            except (requests.RequestException, ValueError, KeyError, TypeError, jwt.PyJWTError) as exc:
                log.warning("cannot fetch JWKS from %s: %s", self.jwks_url, exc)


class TokenVerifier:
    """Checks signature, algorithm, issuer, audience and lifetime of an access token: expired, or
    meant to live longer than `max_lifetime` seconds (a signing key used to mint a token for years).

    A client sends the same token with every call until it expires, so a verified token's claims
    are kept (bounded) and a repeat costs a lookup instead of a signature check. A kept token is
    still refused once it expires or once its key is no longer the keyring's."""

    LEEWAY = 5  # seconds of clock skew tolerated between the gateway and a service
    KEPT = 4096

    def __init__(self, keyring: JwksKeyring, issuer: str, audience: str, *, max_lifetime: int):
        self.keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.max_lifetime = max_lifetime
        self._verified: dict[str, tuple[str, jwt.PyJWK, dict]] = {}

    def already_verified(self, token: str) -> dict | None:
        """The claims of a token verified before, while it is unexpired and its key is in the ring."""
        kept = self._verified.get(token)
        if kept is None:
            return None
        kid, key, claims = kept
        if self.keyring.get(kid) is not key or claims["exp"] + self.LEEWAY < time.time():
            self._verified.pop(token, None)
            return None
        return dict(claims)

    def _keep(self, token: str, kid: str, key: jwt.PyJWK, claims: dict) -> dict:
        if len(self._verified) >= self.KEPT:
            self._verified.clear()  # cheaper than an LRU, and the hot tokens come back at once
        self._verified[token] = (kid, key, claims)
        return dict(claims)

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
            claims = jwt.decode(
                token, key=key, algorithms=ALGORITHMS, audience=self.audience, issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS}, leeway=self.LEEWAY,
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"token rejected: {exc}") from exc
        if int(claims["exp"]) - int(claims["iat"]) > self.max_lifetime:  # PyJWT checked both convert
            raise InvalidToken(f"token lifetime exceeds the {self.max_lifetime} s the gateway issues")
        return claims

    def _checked(self, token: str, key_of) -> dict:
        if (claims := self.already_verified(token)) is not None:
            return claims
        kid = self._kid(token)
        key = key_of(kid)
        if key is None:
            raise InvalidToken("token was signed with an unknown key")
        return self._keep(token, kid, key, self.verify_with_key(token, key))

    def _key_refetched_if_unknown(self, kid: str) -> jwt.PyJWK | None:
        if self.keyring.get(kid) is None:
            self.keyring.refresh()
        return self.keyring.get(kid)

    def verify(self, token: str) -> dict:
        """Blocking: may refetch the JWKS once for an unknown kid."""
        return self._checked(token, self._key_refetched_if_unknown)

    def verify_known(self, token: str) -> dict:
        """Pure CPU, never fetches: for a hot path whose keyring is kept current in the background."""
        return self._checked(token, self.keyring.get)

    async def verify_async(self, token: str) -> dict:
        """For the event loop: pure CPU when the key is known; a refetch runs in a thread."""
        if token not in self._verified and self.keyring.get(self._kid(token)) is None:
            await asyncio.to_thread(self.keyring.refresh)
        return self._checked(token, self.keyring.get)


class TokenRefused(OAuthProblem):
    """A 401 of the project's type `invalid-token`, with the verifier's reason."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.type = "https://portico.dev/problems/invalid-token"


def bearer_info_function(settings: Settings, verifier: TokenVerifier | None = None,
                         kinds: frozenset[str] | None = None):
    """The `x-bearerInfoFunc` of a service: verifies locally, answers 401 problem+json otherwise;
    with `kinds`, only tokens of those kinds are taken; a token of an API key without the scope
    its operation declares gets 403 `insufficient-scope`."""
    verifier = verifier or TokenVerifier(JwksKeyring(settings.jwks_url), settings.issuer, settings.audience,
                                         max_lifetime=settings.access_token_ttl)
    scope_of_operation = scopes.of_contract(settings.component)

    async def bearer_info(token: str, request) -> dict:
        try:  # a client sends one token until it expires: its claims are kept after the first check
            claims = verifier.already_verified(token) or await verifier.verify_async(token)
        except InvalidToken as exc:
            raise TokenRefused(str(exc)) from exc
        if kinds is not None and claims.get("kind", "customer") not in kinds:
            raise TokenRefused("This token is not accepted here: sign in, or use an API key.")
        # connexion's routing has named the operation before its security runs
        operation_id = request.scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")
        scopes.ensure_granted(claims, scope_of_operation.get(operation_id))
        return claims

    bearer_info.verifier = verifier
    return bearer_info
