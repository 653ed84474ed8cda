"""The API conventions of docs/API.md, as a client meets them through the gateway and at a service:
problem details of the project's types for every refusal (the framework's own included), with the
request id as `instance`; paging by cursor; Idempotency-Key; CORS; the combined documentation."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import bearer

PROBLEMS = "https://portico.dev/problems/"
LIBRARY_WORDS = ("Provided token is not valid", "No authorization token provided", "The requested URL was not found",
                 "Invalid Content-type", "not allowed for the requested URL", "about:blank")


def documented_problem_types() -> set[str]:
    text = (Path(__file__).parent.parent / "docs" / "API.md").read_text()
    return set(re.findall(r"`([a-z0-9-]+)`", text.split("## Problem types", 1)[1].split("\n## ", 1)[0]))


def _our_problem(response, status: int, problem: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["type"].startswith(PROBLEMS), body
    assert body["type"][len(PROBLEMS):] in documented_problem_types(), body
    if problem:
        assert body["type"] == PROBLEMS + problem, body
    assert not any(word in response.text for word in LIBRARY_WORDS), response.text
    assert body["detail"] not in ("Not Found", "Method Not Allowed", "Unauthorized"), body
    return body


@pytest.fixture(scope="module")
def person(api):
    return api.customer_with_org()


def test_framework_refusals_are_problems_of_the_projects_types_naming_the_request(api, stack, person):
    gateway, orgs = stack.gateway, stack.urls["orgs"]
    http = api.http
    refusals = [
        # (what, response, status, type)
        ("gateway: no such path", http.get(f"{gateway}/nowhere"), 404, "not-found"),
        ("gateway: method", http.delete(f"{gateway}/v1/auth/login"), 405, "method-not-allowed"),
        ("gateway: media type", http.post(f"{gateway}/v1/auth/login", data="x", headers={"Content-Type": "text/plain"}),
         415, "unsupported-media-type"),
        ("gateway: no token", http.get(f"{gateway}/v1/api-keys"), 401, "unauthorized"),
        ("gateway: bad token", http.get(f"{gateway}/v1/api-keys", headers=bearer("x.y.z")), 401, "invalid-token"),
        ("routed: no token", http.get(f"{gateway}/v1/orgs"), 401, "unauthorized"),
        ("routed: bad token", http.get(f"{gateway}/v1/orgs", headers=bearer("x.y.z")), 401, "invalid-token"),
        ("routed: method", http.put(f"{gateway}/v1/orgs", headers=bearer(person["token"]), json={}), 405,
         "method-not-allowed"),
        ("routed: no such path", http.get(f"{gateway}/v1/orgs/{person['org_id']}/nothing",
                                          headers=bearer(person["token"])), 404, "not-found"),
        ("service: no token", http.get(f"{orgs}/v1/orgs"), 401, "unauthorized"),
        ("service: bad token", http.get(f"{orgs}/v1/orgs", headers=bearer("x.y.z")), 401, "invalid-token"),
        ("service: no such path", http.get(f"{orgs}/nowhere"), 404, "not-found"),
    ]
    for what, response, status, problem in refusals:
        body = _our_problem(response, status, problem)
        if what.startswith(("gateway", "routed")):
            assert body["instance"] == f"urn:portico:request:{response.headers['X-Request-Id']}", (what, body)
        else:
            assert body["instance"].startswith("urn:portico:request:"), (what, body)


def test_the_request_id_the_caller_gives_is_the_instance_of_a_routed_refusal(api, person):
    response = api.http.get(api.url("/v1/orgs/not-a-uuid"), headers={**bearer(person["token"]), "X-Request-Id": "abc-123"})
    body = _our_problem(response, 400, "invalid-request")
    assert response.headers["X-Request-Id"] == "abc-123"
    assert body["instance"] == "urn:portico:request:abc-123"
