"""OR-19 / GW-03: partners, resellers and agencies call the API with API keys."""
from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import bearer, eventually
from tests.test_org_two_factor import acting_in

PROBLEMS = "https://portico.dev/problems/"


def create_key(api, owner: dict, **fields) -> dict:
    body = {"name": "partner integration", "scopes": ["orgs:read"], **fields}
    response = api.post("/v1/api-keys", body, owner["token"])
    assert response.status_code == 201, response.text
    return response.json()


def with_key(api, method: str, path: str, secret: str, header: str = "authorization", org: str | None = None, **kw):
    headers = {"Authorization": f"Bearer {secret}"} if header == "authorization" else {"X-API-Key": secret}
    if org:
        headers["X-Portico-Org"] = org
    return api.http.request(method, api.url(path), headers=headers, timeout=30, **kw)


def problem_type(response) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    return response.json()["type"].removeprefix(PROBLEMS)


@pytest.fixture(scope="module")
def owner(api):
    return api.customer_with_org()


def test_OR_19_GW_03_a_key_is_shown_once_stored_hashed_and_acts_for_its_organization(api, owner):
    key = create_key(api, owner, scopes=["orgs:read", "billing:read"])
    secret = key.pop("secret")
    assert secret.startswith(f"pk_{key['prefix']}_") and key["org_id"] == owner["org_id"]
    assert key["rate_limit_per_minute"] == 600 and key["revoked_at"] is None
    listed = api.get("/v1/api-keys", owner["token"]).json()
    assert key in listed and all("secret" not in k for k in listed)

    from portico_kernel import config, db
    from sqlalchemy import text

    engine = db.make_engine(config.load("gateway").database_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": key["id"]}).mappings().one()
    engine.dispose()
    assert row["secret_hash"] == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    assert not any(secret.split("_", 2)[2] in str(value) for value in row.values())

    for header in ("authorization", "x-api-key"):
        response = with_key(api, "GET", f"/v1/orgs/{owner['org_id']}", secret, header)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == owner["org_id"] and response.json()["my_role"] is None
    assert [o["id"] for o in with_key(api, "GET", "/v1/orgs", secret).json()] == [owner["org_id"]]


def test_OR_19_only_administrators_and_legal_representatives_manage_keys(api, owner):
    colleague = acting_in(owner, owner["org_id"], "collaborator")
    assert api.post("/v1/api-keys", {"name": "x", "scopes": ["orgs:read"]}, colleague).status_code == 403
    assert api.get("/v1/api-keys", colleague).status_code == 403
    unknown_scope = api.post("/v1/api-keys", {"name": "x", "scopes": ["orgs:admin"]}, owner["token"])
    assert unknown_scope.status_code == 400
    past = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
    assert api.post("/v1/api-keys", {"name": "x", "scopes": ["orgs:read"], "expires_at": past}, owner["token"]).status_code == 400
    other = api.customer_with_org()
    key = create_key(api, owner)
    assert api.http.delete(api.url(f"/v1/api-keys/{key['id']}"), headers=bearer(other["token"])).status_code == 404


def test_GW_03_a_revoked_key_is_refused(api, owner):
    key = create_key(api, owner)
    assert with_key(api, "GET", "/v1/orgs", key["secret"]).status_code == 200
    assert api.http.delete(api.url(f"/v1/api-keys/{key['id']}"), headers=bearer(owner["token"])).status_code == 204
    refused, = eventually(lambda: (r := with_key(api, "GET", "/v1/orgs", key["secret"])).status_code == 401 and [r],
                          timeout=10, what="the revoked key refused")  # a 4xx Response is falsy, hence the list
    assert problem_type(refused) == "invalid-api-key"
    listed = {k["id"]: k for k in api.get("/v1/api-keys", owner["token"]).json()}
    assert listed[key["id"]]["revoked_at"] is not None


def test_GW_03_an_expired_key_is_refused(api, owner):
    expires = datetime.now(timezone.utc) + timedelta(seconds=3)
    key = create_key(api, owner, expires_at=expires.isoformat().replace("+00:00", "Z"))
    assert with_key(api, "GET", "/v1/orgs", key["secret"]).status_code == 200
    time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 0.5)
    refused = with_key(api, "GET", "/v1/orgs", key["secret"])
    assert refused.status_code == 401 and problem_type(refused) == "invalid-api-key"
    assert "expired" in refused.json()["detail"]


