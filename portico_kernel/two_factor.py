"""OR-10 / GW-02: once an organization requires 2FA, its members without 2FA can do nothing with
it through the API until they set it up. One rule, enforced wherever it is known which
organization a request reaches: by the gateway for the organization a token acts for, and by a
service for the organization an object belongs to, whichever organization the token acts for.

Bound: persons (tokens of kind `customer`) who signed in without a second factor and have not set
one up since. Not bound: sign-ins with a second factor (`mfa` in `amr`), app passwords (`app`,
desktop and mobile apps keep working, as OR-10 says), the provider's staff, services and API keys.

Left open to a bound person: setting 2FA up, reading their own profile, signing out (the
gateway's own `/v1/auth/logout`, never routed) and, for external users, leaving the organization.
"""
from __future__ import annotations

import re
from typing import Callable

from .errors import Forbidden

CUSTOMER = "customer"
EXTERNAL = "external"
SECOND_FACTOR_SHOWN = ("mfa", "app")
LEAVING = re.compile(r"^/v1/orgs/[^/]+/members/me/?$")


class TwoFactorRequired(Forbidden):
    def __init__(self):
        super().__init__("This organization requires two-factor authentication: set it up under /v1/me/two-factor, "
                         "then sign in again.", problem="two-factor-required")


def may_leave_instead(role: str) -> bool:
    """An external user may leave the organization rather than set up 2FA."""
    return role == EXTERNAL


def exempt(method: str, path: str, roles: tuple[str, ...] | list[str]) -> bool:
    """The calls left open, by path, for someone whose `roles` are those in the organization at hand."""
    if any(segment in (".", "..") for segment in path.split("/")):
        return False  # the upstream would resolve them into a path that is not exempt
    if path == "/v1/me/two-factor" or path.startswith("/v1/me/two-factor/"):
        return True
    if method == "GET" and path.rstrip("/") == "/v1/me":
        return True
    return method == "DELETE" and any(map(may_leave_instead, roles)) and bool(LEAVING.match(path))


def blocks(claims: dict, *, required: bool, has_two_factor: Callable[[str], bool], exempt: bool = False) -> bool:
    """True when this caller must be refused `two-factor-required` by an organization that
    `required` 2FA; `has_two_factor(user_id)` says whether a person has set it up (asked only
    when it matters)."""
    if not required or exempt or claims.get("kind") != CUSTOMER:
        return False
    if any(factor in SECOND_FACTOR_SHOWN for factor in claims.get("amr") or ()):
        return False
    return not has_two_factor(claims["sub"])


def ensure_met(claims: dict, *, required: bool, has_two_factor: Callable[[str], bool], exempt: bool = False) -> None:
    if blocks(claims, required=required, has_two_factor=has_two_factor, exempt=exempt):
        raise TwoFactorRequired()
