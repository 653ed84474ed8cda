"""Which service answers which path (GW-04): the gateway is the only door to all of them."""
from __future__ import annotations

ROUTES: tuple[tuple[str, str], ...] = (
    ("/v1/me", "identity"),
    ("/v1/users", "identity"),
    ("/v1/orgs", "orgs"),
    ("/v1/billing", "billing"),
    ("/v1/domains", "domains"),
    ("/v1/tickets", "tickets"),
)


def service_for(path: str) -> str | None:
    for prefix, service in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return service
    return None
