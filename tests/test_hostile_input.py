"""Errors are answers: no request, however malformed, gets a 5xx or an answer outside the contract,
and nothing of a refused value is echoed or logged beyond a short, escaped excerpt.

The fuzzing test runs schemathesis over every operation of every contract, through the gateway,
as a signed-in person with 2FA (so that an organization's 2FA policy, which the fuzzer may switch
on, does not end the run early). Its budget is bounded: PORTICO_FUZZ_EXAMPLES examples per
operation (default 6) with a fixed seed (PORTICO_FUZZ_SEED), so a failure can be replayed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest

from tests.helpers import PASSWORD, bearer, claims_of, eventually, problem, unique_email

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ("gateway", "identity", "orgs", "billing", "domains", "tickets", "notifications")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,"
          "allow_header_conformance,ignored_auth")


class FuzzPerson:
    """A customer with an authenticator app, who can always get a fresh access token."""

    def __init__(self, api):
        self.api = api
        self.email = unique_email("fuzz")
        api.signup(email=self.email)
        tokens = eventually(lambda: _with_org(api.login(self.email)), what="the fuzz person's organization")
        started = api.post("/v1/me/two-factor/totp", token=tokens["access_token"])
        assert started.status_code in (200, 201), started.text
        self.totp = pyotp.TOTP(started.json()["secret"])
        confirmed = api.post("/v1/me/two-factor/totp/confirm", {"code": self.totp.now()}, tokens["access_token"])
        assert confirmed.status_code == 200, confirmed.text
        self.recovery_codes = list(confirmed.json()["recovery_codes"])
        self.refresh_token = tokens["refresh_token"]

    def access_token(self) -> str:
        """Refreshed, or (when the fuzzer signed this session out) a new sign-in with a recovery code."""
        refreshed = self.api.post("/v1/auth/refresh", {"refresh_token": self.refresh_token})
        if refreshed.status_code != 200:
            challenge = self.api.post("/v1/auth/login", {"email": self.email, "password": PASSWORD})
            assert challenge.status_code == 202, challenge.text
            refreshed = self.api.post("/v1/auth/login/second-factor", {
                "challenge": challenge.json()["challenge"], "method": "recovery-code",
                "code": self.recovery_codes.pop()})
            assert refreshed.status_code == 200, refreshed.text
        self.refresh_token = refreshed.json()["refresh_token"]
        return refreshed.json()["access_token"]


def _with_org(tokens: dict) -> dict | None:
    return tokens if claims_of(tokens["access_token"]).get("org") else None


@pytest.fixture(scope="module")
def fuzz_person(api):
    return FuzzPerson(api)


@pytest.mark.parametrize("contract", CONTRACTS)
def test_GW_01_no_request_to_any_operation_gets_a_5xx_or_an_answer_outside_the_contract(api, stack, fuzz_person,
                                                                                        contract):
    token = fuzz_person.access_token()
    command = [
        sys.executable, "-m", "tests.schemathesis_cli", "run", str(ROOT / "contracts" / f"{contract}.yaml"),
        "--url", stack.gateway, "-H", f"Authorization: Bearer {token}",
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
        "--max-examples", os.environ.get("PORTICO_FUZZ_EXAMPLES", "6"),
        "--seed", os.environ.get("PORTICO_FUZZ_SEED", "20261125"),
        "--workers", "2", "--suppress-health-check", "all", "--no-color",
    ]
    if contract != "gateway":  # a service's health and internal routes are not behind the gateway
        command += ["--exclude-path-regex", "^/(internal|healthz|readyz)"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"schemathesis found failures in {contract}.yaml:\n{run.stdout[-12000:]}\n{run.stderr[-3000:]}"


def _raw(base: str, method: str, path: str, body, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A request as a careless or hostile client sends it, byte for byte (an iterable body goes chunked)."""
    import http.client
    from urllib.parse import urlparse

    target = urlparse(base)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    connection.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})},
                       encode_chunked=not isinstance(body, bytes))
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, answer


