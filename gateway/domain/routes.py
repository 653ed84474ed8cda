"""Which service answers which path (GW-04): the gateway is the only door to all of them.

The gateway decides on the decoded path and forwards exactly that path, so a path must mean the
same thing to the gateway and to every server behind it. A path whose meaning could change on the
way (a dot-segment an upstream client or server resolves, an encoded slash or backslash a server
decodes into a separator, control characters) is refused instead of being guessed at: that is how
`/v1/me/../../internal/users` would otherwise reach a service's internal routes.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

ROUTES: tuple[tuple[str, str], ...] = (
    ("/v1/me", "identity"),
    ("/v1/users", "identity"),
    ("/v1/orgs", "orgs"),
    ("/v1/invitations", "orgs"),
    ("/v1/billing", "billing"),
    ("/v1/domains", "domains"),
    ("/v1/tickets", "tickets"),
    ("/v1/notifications", "notifications"),
)

# Percent-encoded dot, slash and backslash, in either letter case; still refused once decoded, so a
# second decoding further on cannot turn `%252e%252e` into a dot-segment either.
_ENCODED_SEPARATOR = re.compile(r"%(2e|2f|5c)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters a path segment may carry unencoded (RFC 3986 pchar); everything else is re-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class UnsafePath(ValueError):
    """A path that could mean another path to a server behind the gateway."""


@dataclass(frozen=True)
class Route:
    service: str
    path: str  # decoded: what the route, the 2FA exemptions and the API key scopes are decided on

    @functools.cached_property
    def forwarded(self) -> str:
        """The path sent to the service: the routed path itself, encoded once."""
        return quote(self.path, safe=_PATH_SAFE)


def normalized(raw_path: bytes) -> str:
    """The decoded path of a request, if nothing in it can change meaning behind the gateway."""
    try:
        raw = raw_path.decode("ascii")
    except UnicodeDecodeError as exc:
        raise UnsafePath("The path must be percent-encoded ASCII.") from exc
    if not raw.startswith("/") or "\\" in raw:
        raise UnsafePath("The path must start with / and contain no backslash.")
    if _ENCODED_SEPARATOR.search(raw):
        raise UnsafePath("The path must not encode a dot, slash or backslash (%2e, %2f, %5c).")
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise UnsafePath("The path's percent-encoded bytes must be UTF-8.") from exc
    if _CONTROL.search(path) or _ENCODED_SEPARATOR.search(path) or "\\" in path:
        raise UnsafePath("The path must not contain control characters, backslashes or encoded separators.")
    segments = path.split("/")[1:]
    if any(segment in (".", "..") for segment in segments):
        raise UnsafePath("The path must not contain . or .. segments.")
    if "" in segments[:-1]:  # `//`: servers and clients disagree on whether it collapses
        raise UnsafePath("The path must not contain empty segments (//).")
    return path


def route(path: str) -> Route | None:
    """The service that answers this normalized path; None for the gateway's own paths."""
    for prefix, service in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return Route(service, path)
    return None


@functools.lru_cache(maxsize=4096)
def path_and_route(raw_path: bytes) -> tuple[str, Route | None]:
    """The normalized path of a request and its route (raises UnsafePath): a function of the raw
    path alone, so the paths asked most are worked out once."""
    path = normalized(raw_path)
    return path, route(path)
