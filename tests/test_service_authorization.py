"""Authorization where the data is: every service checks an API key's scope per operation (GW-03,
OR-19), refuses tokens meant to live longer than the gateway issues them (GW-01), and an
organization's 2FA requirement binds whoever reaches it, whichever organization their token acts
for (OR-10, GW-02).

A captured internal token is minted here as the gateway mints it (same claims, signed with the
gateway's current key read from its database): that is what an attacker who captured one holds.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from portico_kernel import scopes
from portico_kernel.config import SERVICES, contracts_dir
from tests.helpers import bearer, claims_of, eventually
from tests.test_api_keys import create_key, problem_type, with_key
from tests.test_org_two_factor import (add_member, platform_admin, put_policy, refused_for_two_factor,  # noqa: F401
                                       require_two_factor, sign, switched_to, with_mfa, with_own_two_factor)
from tests.test_tokens import _issued_by_the_gateway

UNSCOPED = ("/healthz", "/readyz")
TEN_YEARS = timedelta(days=3653)


def _now():
    from gateway.adapters.keystore import now

    return now()


def captured_key_token(key: dict, org_id: str, ttl: timedelta = timedelta(seconds=60)) -> str:
    """The internal token the gateway sends on for a call with this key (gateway/bootstrap.py `api_key_token`)."""
    claims = {"sub": key["id"], "kind": "api_key", "org": org_id, "roles": [], "amr": [],
              "scope": " ".join(key["scopes"])}
    return _issued_by_the_gateway(claims, _now(), ttl)


def call(api, base: str, method: str, path: str, token: str, **kw):
    return api.http.request(method, base + path, headers=bearer(token), timeout=30, **kw)


def assert_insufficient_scope(response, needed: str) -> None:
    assert response.status_code == 403, (needed, response.status_code, response.text)
    assert problem_type(response) == "insufficient-scope", response.text
    assert response.json()["required_scope"] == needed


def test_GW_03_OR_19_every_operation_declares_the_scope_an_api_key_needs_as_the_gateway_checks_it():
    from gateway.domain.api_keys import required_scope
    from gateway.domain.routes import route

    undeclared, disagreeing = [], []
    for service in SERVICES:
        for path, method, operation in scopes.operations(contracts_dir() / f"{service}.yaml"):
            if path in UNSCOPED or path.startswith("/internal/"):
                continue
            where = f"{service}: {method.upper()} {path}"
            declared = operation.get(scopes.EXTENSION)
            if declared is None:
                undeclared.append(where)
                continue
            assert route(path).service == service, where  # the gateway routes the path to the contract's service
            if declared not in scopes.SCOPES or declared != required_scope(service, method):
                disagreeing.append(f"{where} declares {declared}, the gateway checks {required_scope(service, method)}")
            assert "403" in operation["responses"], f"{where}: the refusal of a key without the scope is undocumented"
    assert not undeclared, f"operations without {scopes.EXTENSION}: {undeclared}"
    assert not disagreeing, disagreeing


def test_GW_03_OR_19_a_captured_key_token_does_no_more_than_its_key_at_any_service(api, stack):
    owner, other = api.customer_with_org(), api.customer_with_org()
    org_id = owner["org_id"]
    key = create_key(api, owner, scopes=["orgs:read"])
    reader = captured_key_token(key, org_id)
    refused = [("GET", "/v1/domains", "domains", "domains:read"),
               ("GET", "/v1/tickets", "tickets", "tickets:read"),
               ("GET", f"/v1/billing/accounts/{org_id}", "billing", "billing:read"),
               ("GET", "/v1/me", "identity", "identity:read"),
               ("GET", "/v1/me/sessions", "identity", "identity:read"),
               ("POST", f"/v1/orgs/{org_id}/resellers", "orgs", "orgs:write"),
               ("PUT", f"/v1/orgs/{org_id}/two-factor-policy", "orgs", "orgs:write")]
    bodies = {"POST": {"reseller_org_id": other["org_id"]}, "PUT": {"required": True}}
    with_key = {"X-API-Key": key["secret"]}
    for method, path, service, needed in refused:
        # the key at the gateway, and its captured token straight at the service: refused alike;
        # the captured token at the gateway does not even pass the door (only people's tokens do)
        assert_insufficient_scope(api.http.request(method, stack.gateway + path, headers=with_key, timeout=30,
                                                   json=bodies.get(method)), needed)
        assert_insufficient_scope(call(api, stack.urls[service], method, path, reader, json=bodies.get(method)), needed)
        assert call(api, stack.gateway, method, path, reader, json=bodies.get(method)).status_code == 401
    for allowed in (api.http.get(f"{stack.gateway}/v1/orgs/{org_id}/members", headers=with_key, timeout=30),
                    call(api, stack.urls["orgs"], "GET", f"/v1/orgs/{org_id}/members", reader)):
        assert allowed.status_code == 200 and [m["user_id"] for m in allowed.json()] == [owner["user_id"]], allowed.text
    # nothing was changed on the way
    assert api.get(f"/v1/orgs/{org_id}/resellers", owner["token"]).json() == []
    assert api.get(f"/v1/orgs/{org_id}", owner["token"]).json()["two_factor_required"] is False

    # a scope to write includes the scope to read; one service's scope opens no other service
    writer = captured_key_token(create_key(api, owner, scopes=["billing:write"]), org_id)
    assert eventually(lambda: call(api, stack.urls["billing"], "GET", f"/v1/billing/accounts/{org_id}", writer).status_code
                      == 200, timeout=30, what="the billing account of the new organization")
    assert_insufficient_scope(call(api, stack.urls["orgs"], "GET", "/v1/orgs", writer), "orgs:read")
    # an internal route declares no scope: closed to API keys even with every scope
    everything = captured_key_token(create_key(api, owner, scopes=list(scopes.SCOPES)), org_id)
    internal = call(api, stack.urls["identity"], "POST", "/internal/refreshes", everything, json={"refresh_token": "x"})
    assert internal.status_code == 403 and problem_type(internal) == "insufficient-scope", internal.text


def test_OR_19_BI_15_a_key_with_billing_read_reads_its_own_organizations_billing_account_only(api):
    owner, stranger = api.customer_with_org(), api.customer_with_org()
    for granted in (["billing:read"], ["billing:write"]):
        secret = create_key(api, owner, scopes=granted)["secret"]
        # billing opens the account once orgs' OrganizationCreated has reached it
        own = eventually(lambda: (r := with_key(api, "GET", f"/v1/billing/accounts/{owner['org_id']}", secret))
                         .status_code == 200 and r, timeout=30, what="the billing account of the new organization")
        assert own.json()["org_id"] == owner["org_id"], (granted, own.text)
        others = with_key(api, "GET", f"/v1/billing/accounts/{stranger['org_id']}", secret)
        assert others.status_code == 404, (granted, others.text)
    no_billing = create_key(api, owner, scopes=["orgs:write"])["secret"]
    refused = with_key(api, "GET", f"/v1/billing/accounts/{owner['org_id']}", no_billing)
    assert refused.status_code == 403 and problem_type(refused) == "insufficient-scope"

    # A reseller's key reads the billing of the customer it acts for in this call, and only that.
    customer = api.customer_with_org()
    linked = api.post(f"/v1/orgs/{customer['org_id']}/resellers", {"reseller_org_id": owner["org_id"]}, customer["token"])
    assert linked.status_code == 201, linked.text
    secret = create_key(api, owner, scopes=["billing:read"])["secret"]
    path = f"/v1/billing/accounts/{customer['org_id']}"
    eventually(lambda: with_key(api, "GET", path, secret, org=customer["org_id"]).status_code == 200, timeout=30,
               what="the reseller link known at the gateway")
    assert with_key(api, "GET", f"/v1/billing/accounts/{owner['org_id']}", secret,
                    org=customer["org_id"]).status_code == 404


@pytest.mark.parametrize("kind", ["customer", "api_key"])
def test_GW_01_a_token_meant_to_live_for_years_is_refused_by_the_gateway_and_every_service(api, stack, kind):
    owner = api.customer_with_org()
    org_id = owner["org_id"]
    if kind == "customer":
        claims = claims_of(owner["token"])
    else:
        key = create_key(api, owner, scopes=list(scopes.SCOPES))
        claims = claims_of(captured_key_token(key, org_id))
    calls = [(stack.gateway, "/v1/orgs"), (stack.gateway, "/v1/api-keys"), (stack.urls["identity"], "/v1/me"),
             (stack.urls["orgs"], "/v1/orgs"), (stack.urls["billing"], f"/v1/billing/accounts/{org_id}"),
             (stack.urls["domains"], "/v1/domains"), (stack.urls["tickets"], "/v1/tickets")]
    for issued_ago in (timedelta(0), timedelta(minutes=1)):
        lasting = _issued_by_the_gateway(claims, _now() - issued_ago, TEN_YEARS)
        for base, path in calls:
            response = call(api, base, "GET", path, lasting)
            assert response.status_code == 401, (base, path, response.status_code, response.text)
            assert "lifetime" in response.json()["detail"], response.text
    # the same claims for as long as an access token lives are accepted
    usual = _issued_by_the_gateway(claims, _now(), timedelta(seconds=300))
    assert call(api, stack.urls["orgs"], "GET", "/v1/orgs", usual).status_code == 200


def test_OR_10_GW_02_an_organizations_2fa_binds_members_whose_token_acts_for_another_organization(
        api, stack, platform_admin):  # noqa: F811
    from tests.test_two_factor import enable_totp

    owner, member, external = api.customer_with_org(), api.customer_with_org(), api.customer_with_org()
    strict = owner["org_id"]
    add_member(api, platform_admin, strict, member, "collaborator")
    add_member(api, platform_admin, strict, external, "external")
    with_own_two_factor(api, owner)  # OR-10: the requester has 2FA first
    require_two_factor(api, owner["token"], strict, switched_to(api, member, strict))

    # The member's token acts for their own organization, which requires nothing.
    as_member = member["token"]
    assert claims_of(as_member)["org"] == member["org_id"] != strict
    paths = (f"/v1/orgs/{strict}", f"/v1/orgs/{strict}/members", f"/v1/orgs/{strict}/resellers")
    for base in (stack.gateway, stack.urls["orgs"]):
        for path in paths:
            response = call(api, base, "GET", path, as_member)
            assert refused_for_two_factor(response), (base, path, response.status_code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        assert refused_for_two_factor(call(api, base, "POST", f"/v1/orgs/{strict}/resellers", as_member,
                                           json={"reseller_org_id": member["org_id"]}))
        assert refused_for_two_factor(call(api, base, "DELETE", f"/v1/orgs/{strict}/members/me", as_member))
        listed = call(api, base, "GET", "/v1/orgs", as_member)
        assert listed.status_code == 200 and [o["id"] for o in listed.json()] == [member["org_id"]], listed.text
    # their own organization stays theirs
    assert api.get(f"/v1/orgs/{member['org_id']}/members", as_member).status_code == 200
    # a sign-in with a second factor is not bound
    assert api.get(f"/v1/orgs/{strict}/members", with_mfa(member)).status_code == 200

    # An external user may leave instead, with a token for any of their organizations.
    left = call(api, stack.gateway, "DELETE", f"/v1/orgs/{strict}/members/me", external["token"])
    assert left.status_code == 204, left.text
    members = api.get(f"/v1/orgs/{strict}/members", with_mfa(owner)).json()
    assert external["user_id"] not in [m["user_id"] for m in members]

    # Once the member sets 2FA up, the token they already hold gets in.
    enable_totp(api, as_member)
    eventually(lambda: api.get(f"/v1/orgs/{strict}/members", as_member).status_code == 200, timeout=30,
               what="orgs learning that the member has 2FA")
    assert strict in [o["id"] for o in api.get("/v1/orgs", as_member).json()]


def test_GW_01_no_token_the_gateway_issues_outlives_an_access_token(stack, monkeypatch):
    """With an access-token lifetime below 2 minutes, the gateway's service and API-key tokens
    are shortened to it (services would refuse them otherwise)."""
    from gateway.adapters.keystore import now
    from gateway.bootstrap import Gateway
    from gateway.domain.api_keys import ApiKey

    monkeypatch.setenv("PORTICO_ACCESS_TOKEN_TTL", "30")
    gateway = Gateway()
    try:
        key, _ = ApiKey.issue(org_id="00000000-0000-4000-8000-000000000000", name="k", scopes=["orgs:read"],
                              rate_limit=None, expires_at=None, created_by="test", now=now())
        for token in (gateway.service_token(), gateway.api_key_token(key, key.org_id)):
            claims = claims_of(token)
            assert claims["exp"] - claims["iat"] <= 30, claims
    finally:
        gateway.service.engine.dispose()


def test_GW_03_a_captured_key_token_is_refused_by_the_gateways_own_endpoints(api):
    owner = api.customer_with_org()
    token = captured_key_token(create_key(api, owner, scopes=list(scopes.SCOPES)), owner["org_id"])
    for method, path in (("POST", "/v1/auth/logout"), ("GET", "/v1/api-keys"), ("POST", "/v1/api-keys")):
        response = call(api, api.base, method, path, token, json={"name": "k", "scopes": ["orgs:write"]})
        assert response.status_code == 401, (path, response.text)  # only people's tokens come in from outside
    assert [k["name"] for k in api.get("/v1/api-keys", owner["token"]).json()] == ["partner integration"]