HOSTILE_BODIES = {
    "not UTF-8": b'{"email": "a\xff@example.com", "password": "x"}',
    "nested 100,000 levels": b"[" * 100_000 + b"]" * 100_000,
    "a 5,000-digit integer": b'{"email": "a@example.com", "password": ' + b"9" * 5000 + b"}",
    "a lone surrogate": b'{"email": "a\\ud800@example.com", "password": "correct horse battery"}',
    "a NUL character": b'{"email": "a\\u0000@example.com", "password": "correct horse battery"}',
    "NaN": b'{"email": "a@example.com", "password": NaN}',
}


@pytest.mark.parametrize("what", HOSTILE_BODIES)
def test_GW_01_a_hostile_body_is_a_400_problem_at_the_gateway_and_at_a_service(api, stack, fuzz_person, what):
    body = HOSTILE_BODIES[what]
    token = fuzz_person.access_token()
    for base, method, path, headers in ((stack.gateway, "POST", "/v1/auth/login", {}),  # the gateway's own
                                        (stack.gateway, "PUT", "/v1/me/alert-preferences", bearer(token)),  # routed
                                        (stack.urls["identity"], "PUT", "/v1/me/alert-preferences", bearer(token))):
        status, answer_headers, answer = _raw(base, method, path, body, headers)
        assert status == 400, (base, path, status, answer[:500])
        assert answer_headers["content-type"].startswith("application/problem+json")
        assert json.loads(answer)["invalid_params"][0]["name"]


def test_GW_01_a_lone_surrogate_or_nul_names_the_field_and_nothing_is_written(api):
    email = unique_email("surrogate")
    for name in ("Erika\ud800", "Erika\x00"):
        body = json.dumps({"email": email, "password": PASSWORD, "first_name": name, "last_name": "M",
                           "country": "DE"}).encode()
        response = api.http.post(api.url("/v1/auth/signup"), data=body, timeout=30,
                                 headers={"Content-Type": "application/json"})
        assert [p["name"] for p in problem(response, 400)["invalid_params"]] == ["first_name"]
    assert api.post("/v1/auth/login", {"email": email, "password": PASSWORD}).status_code == 401  # no account


def test_GW_01_a_date_time_at_the_edge_of_the_calendar_is_a_400_naming_the_field(api, fuzz_person):
    token = fuzz_person.access_token()
    for moment in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"):
        response = api.post("/v1/api-keys", {"name": "edge", "scopes": ["orgs:read"], "expires_at": moment}, token)
        assert [p["name"] for p in problem(response, 400)["invalid_params"]] == ["expires_at"], response.text


def test_GW_01_a_refused_value_is_echoed_and_logged_only_as_a_short_excerpt(api, stack):
    huge = "p" * 1_000_000
    log_before = len(stack.log())
    response = api.post("/v1/auth/signup", {"email": unique_email(), "password": huge, "first_name": "E",
                                            "last_name": "M", "country": "DE"})
    refusal = problem(response, 400)
    assert len(response.content) < 2000
    assert [p["name"] for p in refusal["invalid_params"]] == ["password"]
    assert huge[:100] not in response.text
    added = stack.log()[log_before:]
    assert huge[:100] not in added
    assert max((len(line) for line in added.splitlines()), default=0) < 10_000


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_GW_01_a_body_over_the_limit_is_a_413_problem_at_every_door(api, stack, fuzz_person, chunked):
    limit = 1024 * 1024
    body = b'{"email": "' + b"a" * (limit + 10) + b'"}'
    token = fuzz_person.access_token()

    def chunks():
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    for base, method, path, headers in ((stack.gateway, "POST", "/v1/auth/login", {}),  # the gateway's own
                                        (stack.gateway, "PUT", "/v1/me/alert-preferences", bearer(token)),  # routed
                                        (stack.urls["identity"], "PUT", "/v1/me/alert-preferences", bearer(token))):
        status, answer_headers, answer = _raw(base, method, path, chunks() if chunked else body, headers)
        assert status == 413 and answer_headers["content-type"].startswith("application/problem+json"), (base, path)
        assert json.loads(answer)["type"].endswith("/body-too-large")


def test_GW_01_a_405_names_every_method_the_path_has(api, stack, fuzz_person):
    import requests

    token = fuzz_person.access_token()
    org_id = claims_of(token)["org"]
    response = requests.request("OPTIONS", f"{stack.gateway}/v1/orgs/{org_id}/members", headers=bearer(token),
                                timeout=30)
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
