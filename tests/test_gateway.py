"""The gateway's checks of tokens (GW-01), as callers meet them at the gateway and at a service
reached directly: forged, expired and tampered tokens, and tokens for another organization."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import jwt
import pytest

from tests.helpers import bearer, claims_of
from tests.test_org_two_factor import sign


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
