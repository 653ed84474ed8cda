"""What an API key may do (OR-19, GW-03): one rule for the gateway and for every service.

A key carries scopes per service (`orgs:read`, `billing:write`, …); a scope to write includes the
scope to read. Each operation of a service's contract names the scope it needs
(`x-api-key-scope`), and the service checks it for every token of kind `api_key`, so a captured
internal token can do no more than its key. The gateway checks the same scope before it forwards
a call: reading methods need `<service>:read`, the others `<service>:write`; a test keeps every
contract's declarations equal to that rule. Persons are not bound by scopes: their roles decide.

A token an application holds (OAuth, ID-13: it carries `client_id`) is bound by its scopes as well,
whoever it acts for: a person's delegated token may do what the person's role allows *and* its
scopes grant, never more. Operations without a declared scope (identity's own management of
passwords, second factors, sessions and grants among them) are closed to it.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .config import SERVICES, contracts_dir
from .errors import Forbidden

EXTENSION = "x-api-key-scope"
SCOPES = tuple(f"{service}:{access}" for service in SERVICES for access in ("read", "write"))
# What an application may be granted (ID-13): every service's scopes but identity's own (nobody's
# password, second factors, sessions or grants are managed by an application), and OpenID Connect's.
DELEGABLE_SERVICE_SCOPES = tuple(scope for scope in SCOPES if not scope.startswith("identity:"))
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
DELEGABLE_SCOPES = DELEGABLE_SERVICE_SCOPES + OIDC_SCOPES
READING_METHODS = ("GET", "HEAD", "OPTIONS")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
API_KEY = "api_key"


class InsufficientScope(Forbidden):
    def __init__(self, needed: str | None):
        detail = (f"This token lacks the scope {needed}." if needed
                  else "API keys and applications cannot call this operation.")
        super().__init__(detail, problem="insufficient-scope", **({"required_scope": needed} if needed else {}))


def required_scope(service: str, method: str) -> str:
    """The gateway's rule, by the method alone."""
    return f"{service}:{'read' if method.upper() in READING_METHODS else 'write'}"


def grants(held: tuple[str, ...] | list[str], needed: str) -> bool:
    service, _, access = needed.partition(":")
    return needed in held or (access == "read" and f"{service}:write" in held)


def operations(contract: Path) -> list[tuple[str, str, dict]]:
    """(path, method, operation) of every operation in an OpenAPI document."""
    document = yaml.safe_load(contract.read_text())
    return [(path, method, operation) for path, item in (document.get("paths") or {}).items()
            for method, operation in item.items() if method in HTTP_METHODS]


def of_contract(component: str) -> dict[str, str]:
    """operationId -> the scope an API key needs for it, as the component's contract declares."""
    return {operation["operationId"]: operation[EXTENSION]
            for _, _, operation in operations(contracts_dir() / f"{component}.yaml") if EXTENSION in operation}


def bound_by_scopes(claims: dict) -> bool:
    """API keys' tokens, and every token an application holds (`client_id`, ID-13)."""
    return claims.get("kind") == API_KEY or bool(claims.get("client_id"))


def ensure_granted(claims: dict, needed: str | None) -> None:
    """Refuses a token bound by scopes (an API key's, an application's) whose scopes do not grant
    `needed`; an operation that declares no scope is closed to them."""
    if not bound_by_scopes(claims):
        return
    if needed is None or not grants(tuple((claims.get("scope") or "").split()), needed):
        raise InsufficientScope(needed)
