"""GW-02 enforces OR-10 for the organization a person's token acts for; the rule and its
exemptions are the kernel's (portico_kernel/two_factor.py), which the services apply to the
organization each object belongs to."""
from __future__ import annotations

from portico_kernel import two_factor


def blocks(claims: dict, method: str, path: str, *, orgs_requiring: frozenset[str] | set[str],
           people_with_two_factor: frozenset[str] | set[str]) -> bool:
    """True when this call of a person must be refused with `two-factor-required`."""
    return claims.get("org") in orgs_requiring and two_factor.blocks(
        claims, required=True, has_two_factor=people_with_two_factor.__contains__,
        exempt=two_factor.exempt(method, path, claims.get("roles") or ()))
