"""GW-01: the gateway issues short-lived EdDSA tokens; services verify them locally and refuse
anything else with 401 problem+json. Refresh tokens rotate; signing keys rotate without signing
anyone out."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portico_kernel.auth import TokenVerifier
from tests.helpers import bearer, claims_of, eventually, problem


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict, claims: dict, sign) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def jwks(api) -> dict:
    response = api.get("/.well-known/jwks.json")
    assert response.status_code == 200
    return response.json()


def assert_401(response):
    return problem(response, 401)


def test_GW_01_access_token_is_a_short_lived_eddsa_jwt_with_the_claims(api):
    customer = api.customer_with_org()
    token = customer["token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    keys = {key["kid"]: key for key in jwks(api)["keys"]}
    assert header["kid"] in keys and keys[header["kid"]]["crv"] == "Ed25519"
    claims = jwt.decode(token, key=jwt.PyJWK(keys[header["kid"]]), algorithms=["EdDSA"], audience="portico")
    assert {"sub", "org", "roles", "amr", "iat", "exp", "jti"} <= set(claims)
    assert claims["sub"] == customer["user_id"] and claims["org"] == customer["org_id"]
    assert claims["roles"] == ["legal_representative"] and claims["amr"] == ["pwd"]
    assert 0 < claims["exp"] - claims["iat"] <= 900
    assert customer["tokens"]["expires_in"] == claims["exp"] - claims["iat"]


def test_GW_01_refresh_tokens_rotate_and_a_spent_one_revokes_the_session(api):
    customer = api.customer_with_org()
    first = customer["tokens"]["refresh_token"]
    second = api.post("/v1/auth/refresh", {"refresh_token": first})
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first
    assert claims_of(renewed["access_token"])["sid"] == claims_of(customer["token"])["sid"]

    reused = assert_401(api.post("/v1/auth/refresh", {"refresh_token": first}))
    assert reused["type"].endswith("/refresh-token-reused")
    # The whole session has ended: the newest refresh token no longer works either.
    assert_401(api.post("/v1/auth/refresh", {"refresh_token": renewed["refresh_token"]}))


def test_GW_01_logout_ends_the_session(api):
    customer = api.customer_with_org()
    assert api.post("/v1/auth/logout", token=customer["token"]).status_code == 204
    assert_401(api.post("/v1/auth/refresh", {"refresh_token": customer["tokens"]["refresh_token"]}))


def test_wrong_password_and_unknown_email_answer_alike(api):
    customer = api.customer_with_org()
    wrong = assert_401(api.post("/v1/auth/login", {"email": customer["email"], "password": "not the password at all"}))
    unknown = assert_401(api.post("/v1/auth/login", {"email": "nobody-" + customer["email"], "password": "whatever it is"}))
    assert {**wrong, "instance": None} == {**unknown, "instance": None}  # each names its own request


@pytest.fixture(scope="module")
def victim(api):
    return api.customer_with_org()


def _service_calls(stack):
    return [("gateway", stack.gateway + "/v1/orgs"), ("orgs", stack.urls["orgs"] + "/v1/orgs"),
            ("identity", stack.urls["identity"] + "/v1/me"), ("billing", stack.urls["billing"] + "/v1/billing/accounts/00000000-0000-4000-8000-000000000000")]


def _bad_tokens(victim, jwks_keys) -> dict[str, str]:
    token = victim["token"]
    header = jwt.get_unverified_header(token)
    claims = claims_of(token)
    public = jwks_keys[header["kid"]]
    raw_public = base64.urlsafe_b64decode(public["x"] + "==")
    public_pem = serialization.load_der_public_key(
        b"0*0\x05\x06\x03+ep\x03!\x00" + raw_public).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    head, body, signature = token.split(".")
    other_org = {**claims, "org": "00000000-0000-4000-8000-000000000000"}
    stranger = Ed25519PrivateKey.generate()
    expired = {**claims, "iat": int(time.time()) - 4000, "exp": int(time.time()) - 3600}
    return {
        "alg none": forge({"alg": "none", "typ": "JWT", "kid": header["kid"]}, claims, lambda _: b""),
        "HS256 signed with the public key (raw)": forge({"alg": "HS256", "typ": "JWT", "kid": header["kid"]}, claims,
                                                        lambda data: hmac.new(raw_public, data, hashlib.sha256).digest()),
        "HS256 signed with the public key (PEM)": forge({"alg": "HS256", "typ": "JWT", "kid": header["kid"]}, claims,
                                                        lambda data: hmac.new(public_pem, data, hashlib.sha256).digest()),
        "tampered claims": f"{head}.{b64(json.dumps(other_org).encode())}.{signature}",
        "signed by a stranger's key under our kid": forge({"alg": "EdDSA", "typ": "JWT", "kid": header["kid"]}, claims, stranger.sign),
        "expired (stranger-signed)": forge({"alg": "EdDSA", "typ": "JWT", "kid": header["kid"]}, expired, stranger.sign),
        "garbage": "not.a.token",
    }


def test_GW_01_services_and_gateway_refuse_forged_and_missing_tokens(api, stack, victim):
    keys = {key["kid"]: key for key in jwks(api)["keys"]}
    for where, url in _service_calls(stack):
        assert_401(api.http.get(url, timeout=10))
        for name, token in _bad_tokens(victim, keys).items():
            body = assert_401(api.http.get(url, headers=bearer(token), timeout=10))
            assert body["detail"], (where, name)


def _issued_by_the_gateway(claims: dict, issued_at, ttl) -> str:
    """A token signed with the gateway's own current key (read from its database)."""
    from portico_kernel import config, db
    from gateway.adapters.keystore import KeyStore, now
    from gateway.adapters import tokens

    engine = db.make_engine(config.load("gateway").database_url)
    key = KeyStore(db.make_session_factory(engine)).load().signing_key(now())
    engine.dispose()
    return tokens.issue(key, claims, issuer="portico", audience="portico", now=issued_at, ttl=ttl)


