"""A sweep no route escapes: generated from the contracts, so a new route is covered without anyone
writing a new test.

For every public operation whose path names an object (an organization, a member, an invitation,
a grant …), with every path parameter filled with organization B's ids and a valid body made from
the contract's schema:
- a legal representative of organization A (the strongest customer role, acting for A),
- an external user of B on another member's objects,
- a partner's API key with every scope, acting for its own organization or naming B, which it
  does not manage,
each get 403 or 404 (a key at the gateway's own key management: 401), never data and never a change.
"""
from __future__ import annotations

import re
import uuid

import pytest

from portico_kernel import openapi, scopes
from tests.helpers import unique_email
from tests.test_api_conventions import _contract_operations

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
REFUSED = (403, 404)


def _loader():
    documents = {}

    def document(name: str) -> dict:
        if name not in documents:
            documents[name] = openapi.load(name)
        return documents[name]

    def resolve(node, current: str):
        while isinstance(node, dict) and "$ref" in node:
            file, _, pointer = node["$ref"].partition("#")
            current = file or current
            node = document(current)
            for part in pointer.strip("/").split("/"):
                node = node[part]
        return node, current

    return resolve


RESOLVE = _loader()


def example(schema: dict, current: str):
    """A value the contract's schema accepts (required properties, or as many as it needs at least)."""
    schema, current = RESOLVE(schema, current)
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if "example" in schema:  # the contract names a value (e.g. a card sandbox's test token)
        return schema["example"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        names = list(schema.get("required", []))
        names += [n for n in schema.get("properties", {}) if n not in names][:max(0, schema.get("minProperties", 0) - len(names))]
        return {name: example(schema["properties"][name], current) for name in names}
    if kind == "array":
        return [example(schema.get("items", {}), current) for _ in range(max(1, schema.get("minItems", 0)))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("pattern") == UUID_PATTERN:
        return str(uuid.uuid4())
    if schema.get("format") == "email":
        return unique_email("sweep")
    plain = "x" * max(1, schema.get("minLength", 1))
    if "pattern" in schema:  # the first of a few plain values the pattern accepts
        return next(v for v in (plain, "CH", "hosting", "Ab_1-x", "a1", str(uuid.uuid4())) if re.search(schema["pattern"], v))
    return plain


def object_operations():
    """(method, path template, path parameters, request body schema, contract) of every public
    operation whose path names an object."""
    found = []
    for component, method, path, operation, parameters, _ in _contract_operations():
        names = {p["name"]: p.get("schema", {}) for p in parameters if p["in"] == "path"}
        if not path.startswith("/v1/") or not names:
            continue
        body = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
        found.append((method.upper(), path, names, body, f"{component}.yaml"))
    return found


def test_the_sweep_covers_every_route_that_names_an_object():
    operations = object_operations()
    assert len(operations) >= 25, len(operations)
    assert {"/v1/orgs/{org_id}", "/v1/orgs/{org_id}/invitations", "/v1/orgs/{org_id}/grants",
            "/v1/orgs/{org_id}/members/{user_id}/role", "/v1/billing/accounts/{org_id}"} <= {p for _, p, *_ in operations}


def filled(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def call(api, method: str, path: str, body_schema, contract: str, headers: dict):
    body = example(body_schema, contract) if body_schema else None
    if method != "GET":  # a request that moves money requires one (docs/API.md "Idempotency")
        headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    return api.http.request(method, api.url(path), json=body, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def organizations(api):
    """Organization B with its legal representative, a collaborator and an external user;
    organization A; a reseller R with an API key that holds every scope and manages nobody."""
    from tests.test_api_keys import create_key
    from tests.test_organizations import member_of
    from tests.bus_tap import Tap

    tap = Tap(f"sweep-{uuid.uuid4().hex[:6]}")
    try:
        b_owner, a_owner, reseller = api.customer_with_org(), api.customer_with_org(), api.customer_with_org()
        colleague = member_of(api, tap, b_owner, "collaborator")
        external = member_of(api, tap, b_owner, "external")
    finally:
        tap.close()
    key = create_key(api, reseller, scopes=list(scopes.SCOPES), rate_limit_per_minute=100000)
    return {"b": b_owner, "a": a_owner, "colleague": colleague, "external": external, "key": key["secret"]}


def _values(names: dict[str, dict], b: dict, member_id: str, contract: str) -> dict[str, str]:
    """Organization B's ids where the path names an organization or a member; any other id as its
    schema allows (an object of B's the caller must not reach, or none: either way 403 or 404)."""
    values = {}
    for name, schema in names.items():
        if name in ("org_id", "customer_org_id", "reseller_org_id"):
            values[name] = b["org_id"]
        elif name == "user_id":
            values[name] = member_id
        else:
            values[name] = str(example(schema, contract))
    return values


def _sweep(api, callers, only=lambda path: True) -> list[str]:
    escaped = []
    for method, path, names, body, contract in object_operations():
        if not only(path):
            continue
        for who, headers, member_id, b in callers:
            target = filled(path, _values(names, b, member_id, contract))
            response = call(api, method, target, body, contract, headers)
            # the gateway's own routes (managing API keys) take people's tokens only: a key is 401 there
            refused = REFUSED + (401,) if contract == "gateway.yaml" and "key" in who else REFUSED
            if response.status_code not in refused:
                escaped.append(f"{who}: {method} {target} -> {response.status_code} {response.text[:200]}")
    return escaped


def test_a_token_of_one_organization_reaches_nothing_of_another(api, organizations):
    a, b = organizations["a"], organizations["b"]
    callers = [("legal representative of A", {"Authorization": f"Bearer {a['token']}"}, b["user_id"], b)]
    # paths under /v1/me are the caller's own: they name no other organization's object
    escaped = _sweep(api, callers, only=lambda path: not path.startswith("/v1/me"))
    assert not escaped, "\n".join(escaped)


def test_an_external_user_reaches_no_other_members_objects(api, organizations):
    b, external, colleague = organizations["b"], organizations["external"], organizations["colleague"]
    callers = [("external user of B", {"Authorization": f"Bearer {external['token']}"}, colleague["user_id"], b)]
    escaped = _sweep(api, callers, only=lambda path: "{user_id}" in path)
    assert not escaped, "\n".join(escaped)


def test_a_partner_key_reaches_nothing_outside_its_managed_organizations(api, organizations):
    b, key = organizations["b"], organizations["key"]
    callers = [("partner key acting for its own organization", {"Authorization": f"Bearer {key}"}, b["user_id"], b),
               ("partner key naming an organization it does not manage",
                {"Authorization": f"Bearer {key}", "X-Portico-Org": b["org_id"]}, b["user_id"], b)]
    escaped = _sweep(api, callers, only=lambda path: not path.startswith("/v1/me"))
    assert not escaped, "\n".join(escaped)
