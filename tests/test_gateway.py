"""The gateway as the only door (GW-01): its checks of tokens, as callers meet them at the gateway
and at a service reached directly (forged, expired and tampered tokens, tokens for another
organization, the gateway's own internal tokens brought from outside); the paths it routes; and
the caller's address it believes (ID-02, ID-03)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
import pytest

from tests.helpers import PASSWORD, Device, bearer, claims_of, device, new_network, unique_email
from tests.test_org_two_factor import sign
from tests.test_tokens import _issued_by_the_gateway


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict, claims: dict, signer) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(signer(signing_input.encode()))}"


@pytest.fixture(scope="module")
def person(api):
    return api.customer_with_org()


def _bad_tokens(api, person) -> dict[str, str]:
    token = person["token"]
    kid = jwt.get_unverified_header(token)["kid"]
    public = next(k for k in api.get("/.well-known/jwks.json").json()["keys"] if k["kid"] == kid)
    raw_public = base64.urlsafe_b64decode(public["x"] + "==")
    claims = claims_of(token)
    head, body, signature = token.split(".")
    return {
        "alg none": _forge({"alg": "none", "typ": "JWT", "kid": kid}, claims, lambda _: b""),
        "HS256 signed with the public key": _forge({"alg": "HS256", "typ": "JWT", "kid": kid}, claims,
                                                   lambda data: hmac.new(raw_public, data, hashlib.sha256).digest()),
        "expired": sign(claims, issued_ago=timedelta(hours=1)),
        "tampered": f"{head}.{_b64(json.dumps({**claims, 'roles': ['administrator']}).encode())}.{signature}",
    }


def test_GW_01_forged_expired_and_tampered_tokens_are_refused_by_the_gateway_and_by_a_service(api, stack, person):
    for where in (stack.gateway, stack.urls["orgs"]):
        assert api.http.get(f"{where}/v1/orgs", headers=bearer(person["token"]), timeout=10).status_code == 200
        for name, token in _bad_tokens(api, person).items():
            response = api.http.get(f"{where}/v1/orgs", headers=bearer(token), timeout=10)
            assert response.status_code == 401, (where, name, response.text)
            assert response.headers["content-type"].startswith("application/problem+json"), (where, name)


def test_GW_01_a_token_for_another_organization_reaches_nothing_of_it(api, stack, person):
    other = api.customer_with_org()
    for where in (stack.gateway, stack.urls["orgs"]):
        for path in (f"/v1/orgs/{other['org_id']}", f"/v1/orgs/{other['org_id']}/members"):
            assert api.http.get(where + path, headers=bearer(person["token"]), timeout=10).status_code == 404
    assert api.get(f"/v1/billing/accounts/{other['org_id']}", person["token"]).status_code == 404
    # Naming the other organization in the token is not enough: orgs checks membership itself.
    claimed = sign(claims_of(person["token"]), org=other["org_id"], roles=["legal_representative"])
    assert api.get(f"/v1/orgs/{other['org_id']}", claimed).status_code == 404


def test_GW_03_an_api_key_is_refused_directly_at_a_service(api, stack, person):
    created = api.post("/v1/api-keys", {"name": "direct", "scopes": ["orgs:read"]}, person["token"]).json()
    response = api.http.get(f"{stack.urls['orgs']}/v1/orgs", headers=bearer(created["secret"]), timeout=10)
    assert response.status_code == 401  # services accept only the gateway's tokens


# --------------------------------------------------------------------------------------------
# Paths (GW-01): only normalized paths are routed, and never to a service's /internal/* routes
# --------------------------------------------------------------------------------------------

def send_raw(base: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    """A request whose path is sent exactly as written: HTTP clients resolve dot segments themselves."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Content-Type": "application/json", **(bearer(token) if token else {})}
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("content-type", ""), response.read()
    finally:
        connection.close()


# The ways a path could end somewhere else than it says once a server behind the gateway, or the
# gateway's own HTTP client, resolves it.
PATH_TRICKS = (
    "/v1/me/../../internal/users",
    "/v1/me/./../../internal/users",
    "/v1/me/%2e%2e/%2e%2e/internal/users",
    "/v1/me/%2E%2E/%2E%2E/internal/users",
    "/v1/me/.%2e/%2E./internal/users",
    "/v1/me/..%2f..%2finternal%2fusers",
    "/v1/me%2F..%2F..%2Finternal%2Fusers",
    "/v1/me/..%5c..%5cinternal%5cusers",
    "/v1/me/..\\..\\internal\\users",
    "/v1/me/%252e%252e/%252e%252e/internal/users",
    "/v1/me//../../internal/users",
    "/v1/me/%00/../../internal/users",
)


def assert_invalid_path(status: int, content_type: str, body: bytes, path: str) -> None:
    assert status == 400, (path, status, body[:300])
    assert content_type.startswith("application/problem+json"), (path, content_type)
    problem = json.loads(body)
    assert problem["type"] == "https://portico.dev/problems/invalid-path", (path, problem)
    assert [p["name"] for p in problem["invalid_params"]] == ["path"]


def test_GW_01_path_tricks_with_a_captured_gateway_token_create_no_user(api, stack):
    """An attacker who captured the gateway's own service token and hides identity's internal
    sign-up behind dot-segments or encoded slashes: refused at the door, nobody is created."""
    from gateway.adapters.keystore import now

    service_token = _issued_by_the_gateway({"sub": "gateway", "kind": "service", "org": None, "roles": ["service"],
                                            "amr": []}, now(), timedelta(minutes=2))
    for path in PATH_TRICKS:
        email = unique_email("smuggled")
        body = {"email": email, "password": PASSWORD, "first_name": "Mallory", "last_name": "Smuggler"}
        assert_invalid_path(*send_raw(api.base, "POST", path, service_token, body), path)
        # Nobody has that login: signing up with it is still possible.
        api.signup(email=email)


