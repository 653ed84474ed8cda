"""OR-10 / GW-02: an organization requires 2FA, and the gateway refuses its members without it.

The person who requires it has 2FA on their own account (set up through the API first). Members
are added by a platform administrator and switch to the organization through the gateway; tokens
with a second factor shown are signed with the gateway's own current key, read from its database.
"""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.helpers import bearer, claims_of, eventually, unique_email

STAFF_PASSWORD = "staff password of some length"
TWO_FACTOR_REQUIRED = "https://portico.dev/problems/two-factor-required"
INVALID_PATH = "https://portico.dev/problems/invalid-path"


def sign(claims: dict, issued_ago: timedelta = timedelta(0), **changes) -> str:
    """A token as the gateway would issue it, with some claims changed."""
    from gateway.adapters.keystore import KeyStore, now
    from gateway.adapters import tokens
    from portico_kernel import config, db

    engine = db.make_engine(config.load("gateway").database_url)
    try:
        key = KeyStore(db.make_session_factory(engine)).load().signing_key(now())
    finally:
        engine.dispose()
    return tokens.issue(key, {**claims, **changes}, issuer="portico", audience="portico", now=now() - issued_ago,
                        ttl=timedelta(minutes=5))


def acting_in(person: dict, org_id: str, role: str, amr=("pwd",)) -> str:
    return sign(claims_of(person["token"]), org=org_id, roles=[role], amr=list(amr))


def with_mfa(person: dict) -> str:
    return sign(claims_of(person["token"]), amr=["pwd", "otp", "mfa"])


