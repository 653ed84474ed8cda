"""API keys for partners, resellers and agencies (OR-19, GW-03).

A key belongs to one organization and carries scopes per service (`orgs:read`, `billing:write`, …).
The gateway checks the scope of every call with a key against the route table: the path names the
service, the method the access (GET and HEAD read, every other method writes; write includes
read). The rule is the kernel's (portico_kernel/scopes.py): each service checks it again, for the
scope its contract declares per operation, on the internal token the call travels on.

The secret is shown once, as `pk_<prefix>_<secret>`; the gateway finds the key by its public
prefix and keeps only the SHA-256 of the secret. A fast hash is enough here, unlike for passwords:
the secret is 256 random bits, so there is nothing to guess from a leaked hash, and the check stays
at a microsecond per call where a password hash would cost a tenth of a second.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping, Protocol

from portico_kernel.principal import Principal
from portico_kernel.errors import Forbidden, Invalid, TooManyRequests, Unauthorized
from portico_kernel.scopes import SCOPES, InsufficientScope, grants, required_scope
from portico_kernel.roles import MANAGING_ROLES

from .rate_limits import RateLimiter

MARK = "pk_"
DEFAULT_RATE_LIMIT = 600  # requests per minute
KEY_MANAGERS = MANAGING_ROLES


def ensure_may_manage(caller: Principal) -> str:
    """OR-19: the administrators and legal representatives of an organization manage its keys;
    the organization is the one their token acts for."""
    if caller.kind != "customer" or caller.org_id is None or not caller.has_role(*KEY_MANAGERS):
        raise Forbidden("Only administrators and legal representatives of an organization manage its API keys.")
    return caller.org_id


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split(presented: str) -> tuple[str, str] | None:
    """(prefix, secret) of `pk_<prefix>_<secret>`, or None for anything else."""
    if not presented.startswith(MARK):
        return None
    prefix, _, secret = presented[len(MARK):].partition("_")
    return (prefix, secret) if prefix and secret else None


@dataclass(eq=False)
class ApiKey:
    id: str
    org_id: str
    name: str
    prefix: str
    secret_hash: str
    scopes: list[str]
    rate_limit: int
    created_by: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def issue(cls, *, org_id: str, name: str, scopes: list[str], rate_limit: int | None, expires_at: datetime | None,
              created_by: str, now: datetime) -> tuple["ApiKey", str]:
        """A new key and the secret to show once."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise Invalid(f"Unknown scopes: {', '.join(unknown) or '(none given)'}; known: {', '.join(SCOPES)}",
                          problem="unknown-scope")
        if expires_at is not None and expires_at <= now:
            raise Invalid("The expiry lies in the past.")
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)  # 48-bit public id, 256-bit secret
        key = cls(id=str(uuid.uuid4()), org_id=org_id, name=name, prefix=prefix, secret_hash=hash_secret(secret),
                  scopes=sorted(set(scopes)), rate_limit=rate_limit or DEFAULT_RATE_LIMIT, created_by=created_by,
                  created_at=now, expires_at=expires_at)
        return key, f"{MARK}{prefix}_{secret}"

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(hash_secret(secret), self.secret_hash)

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, scope: str) -> bool:
        return grants(self.scopes, scope)

    def revoke(self, now: datetime) -> None:
        if self.revoked_at is None:
            self.revoked_at = now


class KnownKeys(Protocol):
    """What the gateway knows of keys and reseller links (its worker's in-memory snapshot)."""

    keys_by_prefix: Mapping[str, ApiKey]

    def manages(self, reseller_org_id: str, customer_org_id: str) -> bool: ...


def admit(presented: str, known: KnownKeys, *, service: str, method: str, org_id: str | None, now: datetime,
          take: Callable[[str, int], float]) -> tuple[ApiKey, str]:
    """GW-03: the key behind `presented` and the organization the call acts for (`org_id` asked
    for, else the key's own), or the refusal: unknown, revoked or expired key; its rate limit
    (`take(key_id, per_minute)`: seconds to wait, 0 to go on); an organization its own does not
    manage as reseller (OR-19); a scope the key lacks for `method` on `service`."""
    parts = split(presented)
    key = known.keys_by_prefix.get(parts[0]) if parts else None
    if key is None or not key.matches(parts[1]):
        raise Unauthorized("This API key is not valid: unknown or revoked.", problem="invalid-api-key")
    if not key.usable(now):
        raise Unauthorized("This API key has expired.", problem="invalid-api-key")
    wait = take(key.id, key.rate_limit)
    if wait:
        seconds = RateLimiter.retry_after(wait)
        raise TooManyRequests(f"This API key may make {key.rate_limit} calls a minute; try again in {seconds} s.",
                              problem="rate-limited", retry_after=seconds)
    org_id = org_id or key.org_id
    if org_id != key.org_id and not known.manages(key.org_id, org_id):
        raise Forbidden("This API key's organization does not manage that organization as its reseller.",
                        problem="not-a-managed-organization")
    needed = required_scope(service, method)
    if not key.allows(needed):
        raise InsufficientScope(needed)
    return key, org_id
