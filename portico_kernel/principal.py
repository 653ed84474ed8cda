"""Who is calling, as the domain sees it: framework-free, so `domain/` modules may use it.

The token checks that produce a Principal (portico_kernel/auth.py) need jwt, requests and connexion;
this module needs none of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .scopes import API_KEY


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

    @property
    def is_api_key(self) -> bool:
        return self.kind == API_KEY