def test_GW_01_expired_token_is_refused_everywhere(api, stack, victim):
    from gateway.adapters.keystore import now

    expired = _issued_by_the_gateway(claims_of(victim["token"]), now() - timedelta(hours=1), timedelta(minutes=5))
    for _, url in _service_calls(stack):
        assert "expired" in assert_401(api.http.get(url, headers=bearer(expired), timeout=10))["detail"]


def test_GW_01_a_token_accepted_before_is_refused_once_it_expires(api, stack, victim):
    """Gateway and services keep the claims of tokens they have verified; expiry still ends them."""
    from gateway.adapters.keystore import now

    short_lived = _issued_by_the_gateway(claims_of(victim["token"]), now(), timedelta(seconds=2))
    for where, url in _service_calls(stack):
        assert api.http.get(url, headers=bearer(short_lived), timeout=10).status_code != 401, where

    time.sleep(2 + TokenVerifier.LEEWAY + 1)

    for _, url in _service_calls(stack):
        assert "expired" in assert_401(api.http.get(url, headers=bearer(short_lived), timeout=10))["detail"]


def test_GW_01_signing_key_rotates_without_signing_anyone_out(api, stack):
    before = api.customer_with_org()
    old_kid = jwt.get_unverified_header(before["token"])["kid"]
    rotated = subprocess.run([sys.executable, "-m", "gateway.entrypoints.keys", "rotate", "--publish-ahead", "0"],
                             capture_output=True, text=True, env=os.environ, timeout=60)
    assert rotated.returncode == 0, rotated.stderr
    after = eventually(lambda: (t := api.login(before["email"])) and jwt.get_unverified_header(t["access_token"])["kid"] != old_kid and t,
                       timeout=30, what="tokens signed with the new key")
    new_kid = jwt.get_unverified_header(after["access_token"])["kid"]
    assert {old_kid, new_kid} <= {key["kid"] for key in jwks(api)["keys"]}
    for token in (before["token"], after["access_token"]):  # the old token still works; the new one is known at once
        for path in ("/v1/orgs", "/v1/me"):
            assert api.get(path, token).status_code == 200
        assert api.get(f"/v1/billing/accounts/{before['org_id']}", token).status_code == 200


def test_GW_04_unknown_paths_are_answered_with_problems(api, victim):
    response = api.get("/v1/nothing-here", victim["token"])
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