@pytest.fixture(scope="module")
def platform_admin(api) -> str:
    email = unique_email("platform-admin")
    created = subprocess.run([sys.executable, "-m", "services.identity.entrypoints.admin", "create-staff",
                              "--email", email, "--first-name", "Pia", "--last-name", "Admin", "--role", "platform:admin"],
                             capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PORTICO_ADMIN_PASSWORD": STAFF_PASSWORD})
    assert created.returncode == 0, created.stderr
    return api.login(email, STAFF_PASSWORD)["access_token"]


def add_member(api, admin_token: str, org_id: str, person: dict, role: str) -> None:
    response = api.post(f"/v1/orgs/{org_id}/members", {"user_id": person["user_id"], "role": role}, admin_token)
    assert response.status_code == 201, response.text


def put_policy(api, token: str, org_id: str, required: bool):
    return api.http.put(api.url(f"/v1/orgs/{org_id}/two-factor-policy"), json={"required": required},
                        headers=bearer(token), timeout=30)


def refused_for_two_factor(response) -> bool:
    return response.status_code == 403 and response.json().get("type") == TWO_FACTOR_REQUIRED


def with_own_two_factor(api, person: dict) -> dict:
    """The person sets up 2FA on their account (OR-10: needed before requiring it)."""
    from tests.test_two_factor import enable_totp

    enable_totp(api, person["token"])
    return person


def switched_to(api, person: dict, org_id: str) -> str:
    """The person's token acting for another of their organizations (OR-01)."""
    response = eventually(lambda: (r := api.put("/v1/auth/active-organization", {"org_id": org_id}, person["token"]))
                          .status_code == 200 and r, what="identity knowing the membership")
    return response.json()["access_token"]


def require_two_factor(api, requester_token: str, org_id: str, member_token: str) -> None:
    """The requester (who has 2FA) requires it; the gateway then refuses the member without it."""
    response = eventually(lambda: (r := put_policy(api, requester_token, org_id, True)).status_code == 200 and r,
                          what="orgs knowing that the requester has 2FA")
    assert response.json() == {"required": True}, response.text
    eventually(lambda: refused_for_two_factor(api.get("/v1/orgs", member_token)), timeout=30,
               what="the gateway enforcing the organization's 2FA policy")


def raw_get(base: str, path: str, token: str) -> tuple[int, str | None]:
    """A GET sent exactly as written (HTTP clients resolve dot segments themselves)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path, headers=bearer(token))
        response = connection.getresponse()
        body = response.read()
        problem = json.loads(body).get("type") if response.getheader("content-type", "").endswith("problem+json") else None
        return response.status, problem
    finally:
        connection.close()


def publish_two_factor_status(user_id: str, enabled: bool) -> None:
    from portico_kernel import bus, config
    from portico_kernel.events import Envelope

    envelope = Envelope(type="TwoFactorStatusChanged", producer="identity",
                        payload={"user_id": user_id, "enabled": enabled, "methods": ["totp"] if enabled else []})
    publisher = bus.Publisher(config.load("identity"))
    try:
        publisher.publish(envelope.to_dict(), envelope.routing_key)
    finally:
        publisher.close()


def test_OR_10_GW_02_members_without_2fa_are_refused_but_may_read_their_profile_and_set_2fa_up(api, platform_admin):
    owner, colleague = with_own_two_factor(api, api.customer_with_org()), api.customer_with_org()
    org_id = owner["org_id"]
    add_member(api, platform_admin, org_id, colleague, "administrator")  # who could otherwise manage API keys
    member = {**colleague, "token": switched_to(api, colleague, org_id)}
    assert api.get(f"/v1/orgs/{org_id}", member["token"]).json()["two_factor_required"] is False
    require_two_factor(api, owner["token"], org_id, member["token"])

    for path in ("/v1/orgs", f"/v1/orgs/{org_id}/members", f"/v1/billing/accounts/{org_id}"):
        response = api.get(path, member["token"])
        assert refused_for_two_factor(response), (path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert refused_for_two_factor(api.post("/v1/api-keys", {"name": "k", "scopes": ["orgs:read"]}, member["token"]))
    # Dot segments would be resolved on the way to identity: the gateway refuses them before any exemption.
    assert raw_get(api.base, "/v1/me/two-factor/../sessions", member["token"]) == (400, INVALID_PATH)
    assert api.get("/v1/me", member["token"]).status_code == 200
    assert not refused_for_two_factor(api.get("/v1/me/two-factor", member["token"]))
    assert not refused_for_two_factor(api.post("/v1/me/two-factor/totp", {}, member["token"]))
    assert api.post("/v1/auth/logout", token=api.login(member["email"])["access_token"]).status_code == 204

    # Signed in with a second factor, or through an app password (desktop and mobile apps): unaffected.
    assert api.get("/v1/orgs", with_mfa(member)).status_code == 200
    assert api.get("/v1/orgs", sign(claims_of(member["token"]), amr=["app"])).status_code == 200
    assert api.get(f"/v1/orgs/{org_id}", with_mfa(member)).json()["two_factor_required"] is True
    # The requester, who has 2FA, is not locked out and can lift the requirement again.
    assert api.get(f"/v1/orgs/{org_id}", owner["token"]).status_code == 200

    assert put_policy(api, owner["token"], org_id, False).status_code == 200
    eventually(lambda: api.get("/v1/orgs", member["token"]).status_code == 200, timeout=30,
               what="the policy lifted at the gateway")


def test_OR_10_GW_02_a_person_who_sets_up_2fa_gets_through(api, platform_admin):
    owner, colleague = with_own_two_factor(api, api.customer_with_org()), api.customer_with_org()
    add_member(api, platform_admin, owner["org_id"], colleague, "collaborator")
    token = switched_to(api, colleague, owner["org_id"])
    require_two_factor(api, owner["token"], owner["org_id"], token)
    publish_two_factor_status(colleague["user_id"], True)
    eventually(lambda: api.get("/v1/orgs", token).status_code == 200, timeout=30,
               what="the gateway learning that the person has 2FA")
    publish_two_factor_status(colleague["user_id"], False)
    eventually(lambda: refused_for_two_factor(api.get("/v1/orgs", token)), timeout=30,
               what="the gateway learning that the person removed 2FA")


def test_OR_10_the_policy_event_names_the_organization_and_who_changed_it(api):
    from tests.bus_tap import Tap

    tap = Tap(f"two-factor-{uuid.uuid4().hex[:6]}")
    try:
        owner = with_own_two_factor(api, api.customer_with_org())
        eventually(lambda: put_policy(api, owner["token"], owner["org_id"], True).status_code == 200,
                   what="orgs knowing that the owner has 2FA")
        event = tap.wait_for(lambda body: body["type"] == "TwoFactorPolicyChanged"
                             and body["payload"]["org_id"] == owner["org_id"])["body"]
        assert event["payload"] == {"org_id": owner["org_id"], "required": True, "changed_by": owner["user_id"]}
    finally:
        tap.close()


def test_OR_10_only_administrators_and_legal_representatives_set_the_policy(api, platform_admin):
    owner, colleague, administrator, stranger = (api.customer_with_org() for _ in range(4))
    org_id = owner["org_id"]
    add_member(api, platform_admin, org_id, colleague, "collaborator")
    add_member(api, platform_admin, org_id, administrator, "administrator")

    refused = put_policy(api, switched_to(api, colleague, org_id), org_id, True)
    assert refused.status_code == 403, refused.text
    assert put_policy(api, stranger["token"], org_id, True).status_code == 404
    with_own_two_factor(api, administrator)
    as_administrator = switched_to(api, administrator, org_id)
    allowed = eventually(lambda: (r := put_policy(api, as_administrator, org_id, True)).status_code == 200 and r,
                         what="orgs knowing that the administrator has 2FA")
    assert allowed.json() == {"required": True}


def test_OR_03_members_are_added_only_by_platform_administrators(api, platform_admin):
    owner, other = api.customer_with_org(), api.customer_with_org()
    response = api.post(f"/v1/orgs/{owner['org_id']}/members", {"user_id": other["user_id"], "role": "collaborator"},
                        owner["token"])
    assert response.status_code == 403
    add_member(api, platform_admin, owner["org_id"], other, "collaborator")
    again = api.post(f"/v1/orgs/{owner['org_id']}/members", {"user_id": other["user_id"], "role": "external"},
                     platform_admin)
    assert again.status_code == 409
    unknown = api.post(f"/v1/orgs/{owner['org_id']}/members", {"user_id": str(uuid.uuid4()), "role": "external"},
                       platform_admin)
    assert unknown.status_code == 404
    members = api.get(f"/v1/orgs/{owner['org_id']}/members", owner["token"]).json()
    assert {m["user_id"]: m["role"] for m in members} == {owner["user_id"]: "legal_representative",
                                                        other["user_id"]: "collaborator"}


def test_OR_10_an_external_user_may_leave_instead_of_setting_up_2fa(api, platform_admin):
    owner, external, colleague = with_own_two_factor(api, api.customer_with_org()), api.customer_with_org(), api.customer_with_org()
    org_id = owner["org_id"]
    add_member(api, platform_admin, org_id, external, "external")
    add_member(api, platform_admin, org_id, colleague, "collaborator")
    as_external = switched_to(api, external, org_id)
    as_colleague = switched_to(api, colleague, org_id)
    require_two_factor(api, owner["token"], org_id, as_external)

    assert refused_for_two_factor(api.get(f"/v1/orgs/{org_id}", as_external))
    assert refused_for_two_factor(api.http.delete(api.url(f"/v1/orgs/{org_id}/members/me"), headers=bearer(as_colleague)))

    left = api.http.delete(api.url(f"/v1/orgs/{org_id}/members/me"), headers=bearer(as_external), timeout=30)
    assert left.status_code == 204, left.text
    members = api.get(f"/v1/orgs/{org_id}/members", with_mfa(owner)).json()
    assert external["user_id"] not in [m["user_id"] for m in members]
    eventually(lambda: org_id not in [o["org_id"] for o in api.get("/v1/me", external["token"]).json()["organizations"]],
               what="identity dropping the membership (MemberLeft)")


def test_OR_09_the_last_legal_representative_cannot_leave(api):
    owner = api.customer_with_org()
    response = api.http.delete(api.url(f"/v1/orgs/{owner['org_id']}/members/me"), headers=bearer(owner["token"]), timeout=30)
    assert response.status_code == 409
    assert response.json()["type"] == "https://portico.dev/problems/last-legal-representative"
