"""GW-02 enforces OR-10: once an organization requires 2FA, its members without 2FA can do nothing
through the API until they set it up.

Left open: setting 2FA up, reading one's own profile, signing out (the gateway's own
`/v1/auth/logout`, never routed here) and, for external users, leaving the organization. App
passwords (desktop and mobile apps) keep working without 2FA, as OR-10 says.
"""
from __future__ import annotations

import re

LEAVING = re.compile(r"^/v1/orgs/[^/]+/members/me/?$")


def exempt(method: str, path: str, roles: tuple[str, ...] | list[str]) -> bool:
    if any(segment in (".", "..") for segment in path.split("/")):
        return False  # the upstream would resolve them into a path that is not exempt
    if path == "/v1/me/two-factor" or path.startswith("/v1/me/two-factor/"):
        return True
    if method == "GET" and path.rstrip("/") == "/v1/me":
        return True
    return method == "DELETE" and "external" in roles and bool(LEAVING.match(path))


def blocks(claims: dict, method: str, path: str, *, orgs_requiring: frozenset[str] | set[str],
           people_with_two_factor: frozenset[str] | set[str]) -> bool:
    """True when this call of a person must be refused with `two-factor-required`."""
    if claims.get("kind") != "customer" or claims.get("org") not in orgs_requiring:
        return False
    amr = claims.get("amr") or ()
    if "mfa" in amr or "app" in amr or claims["sub"] in people_with_two_factor:
        return False
    return not exempt(method, path, claims.get("roles") or ())