def test_GW_01_path_tricks_are_refused_before_any_token_check(api, stack):
    person = api.customer_with_org()
    for path in (*PATH_TRICKS, "/v1/orgs/../me", "/v1/me/two-factor/../sessions", "/v1/me/%0d%0aX-Injected:%20yes",
                 "/v1/me/%ff", "/v1/auth/../me"):
        for token in (person["token"], None):
            assert_invalid_path(*send_raw(api.base, "GET", path, token), path)
    # The internal routes are not in the gateway's route table at all.
    status, content_type, _ = send_raw(api.base, "POST", "/internal/users", person["token"], {})
    assert status == 404 and content_type.startswith("application/problem+json")
    # Normalized paths, percent-encoded or not, are routed as before.
    assert send_raw(api.base, "GET", "/v1/me", person["token"])[0] == 200
    assert send_raw(api.base, "GET", f"/v1/orgs/{person['org_id']}", person["token"])[0] == 200
    assert send_raw(api.base, "GET", "/v1/%6De", person["token"])[0] == 200  # %6D is "m": /v1/me
    # An encoded "?" stays part of the path the service is asked for; it does not become a query.
    assert send_raw(api.base, "GET", f"/v1/orgs/{person['org_id']}%3F", person["token"])[0] in (400, 404)


# --------------------------------------------------------------------------------------------
# Internal tokens (GW-01): the gateway mints them for the services; it never takes them from outside
# --------------------------------------------------------------------------------------------

def test_GW_01_internal_tokens_brought_from_outside_are_refused(api, stack):
    """Tokens of kind api_key and service are the gateway's own, for the services: a captured one
    does not open the door."""
    from gateway.adapters.keystore import now

    person = api.customer_with_org()
    created = api.post("/v1/api-keys", {"name": "captured", "scopes": ["orgs:read", "billing:read"]}, person["token"])
    assert created.status_code == 201, created.text
    captured = {
        "api_key": _issued_by_the_gateway({"sub": created.json()["id"], "kind": "api_key", "org": person["org_id"],
                                           "roles": [], "amr": [], "scope": "orgs:read billing:read"},
                                          now(), timedelta(minutes=2)),
        "service": _issued_by_the_gateway({"sub": "gateway", "kind": "service", "org": None, "roles": ["service"],
                                           "amr": []}, now(), timedelta(minutes=2)),
    }
    for path in ("/v1/orgs", f"/v1/orgs/{person['org_id']}", "/v1/me", "/v1/api-keys"):  # routed, and the gateway's own
        assert api.get(path, person["token"]).status_code == 200, path
        for kind, token in captured.items():
            response = api.get(path, token)
            assert response.status_code == 401, (kind, path, response.status_code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"].startswith("Bearer")
    # The API key itself still works: the gateway swaps it for the internal token on the way in.
    assert api.http.get(api.url("/v1/orgs"), headers={"X-API-Key": created.json()["secret"]},
                        timeout=30).status_code == 200


# --------------------------------------------------------------------------------------------
# The caller's address (ID-02, ID-03): X-Forwarded-For counts only from a proxy named in
# FORWARDED_ALLOW_IPS, and none is named by default
# --------------------------------------------------------------------------------------------

SPOOFED = "203.0.113.77"


def from_this_machine(stack, user_agent: str, claimed: str) -> Device:
    """A client on 127.0.0.1, the address gunicorn and uvicorn believe by default, naming another
    address as the caller."""
    client = Device(stack.gateway, "127.0.0.1", user_agent)
    client.http.headers["X-Forwarded-For"] = claimed
    return client


def test_ID_02_a_spoofed_x_forwarded_for_is_not_the_address_of_sessions_and_activity(api, stack):
    person = api.signup(email=unique_email("spoof"))
    client = from_this_machine(stack, "SpoofingBrowser/1.0", SPOOFED)
    signed_in = client.login(person["email"])
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    assert client.login(person["email"], "not the password").status_code == 401

    sessions = api.get("/v1/me/sessions", token).json()
    assert [s["place"] for s in sessions if s["device"] == "SpoofingBrowser/1.0"] == ["127.0.0.1"]
    activity = api.get("/v1/me/activity", token).json()
    assert {(a["kind"], a["ip_address"]) for a in activity} >= {("sign-in", "127.0.0.1"), ("wrong-password", "127.0.0.1")}
    assert SPOOFED not in json.dumps([sessions, activity])


def test_ID_03_a_spoofed_x_forwarded_for_does_not_lift_the_wait(api, stack):
    """The right password from the owner's known network signs in during the wait; naming that
    network in a header does not make a guesser elsewhere part of it."""
    person = api.signup(email=unique_email("spoof"))
    home = new_network()
    assert device(stack, home, host=20).login(person["email"]).status_code == 200
    guesser = device(stack)
    for attempt in range(6):
        guesser.login(person["email"], f"guess {attempt}")
    assert guesser.login(person["email"], PASSWORD).status_code == 429

    claiming_home = from_this_machine(stack, "Guesser/1.0", f"{home}.66")
    refused = claiming_home.login(person["email"])
    assert refused.status_code == 429, refused.text
    assert refused.json()["type"].endswith("/too-many-sign-ins")
    # The owner, really at home, still gets in.
    assert device(stack, home, host=21).login(person["email"]).status_code == 200
