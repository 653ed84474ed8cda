"""The API conventions of docs/API.md, as a client meets them through the gateway and at a service:
problem details of the project's types for every refusal (the framework's own included), with the
request id as `instance`; paging by cursor; Idempotency-Key; CORS; the combined documentation."""
from __future__ import annotations

import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from tests.helpers import bearer, claims_of, device

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


APP_ORIGIN = "https://app.example.test"  # PORTICO_CORS_ORIGINS of the test suite


def test_cors_preflight_is_answered_for_the_gateways_own_and_for_routed_paths(api):
    for path, method in (("/v1/api-keys", "POST"), ("/v1/orgs", "GET"), ("/v1/me/app-passwords", "POST")):
        response = api.http.options(api.url(path), headers={
            "Origin": APP_ORIGIN, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
        assert response.status_code == 204, (path, response.text)
        assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
        assert method in response.headers["Access-Control-Allow-Methods"]
        allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type", "idempotency-key", "x-request-id", "x-api-key"} <= allowed


def test_cors_answers_name_allowed_origins_only_and_expose_the_headers_a_client_reads(api, person):
    answered = api.http.get(api.url("/v1/orgs"), headers={**bearer(person["token"]), "Origin": APP_ORIGIN})
    assert answered.status_code == 200
    assert answered.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    exposed = {h.strip().lower() for h in answered.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "link", "retry-after"} <= exposed
    refused = api.http.get(api.url("/v1/orgs"), headers={"Origin": APP_ORIGIN})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == APP_ORIGIN

    stranger = "https://elsewhere.example.test"
    answered = api.http.get(api.url("/v1/orgs"), headers={**bearer(person["token"]), "Origin": stranger})
    assert answered.status_code == 200 and "Access-Control-Allow-Origin" not in answered.headers
    preflight = api.http.options(api.url("/v1/orgs"), headers={"Origin": stranger, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item
            if method in ("get", "put", "post", "delete", "patch")}


def test_the_gateway_serves_one_openapi_document_of_every_public_operation(api):
    from openapi_spec_validator import validate

    from portico_kernel import openapi

    response = api.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    document = response.json()
    validate(document)
    assert not [path for path in document["paths"] if "internal" in path]
    for component in openapi.COMPONENTS:
        contract = openapi.load(f"{component}.yaml")
        public = {(m, p) for m, p in _operations(contract) if openapi.is_public(component, p)}
        assert public <= _operations(document), (component, public - _operations(document))
    assert ("get", "/readyz") in _operations(document)  # the gateway's own; the services' are not reachable


def test_the_gateway_serves_an_interactive_viewer_at_docs(api):
    page = api.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in page.text
    for asset in ("/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/viewer.js"):
        assert api.get(asset).status_code == 200, asset


def test_no_component_warns_of_a_missing_viewer_at_start_up(stack):
    assert "swagger-ui" not in stack.log().lower()


def _pages(api, path: str, token: str, limit: int) -> list[list[dict]]:
    """Every page of a collection, following its Link rel="next" as a client would."""
    pages, url = [], api.url(f"{path}?limit={limit}")
    while url:
        response = api.http.get(url, headers=bearer(token), timeout=30)
        assert response.status_code == 200, response.text
        assert len(response.json()) <= limit
        pages.append(response.json())
        url = api.url(response.links["next"]["url"]) if "next" in response.links else None
        assert len(pages) < 20
    return pages


def test_collections_are_paged_by_cursor_through_the_next_link(api):
    person = api.customer_with_org()
    for _ in range(4):
        api.login(person["email"])
    everything = api.get("/v1/me/sessions", person["token"]).json()
    assert len(everything) >= 5
    pages = _pages(api, "/v1/me/sessions", person["token"], 2)
    assert [len(p) for p in pages[:-1]] == [2] * (len(pages) - 1)
    assert [s["id"] for page in pages for s in page] == [s["id"] for s in everything]  # none twice, none lost
    assert [o["id"] for page in _pages(api, "/v1/orgs", person["token"], 1) for o in page] == [person["org_id"]]


def test_a_bad_limit_or_cursor_is_refused_naming_the_parameter(api, person):
    for query, name in (("limit=0", "limit"), ("limit=201", "limit"), ("limit=many", "limit"),
                        ("cursor=!!", "cursor"), ("cursor=bm90IGEgY3Vyc29y", "cursor"), ("cursor=W10", "cursor")):
        for path in ("/v1/orgs", "/v1/api-keys", "/v1/me/sessions"):
            response = api.http.get(api.url(f"{path}?{query}"), headers=bearer(person["token"]), timeout=30)
            if path == "/v1/api-keys" and response.status_code == 403:
                continue  # only managers list keys; the parameters are checked before that where they can be
            body = _our_problem(response, 400, "invalid-request")
            assert [p["name"] for p in body["invalid_params"]] == [name], (path, query, body)


def _with_key(api, path: str, body: dict, token: str, key: str):
    return api.http.post(api.url(path), data=json.dumps(body), timeout=30,
                         headers={**bearer(token), "Content-Type": "application/json", "Idempotency-Key": key})


def _running(component: str, token: str, key: str, path: str, body: dict) -> None:
    """The first request with `key` as the component records it while it runs."""
    from sqlalchemy import MetaData, create_engine, insert

    from portico_kernel import config, idempotency

    keys = idempotency.table(MetaData())
    claims = claims_of(token)
    engine = create_engine(config.load(component).database_url)
    with engine.begin() as conn:
        conn.execute(insert(keys).values(
            caller=f"{claims.get('kind', 'customer')}:{claims['sub']}", key=key, created_at=datetime.now(timezone.utc),
            fingerprint=idempotency.fingerprint_of("POST", path.encode(), b"", json.dumps(body).encode())))
    engine.dispose()


def _idempotent_create(api, path: str, body: dict, token: str, secret_field: str, listed: Callable[[], int],
                       component: str) -> None:
    before = listed()
    key = str(uuid.uuid4())
    first = _with_key(api, path, body, token, key)
    assert first.status_code == 201, first.text
    again = _with_key(api, path, body, token, key)
    assert again.status_code == 201 and again.json() == first.json(), again.text
    assert again.json()[secret_field] == first.json()[secret_field]
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert listed() == before + 1  # the replay created nothing

    other = _with_key(api, path, {**body, "name": body["name"] + " (other)"}, token, key)
    _our_problem(other, 422, "idempotency-key-reused")
    assert listed() == before + 1

    running = str(uuid.uuid4())
    _running(component, token, running, path, body)
    _our_problem(_with_key(api, path, body, token, running), 409, "idempotency-key-in-use")

    # Many at once with one key: one creates, the others replay its answer or are told it runs.
    concurrent = str(uuid.uuid4())
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _with_key(api, path, {**body, "name": "at once"}, token, concurrent), range(4)))
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    assert len({a.json()[secret_field] for a in answers if a.status_code == 201}) == 1
    assert listed() == before + 2

    assert _with_key(api, path, body, token, str(uuid.uuid4())).status_code == 201  # a new key acts anew
    assert listed() == before + 3


def test_an_idempotency_key_replays_the_first_answer_of_the_gateway(api, person):
    body = {"name": "deploy robot", "scopes": ["orgs:read"]}
    _idempotent_create(api, "/v1/api-keys", body, person["token"], "secret",
                       lambda: len(api.get("/v1/api-keys?limit=200", person["token"]).json()), "gateway")


def test_an_idempotency_key_replays_the_first_answer_of_a_service(api, stack):
    from tests.test_two_factor import enable_totp

    person = api.signup()
    token = device(stack).login(person["email"]).json()["access_token"]
    enable_totp(api, token)
    _idempotent_create(api, "/v1/me/app-passwords", {"name": "Thunderbird"}, token, "password",
                       lambda: len(api.get("/v1/me/app-passwords?limit=200", token).json()), "identity")


def test_an_idempotency_key_is_refused_when_malformed_naming_the_header(api, person):
    response = api.http.post(api.url("/v1/api-keys"), json={"name": "x", "scopes": ["orgs:read"]},
                             headers={**bearer(person["token"]), "Idempotency-Key": "x" * 300}, timeout=30)
    body = _our_problem(response, 400, "invalid-request")
    assert [p["name"] for p in body["invalid_params"]] == ["Idempotency-Key"]


# The conventions as every contract declares them (no running suite needed).

ROOT = Path(__file__).parent.parent
UNSAFE = ("post", "put", "patch", "delete")


def _contract_operations():
    from portico_kernel import openapi

    common = openapi.load("common.yaml")
    for component in openapi.COMPONENTS:
        contract = openapi.load(f"{component}.yaml")

        def resolve(node, contract=contract):
            while isinstance(node, dict) and "$ref" in node:
                file, _, pointer = node["$ref"].partition("#")
                node = common if file == "common.yaml" else contract
                for part in pointer.strip("/").split("/"):
                    node = node[part]
            return node

        for path, item in contract["paths"].items():
            if path in openapi.HEALTH:  # a process's health for its operators, answered as JSON
                continue
            shared = item.get("parameters", [])
            for method, operation in item.items():
                if method in ("get", "put", "post", "delete", "patch"):
                    parameters = [resolve(p) for p in shared + operation.get("parameters", [])]
                    yield component, method, path, operation, parameters, resolve


def test_every_collection_in_every_contract_is_paged():
    collections = 0
    for component, method, path, operation, parameters, resolve in _contract_operations():
        ok = resolve(operation["responses"].get("200", {}))
        schema = resolve(ok.get("content", {}).get("application/json", {}).get("schema", {}))
        if method != "get" or schema.get("type") != "array":
            continue
        collections += 1
        names = {(p["in"], p["name"]) for p in parameters}
        assert {("query", "limit"), ("query", "cursor")} <= names, (component, path)
        assert "Link" in ok.get("headers", {}), (component, path)
    assert collections >= 10


def test_every_error_of_every_contract_is_problem_details():
    for component, method, path, operation, _, resolve in _contract_operations():
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                content = resolve(answer).get("content", {})
                assert list(content) == ["application/problem+json"], (component, method, path, status)


def test_every_unsafe_operation_of_every_contract_accepts_an_idempotency_key():
    for component, method, path, operation, parameters, _ in _contract_operations():
        if method in UNSAFE:
            assert ("header", "Idempotency-Key") in {(p["in"], p["name"]) for p in parameters}, (component, method, path)
            assert {"409", "422"} <= {str(s) for s in operation["responses"]}, (component, method, path)


PROBLEM_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
REFUSERS = {"Refused", "_problem", "send_problem", "problem_body", "problem_bytes"}


def _problems_named_in(source: str) -> set[str]:
    """Problem types a module names: `problem="…"` anywhere, a refuser's positional name, a type URI."""
    import ast

    found = set(re.findall(r'problems/([a-z0-9-]+)"', source))
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        found |= {k.value.value for k in node.keywords
                  if k.arg == "problem" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name in REFUSERS:
            found |= {a.value for a in node.args[2:] if isinstance(a, ast.Constant) and isinstance(a.value, str)
                      and PROBLEM_NAME.match(a.value)}
    return found


def test_every_problem_type_a_component_emits_is_documented():
    from portico_kernel import problems

    emitted = set(problems.BY_STATUS.values())
    for folder in ("gateway", "services", "portico_kernel"):
        for source in (ROOT / folder).rglob("*.py"):
            if "migrations" not in source.parts:
                emitted |= _problems_named_in(source.read_text())
    assert {"rate-limited", "idempotency-key-reused", "invalid-path", "email-taken"} <= emitted  # the scan sees them
    assert emitted - documented_problem_types() == set()


def test_collections_are_filtered_by_query_parameters_that_stay_in_the_next_link(api, stack):
    """docs/API.md "Filtering": recent activity by kind and period (ID-04), tickets and domains by state."""
    person = api.customer_with_org()
    stranger = device(stack)
    for _ in range(2):
        assert stranger.login(person["email"], "not the password").status_code == 401
    token = api.login(person["email"])["access_token"]
    everything = api.get("/v1/me/activity", token).json()
    wrong = api.get("/v1/me/activity?kind=wrong-password", token).json()
    assert [a["kind"] for a in wrong] == ["wrong-password", "wrong-password"]
    assert len(everything) > len(wrong)

    newest = everything[0]["occurred_at"]
    since_newest = api.get(f"/v1/me/activity?since={newest}", token).json()
    assert [a["occurred_at"] for a in since_newest] == [a["occurred_at"] for a in everything if a["occurred_at"] >= newest]
    before_newest = api.get(f"/v1/me/activity?until={newest}", token).json()
    assert len(before_newest) + len(since_newest) == len(everything)  # a period splits the list, nothing twice

    first = api.http.get(api.url("/v1/me/activity?kind=wrong-password&limit=1"), headers=bearer(token), timeout=30)
    assert "kind=wrong-password" in first.links["next"]["url"]  # the filter stays with the pages
    second = api.http.get(api.url(first.links["next"]["url"]), headers=bearer(token), timeout=30).json()
    assert [a["kind"] for a in first.json() + second] == ["wrong-password", "wrong-password"]

    for path, bad, name in (("/v1/me/activity", "since=yesterday", "since"),
                            ("/v1/me/activity", f"since={newest}&until=2000-01-01T00:00:00Z", "until"),
                            ("/v1/me/activity", "kind=DROP%20TABLE", "kind"),
                            ("/v1/tickets", "status=lost", "status"), ("/v1/domains", "status=stolen", "status")):
        body = _our_problem(api.http.get(api.url(f"{path}?{bad}"), headers=bearer(token), timeout=30), 400, "invalid-request")
        assert [p["name"] for p in body["invalid_params"]] == [name], (path, bad, body)
    for path in ("/v1/tickets?status=open", "/v1/domains?status=active"):
        assert api.get(path, token).json() == []