def test_GW_03_unknown_and_forged_keys_are_refused(api, owner):
    key = create_key(api, owner)
    prefix = key["prefix"]
    for forged in (f"pk_{prefix}_not-the-secret", "pk_000000000000_whatever", "pk_", key["secret"] + "x"):
        response = with_key(api, "GET", "/v1/orgs", forged)
        assert response.status_code == 401 and problem_type(response) == "invalid-api-key", forged


def test_GW_03_a_key_without_the_write_scope_is_refused_on_post(api, owner):
    reader = create_key(api, owner, scopes=["orgs:read"])
    refused = with_key(api, "POST", f"/v1/orgs/{owner['org_id']}/resellers", reader["secret"],
                       json={"reseller_org_id": owner["org_id"]})
    assert refused.status_code == 403 and problem_type(refused) == "insufficient-scope"
    assert refused.json()["required_scope"] == "orgs:write"
    other_service = with_key(api, "GET", f"/v1/billing/accounts/{owner['org_id']}", reader["secret"])
    assert other_service.status_code == 403 and problem_type(other_service) == "insufficient-scope"
    writer = create_key(api, owner, scopes=["orgs:write"])
    assert with_key(api, "GET", f"/v1/orgs/{owner['org_id']}", writer["secret"]).status_code == 200  # write includes read
    passed = with_key(api, "POST", f"/v1/orgs/{owner['org_id']}/resellers", writer["secret"],
                      json={"reseller_org_id": owner["org_id"]})
    assert problem_type(passed) != "insufficient-scope"  # the service answers for itself


def test_OR_19_GW_03_a_reseller_key_acts_for_managed_organizations_only(api):
    reseller, customer, stranger = api.customer_with_org(), api.customer_with_org(), api.customer_with_org()
    key = create_key(api, reseller)
    before = with_key(api, "GET", f"/v1/orgs/{customer['org_id']}", key["secret"], org=customer["org_id"])
    assert before.status_code == 403 and problem_type(before) == "not-a-managed-organization"

    colleague = acting_in(reseller, customer["org_id"], "administrator")
    assert api.post(f"/v1/orgs/{customer['org_id']}/resellers", {"reseller_org_id": reseller["org_id"]},
                    colleague).status_code in (403, 404)  # not the customer's legal representative
    linked = api.post(f"/v1/orgs/{customer['org_id']}/resellers", {"reseller_org_id": reseller["org_id"]}, customer["token"])
    assert linked.status_code == 201, linked.text
    assert [link["reseller_org_id"] for link in api.get(f"/v1/orgs/{customer['org_id']}/resellers", customer["token"]).json()] \
        == [reseller["org_id"]]

    managed = eventually(lambda: (r := with_key(api, "GET", f"/v1/orgs/{customer['org_id']}", key["secret"],
                                                org=customer["org_id"])).status_code == 200 and r,
                         timeout=30, what="the reseller link known at the gateway")
    assert managed.json()["id"] == customer["org_id"]
    members = with_key(api, "GET", f"/v1/orgs/{customer['org_id']}/members", key["secret"], org=customer["org_id"])
    assert [m["user_id"] for m in members.json()] == [customer["user_id"]]
    # The key acts for one organization per call: the customer's, not its own, and no other.
    assert with_key(api, "GET", f"/v1/orgs/{reseller['org_id']}", key["secret"], org=customer["org_id"]).status_code == 404
    other = with_key(api, "GET", f"/v1/orgs/{stranger['org_id']}", key["secret"], org=stranger["org_id"])
    assert other.status_code == 403 and problem_type(other) == "not-a-managed-organization"

    unlinked = api.http.delete(api.url(f"/v1/orgs/{customer['org_id']}/resellers/{reseller['org_id']}"),
                               headers=bearer(customer["token"]), timeout=30)
    assert unlinked.status_code == 204
    eventually(lambda: with_key(api, "GET", f"/v1/orgs/{customer['org_id']}", key["secret"],
                                org=customer["org_id"]).status_code == 403, timeout=30, what="the unlink known at the gateway")


def test_GW_03_rate_limit_answers_429_with_retry_after(api, owner):
    key = create_key(api, owner, rate_limit_per_minute=3)
    statuses = [with_key(api, "GET", "/v1/orgs", key["secret"]).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = with_key(api, "GET", "/v1/orgs", key["secret"])
    assert limited.status_code == 429 and problem_type(limited) == "rate-limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 20
    other = create_key(api, owner, rate_limit_per_minute=3)  # each key has its own allowance
    assert with_key(api, "GET", "/v1/orgs", other["secret"]).status_code == 200
