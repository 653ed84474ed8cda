"""Support tickets, the service side: support codes (TI-05), emergencies (TI-03, BI-17), service levels
in office time (TI-04, BI-18) and sensitive data (TI-02), through the gateway and the event bus."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import problem, unique_email

STAFF_PASSWORD = "staff password of some length"
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


def staff_token(api, *roles: str) -> tuple[str, str]:
    """A new staff member with these roles, signed in: (user id, access token)."""
    email = unique_email("staff")
    command = [sys.executable, "-m", "services.identity.entrypoints.admin", "create-staff", "--email", email,
               "--first-name", "Sam", "--last-name", "Support"]
    for role in roles:
        command += ["--role", role]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PORTICO_ADMIN_PASSWORD": STAFF_PASSWORD})
    assert done.returncode == 0, done.stderr
    token = api.login(email, STAFF_PASSWORD)["access_token"]
    return api.get("/v1/me", token).json()["id"], token


@pytest.fixture(scope="module")
def agent(api):
    return staff_token(api, "platform:support-agent:technical")


# --- TI-05: support code ---------------------------------------------------------------------------

def test_TI_05_members_see_their_organizations_support_code_and_regenerate_it(api):
    customer = api.customer_with_org()
    first = api.get("/v1/tickets/support-code", customer["token"])
    assert first.status_code == 200, first.text
    code = first.json()["code"]
    assert CODE.match(code)
    assert api.get("/v1/tickets/support-code", customer["token"]).json()["code"] == code  # stays until replaced
    other = api.customer_with_org()
    assert api.get("/v1/tickets/support-code", other["token"]).json()["code"] != code
    renewed = api.post("/v1/tickets/support-code", token=customer["token"])
    assert renewed.status_code == 200 and CODE.match(renewed.json()["code"]) and renewed.json()["code"] != code
    assert api.get("/v1/tickets/support-code", customer["token"]).json()["code"] == renewed.json()["code"]


def test_TI_05_the_first_looks_at_once_agree_on_one_code(api):
    customer = api.customer_with_org()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: api.get("/v1/tickets/support-code", customer["token"]), range(4)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["code"] for a in answers}) == 1


def test_TI_05_staff_find_the_organization_by_the_code_read_out_on_the_phone_and_every_lookup_is_recorded(api, agent):
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support-code", customer["token"]).json()["code"]
    agent_id, token = agent
    spoken = code.lower().replace("-", " ")  # read out: case, spaces and hyphens do not matter
    found = api.post("/v1/tickets/support-code-lookups", {"code": spoken}, token)
    assert found.status_code == 200, found.text
    assert found.json()["org_id"] == customer["org_id"] and found.json()["result"] == "found"
    assert found.json()["staff_id"] == agent_id
    lookups = api.get(f"/v1/tickets/support-code-lookups?org_id={customer['org_id']}", token).json()
    assert [(l["staff_id"], l["result"]) for l in lookups] == [(agent_id, "found")]
    assert lookups[0]["looked_up_at"]
    # a replaced code finds nothing any more
    api.post("/v1/tickets/support-code", token=customer["token"])
    assert problem(api.post("/v1/tickets/support-code-lookups", {"code": code}, token), 404)


def test_TI_05_customers_and_other_staff_cannot_look_codes_up_and_staff_have_no_code(api):
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support-code", customer["token"]).json()["code"]
    assert problem(api.post("/v1/tickets/support-code-lookups", {"code": code}, customer["token"]), 403)
    assert problem(api.get("/v1/tickets/support-code-lookups", customer["token"]), 403)
    _, clerk = staff_token(api, "platform:billing-clerk")
    assert problem(api.post("/v1/tickets/support-code-lookups", {"code": code}, clerk), 403)
    assert problem(api.get("/v1/tickets/support-code", clerk), 403)


def test_TI_05_repeated_wrong_codes_hold_the_staff_member_off_with_retry_after(api):
    agent_id, token = staff_token(api, "platform:support-agent:technical")
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support-code", customer["token"]).json()["code"]
    for wrong in ("2222-2222-2222", "not a code at all", "3333 3333 3333", "ZZZZ-ZZZZ-ZZZZ", "4444-4444-4444"):
        assert problem(api.post("/v1/tickets/support-code-lookups", {"code": wrong}, token), 404)
    held = api.post("/v1/tickets/support-code-lookups", {"code": code}, token)  # even the right one waits
    assert problem(held, 429) and 0 < int(held.headers["Retry-After"]) <= 15 * 60
    results = [l["result"] for l in api.get(f"/v1/tickets/support-code-lookups?staff_id={agent_id}", token).json()]
    assert results == ["throttled"] + ["wrong"] * 5
    # another staff member is not held off
    _, colleague = staff_token(api, "platform:support-agent:technical")
    assert api.post("/v1/tickets/support-code-lookups", {"code": code}, colleague).status_code == 200


def test_TI_05_the_wait_ends_when_the_window_has_passed(api, clock):
    _, token = staff_token(api, "platform:support-agent:technical")
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support-code", customer["token"]).json()["code"]
    for _ in range(5):
        api.post("/v1/tickets/support-code-lookups", {"code": "2222-2222-2222"}, token)
    assert api.post("/v1/tickets/support-code-lookups", {"code": code}, token).status_code == 429
    clock.ahead("tickets", minutes=16)
    assert api.post("/v1/tickets/support-code-lookups", {"code": code}, token).status_code == 200


def test_TI_05_hostile_lookups_are_refused_naming_the_field(api, agent):
    _, token = agent
    for body in ({}, {"code": 7}, {"code": ""}, {"code": "x" * 65}, {"code": "2222-2222-2222", "org": "x"}):
        answer = api.post("/v1/tickets/support-code-lookups", body, token)
        assert answer.status_code == 400, (body, answer.text)
