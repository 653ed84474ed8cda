"""Support tickets, the service side: support codes (TI-05), emergencies (TI-03, BI-17), service levels
in office time (TI-04, BI-18) and sensitive data (TI-02), through the gateway and the event bus."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from portico_kernel import events
from portico_kernel.clock import parse_iso
from portico_kernel.events import Envelope
from tests.helpers import eventually, problem, unique_email
from tests.tickets_helpers import open_ticket, staff_token as staff_of

ROOT = Path(__file__).resolve().parent.parent

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
    first = api.get("/v1/tickets/support/code", customer["token"])
    assert first.status_code == 200, first.text
    code = first.json()["code"]
    assert CODE.match(code)
    assert api.get("/v1/tickets/support/code", customer["token"]).json()["code"] == code  # stays until replaced
    other = api.customer_with_org()
    assert api.get("/v1/tickets/support/code", other["token"]).json()["code"] != code
    renewed = api.post("/v1/tickets/support/code", token=customer["token"])
    assert renewed.status_code == 200 and CODE.match(renewed.json()["code"]) and renewed.json()["code"] != code
    assert api.get("/v1/tickets/support/code", customer["token"]).json()["code"] == renewed.json()["code"]


def test_TI_05_the_first_looks_at_once_agree_on_one_code(api):
    customer = api.customer_with_org()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: api.get("/v1/tickets/support/code", customer["token"]), range(4)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["code"] for a in answers}) == 1


def test_TI_05_staff_find_the_organization_by_the_code_read_out_on_the_phone_and_every_lookup_is_recorded(api, agent):
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support/code", customer["token"]).json()["code"]
    agent_id, token = agent
    spoken = code.lower().replace("-", " ")  # read out: case, spaces and hyphens do not matter
    found = api.post("/v1/tickets/support/code-lookups", {"code": spoken}, token)
    assert found.status_code == 200, found.text
    assert found.json()["org_id"] == customer["org_id"] and found.json()["result"] == "found"
    assert found.json()["staff_id"] == agent_id
    lookups = api.get(f"/v1/tickets/support/code-lookups?org_id={customer['org_id']}", token).json()
    assert [(l["staff_id"], l["result"]) for l in lookups] == [(agent_id, "found")]
    assert lookups[0]["looked_up_at"]
    # a replaced code finds nothing any more
    api.post("/v1/tickets/support/code", token=customer["token"])
    assert problem(api.post("/v1/tickets/support/code-lookups", {"code": code}, token), 404)


def test_TI_05_customers_and_other_staff_cannot_look_codes_up_and_staff_have_no_code(api):
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support/code", customer["token"]).json()["code"]
    assert problem(api.post("/v1/tickets/support/code-lookups", {"code": code}, customer["token"]), 403)
    assert problem(api.get("/v1/tickets/support/code-lookups", customer["token"]), 403)
    _, clerk = staff_token(api, "platform:billing-clerk")
    assert problem(api.post("/v1/tickets/support/code-lookups", {"code": code}, clerk), 403)
    assert problem(api.get("/v1/tickets/support/code", clerk), 403)


def test_TI_05_repeated_wrong_codes_hold_the_staff_member_off_with_retry_after(api):
    agent_id, token = staff_token(api, "platform:support-agent:technical")
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support/code", customer["token"]).json()["code"]
    for wrong in ("2222-2222-2222", "not a code at all", "3333 3333 3333", "ZZZZ-ZZZZ-ZZZZ", "4444-4444-4444"):
        assert problem(api.post("/v1/tickets/support/code-lookups", {"code": wrong}, token), 404)
    held = api.post("/v1/tickets/support/code-lookups", {"code": code}, token)  # even the right one waits
    assert problem(held, 429) and 0 < int(held.headers["Retry-After"]) <= 15 * 60
    results = [l["result"] for l in api.get(f"/v1/tickets/support/code-lookups?staff_id={agent_id}", token).json()]
    assert results == ["throttled"] + ["wrong"] * 5
    # another staff member is not held off
    _, colleague = staff_token(api, "platform:support-agent:technical")
    assert api.post("/v1/tickets/support/code-lookups", {"code": code}, colleague).status_code == 200


def test_TI_05_the_wait_ends_when_the_window_has_passed(api, clock):
    _, token = staff_token(api, "platform:support-agent:technical")
    customer = api.customer_with_org()
    code = api.get("/v1/tickets/support/code", customer["token"]).json()["code"]
    for _ in range(5):
        api.post("/v1/tickets/support/code-lookups", {"code": "2222-2222-2222"}, token)
    assert api.post("/v1/tickets/support/code-lookups", {"code": code}, token).status_code == 429
    clock.ahead("tickets", minutes=16)
    assert api.post("/v1/tickets/support/code-lookups", {"code": code}, token).status_code == 200


def test_TI_05_hostile_lookups_are_refused_naming_the_field(api, agent):
    _, token = agent
    for body in ({}, {"code": 7}, {"code": ""}, {"code": "x" * 65}, {"code": "2222-2222-2222", "org": "x"}):
        answer = api.post("/v1/tickets/support/code-lookups", body, token)
        assert answer.status_code == 400, (body, answer.text)


# --- tickets ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tap(stack):
    from tests.bus_tap import Tap

    tap = Tap(f"tickets-service-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def events_of(tap, ticket_id: str, kind: str, seconds: float = 1.0) -> list[dict]:
    tap.drain(seconds)
    found = [m["body"] for m in tap.messages
             if m["body"].get("type") == kind and m["body"]["payload"].get("ticket_id") == ticket_id]
    for body in found:
        events.validate(body)  # as its schema in contracts/events says
    return found


def critical(api, customer, kind="website_offline", **fields):
    return open_ticket(api, customer, subject="The shop is offline", priority="critical", emergency=kind, **fields)


# --- TI-03, BI-17: emergencies ---------------------------------------------------------------------------

def test_TI_03_critical_needs_an_emergency_kind_and_is_refused_naming_the_field(api):
    customer = api.customer_with_org()
    for fields in ({"priority": "critical"}, {"priority": "critical", "emergency": "coffee_machine"},
                   {"priority": "normal", "emergency": "server_outage"}):
        body = {"subject": "Help", "department": "technical", "body": "Now.", **fields}
        refused = problem(api.post("/v1/tickets", body, customer["token"]), 400)
        assert "emergency" in str(refused)
    for kind in ("server_outage", "system_service_down", "website_offline"):
        assert critical(api, customer, kind)["emergency"] == kind


def test_TI_03_a_critical_ticket_is_escalated_at_once_to_the_on_call_address_whatever_the_hour(api, tap, smtp, clock):
    clock.ahead("tickets", hours=7)  # whatever the office hours: a night, a weekend, a holiday
    customer = api.customer_with_org()
    ticket = critical(api, customer, "server_outage")
    [reported] = eventually(lambda: events_of(tap, ticket["id"], "EmergencyReported"), what="EmergencyReported")
    assert reported["payload"]["emergency_kind"] == "server_outage" and reported["org_id"] == customer["org_id"]
    mail = smtp.wait_for(to="oncall@portico.local", subject_contains=ticket["number"], timeout=60)
    assert "server_outage" in mail["subject"] and "The shop is offline" in mail["body"]
    emergency = api.get(f"/v1/tickets/{ticket['id']}/emergency", customer["token"]).json()
    assert emergency["state"] == "reported" and emergency["kind"] == "server_outage"
    normal = open_ticket(api, customer)
    assert problem(api.get(f"/v1/tickets/{normal['id']}/emergency", customer["token"]), 404)
    assert events_of(tap, normal["id"], "EmergencyReported") == []


def test_BI_17_staff_reject_a_false_emergency_once_and_billing_shows_the_reason_on_the_invoice(api, tap):
    customer = api.customer_with_org(country="CH")
    ticket = critical(api, customer)
    staff = staff_of(api, "technical")
    path = f"/v1/tickets/{ticket['id']}/emergency"
    assert problem(api.post(path, {"decision": "reject"}, staff), 400)["invalid_params"][0]["name"] == "reason"
    assert problem(api.post(path, {"decision": "reject", "reason": "x"}, customer["token"]), 403)  # customers do not decide
    assert problem(api.post(path, {"decision": "reject", "reason": "x"}, staff_of(api, "billing")), 404)  # other department
    rejected = api.post(path, {"decision": "reject", "reason": "A typo on one page, the shop was up"}, staff)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    assert problem(api.post(path, {"decision": "confirm"}, staff), 409)  # decided once
    assert problem(api.post(path, {"decision": "reject", "reason": "again"}, staff), 409)
    [false] = eventually(lambda: events_of(tap, ticket["id"], "FalseEmergencyReported"), what="FalseEmergencyReported")
    assert false["payload"]["reason"] == "A typo on one page, the shop was up"
    assert false["payload"]["ticket_number"] == ticket["number"]
    invoices = f"/v1/billing/accounts/{customer['org_id']}/invoices"
    [invoice] = eventually(lambda: api.get(invoices, customer["token"]).json(), timeout=60, what="the invoice")
    line = invoice["lines"][0]["description"]
    assert ticket["number"] in line and "A typo on one page, the shop was up" in line
    time.sleep(2)
    assert len(events_of(tap, ticket["id"], "FalseEmergencyReported")) == 1
    assert len(api.get(invoices, customer["token"]).json()) == 1


def test_TI_03_staff_confirm_an_emergency_and_nothing_is_billed(api, tap):
    customer = api.customer_with_org()
    ticket = critical(api, customer)
    confirmed = api.post(f"/v1/tickets/{ticket['id']}/emergency", {"decision": "confirm"}, staff_of(api, "technical"))
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    eventually(lambda: events_of(tap, ticket["id"], "EmergencyConfirmed"), what="EmergencyConfirmed")
    assert events_of(tap, ticket["id"], "FalseEmergencyReported") == []


def test_BI_17_another_organizations_ticket_cannot_be_decided_or_read(api):
    owner, stranger = api.customer_with_org(), api.customer_with_org()
    ticket = critical(api, owner)
    assert problem(api.get(f"/v1/tickets/{ticket['id']}/emergency", stranger["token"]), 404)
    assert problem(api.post(f"/v1/tickets/{ticket['id']}/emergency", {"decision": "confirm"}, stranger["token"]), 404)


# --- TI-04, BI-18: service levels in office time ------------------------------------------------------

def test_TI_04_a_tickets_deadlines_count_office_time_and_critical_ones_around_the_clock(api):
    from services.tickets.adapters.office_hours_file import load

    hours, levels = load()
    customer = api.customer_with_org()
    ticket = open_ticket(api, customer, priority="normal")
    sla = api.get(f"/v1/tickets/{ticket['id']}/service-levels", customer["token"]).json()
    opened = parse_iso(ticket["created_at"])
    assert sla["plan"] == "standard" and sla["around_the_clock"] is False
    assert parse_iso(sla["first_response"]["due_at"]) == hours.deadline(opened, levels.targets("normal").first_response)
    assert parse_iso(sla["resolution"]["due_at"]) == hours.deadline(opened, levels.targets("normal").resolution)
    urgent = critical(api, customer)
    sla = api.get(f"/v1/tickets/{urgent['id']}/service-levels", customer["token"]).json()
    assert sla["around_the_clock"] is True
    assert parse_iso(sla["first_response"]["due_at"]) - parse_iso(urgent["created_at"]) == timedelta(hours=1)


def test_TI_04_warning_then_breach_are_emitted_once_each_as_the_tickets_clock_moves(api, tap, clock):
    customer = api.customer_with_org()
    ticket = critical(api, customer)  # first response within 1h, day and night
    clock.ahead("tickets", minutes=50)  # past 80 %
    [warning] = eventually(lambda: events_of(tap, ticket["id"], "ServiceLevelWarning"), timeout=30, what="the warning")
    assert warning["payload"]["target"] == "first_response" and warning["payload"]["plan"] == "standard"
    assert events_of(tap, ticket["id"], "ServiceLevelBreached") == []
    clock.ahead("tickets", minutes=15)
    [breach] = eventually(lambda: events_of(tap, ticket["id"], "ServiceLevelBreached"), timeout=30, what="the breach")
    assert breach["payload"]["target"] == "first_response"
    sla = api.get(f"/v1/tickets/{ticket['id']}/service-levels", customer["token"]).json()
    assert sla["first_response"]["state"] == "breached"
    time.sleep(2)
    assert len(events_of(tap, ticket["id"], "ServiceLevelWarning")) == 1
    assert len(events_of(tap, ticket["id"], "ServiceLevelBreached")) == 1


def test_TI_04_several_schedulers_emit_each_warning_and_breach_once(api, tap, clock):
    """The tickets scheduler may run with several replicas: each warning and breach is claimed once."""
    extra = [subprocess.Popen([sys.executable, "-m", "services.tickets.entrypoints.scheduler"], env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        customer = api.customer_with_org()
        opened = [critical(api, customer) for _ in range(3)]
        time.sleep(2)
        clock.ahead("tickets", minutes=70)
        for ticket in opened:
            eventually(lambda: events_of(tap, ticket["id"], "ServiceLevelBreached"), timeout=40, what="the breach")
        time.sleep(3)  # a second copy, if any scheduler emitted one, would be here by now
        counts = [(len(events_of(tap, t["id"], "ServiceLevelWarning")), len(events_of(tap, t["id"], "ServiceLevelBreached")))
                  for t in opened]
        assert counts == [(1, 1)] * 3
    finally:
        for process in extra:
            process.terminate()
        for process in extra:
            process.wait(timeout=30)


def test_TI_04_waiting_for_the_customer_pauses_the_clock_and_an_answer_meets_the_first_response(api, tap, clock):
    customer = api.customer_with_org()
    ticket = critical(api, customer)
    staff = staff_of(api, "technical")
    answered = api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "Which server?"}, staff)
    assert answered.status_code == 201, answered.text
    sla = api.get(f"/v1/tickets/{ticket['id']}/service-levels", customer["token"]).json()
    assert sla["first_response"]["state"] == "met" and sla["resolution"]["state"] == "paused"
    clock.ahead("tickets", hours=10)  # the customer takes their time: nothing runs
    time.sleep(2)
    assert events_of(tap, ticket["id"], "ServiceLevelBreached") == []
    reply = api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "web-3"}, customer["token"]).json()
    sla = api.get(f"/v1/tickets/{ticket['id']}/service-levels", customer["token"]).json()
    due = parse_iso(sla["resolution"]["due_at"])
    # 8h resolution around the clock, a few seconds ran before staff's answer: due about 8h after the reply
    assert timedelta(hours=7, minutes=58) < due - parse_iso(reply["created_at"]) <= timedelta(hours=8)


def test_TI_04_a_closed_ticket_breaches_nothing(api, tap, clock):
    customer = api.customer_with_org()
    ticket = critical(api, customer)
    assert api.put(f"/v1/tickets/{ticket['id']}/closure", token=customer["token"]).status_code == 200
    clock.ahead("tickets", hours=9)
    time.sleep(3)
    assert events_of(tap, ticket["id"], "ServiceLevelWarning") == []
    assert events_of(tap, ticket["id"], "ServiceLevelBreached") == []


def test_BI_18_an_organization_with_premium_support_gets_its_own_targets(api, tap):
    customer = api.customer_with_org()
    provisioned = Envelope(type="ProductProvisioned", producer="billing", org_id=customer["org_id"],
                           payload={"org_id": customer["org_id"], "product_type": "premium-support",
                                    "product_id": str(uuid.uuid4())})
    events.validate(provisioned.to_dict())
    tap.publish(provisioned.to_dict(), provisioned.routing_key)

    def premium_ticket():
        ticket = open_ticket(api, customer, priority="critical", emergency="server_outage")
        sla = api.get(f"/v1/tickets/{ticket['id']}/service-levels", customer["token"]).json()
        return (ticket, sla) if sla["plan"] == "premium" else None
    ticket, sla = eventually(premium_ticket, timeout=30, what="tickets hearing of premium support")
    assert parse_iso(sla["first_response"]["due_at"]) - parse_iso(ticket["created_at"]) == timedelta(minutes=15)
    other = api.customer_with_org()
    assert api.get(f"/v1/tickets/{open_ticket(api, other)['id']}/service-levels",
                   other["token"]).json()["plan"] == "standard"


# --- TI-02: sensitive data ------------------------------------------------------------------------------

SECRET = "root / " + uuid.uuid4().hex  # unique: found nowhere else


def test_TI_02_credentials_are_read_only_by_their_writer_and_the_departments_staff_and_every_reading_is_listed(api, tap, smtp):
    customer = api.customer_with_org()
    ticket = open_ticket(api, customer)
    path = f"/v1/tickets/{ticket['id']}/sensitive-data"
    kept = api.put(path, {"text": SECRET}, customer["token"])
    assert kept.status_code == 200 and SECRET not in kept.text
    mine = api.get(path, customer["token"])
    assert mine.status_code == 200 and mine.json()["text"] == SECRET and mine.headers["Cache-Control"] == "no-store"
    staff = staff_of(api, "technical")
    assert api.get(path, staff).json()["text"] == SECRET
    assert problem(api.get(path, staff_of(api, "billing")), 404)  # staff of another department
    stranger = api.customer_with_org()
    assert problem(api.get(path, stranger["token"]), 404)
    readings = api.get(f"{path}/readings", customer["token"]).json()
    assert [r["reader_kind"] for r in readings] == ["staff", "customer"]
    # never in the ticket, a list, the thread, an event or an email
    api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "We log in now."}, staff)
    for shown in (api.get(f"/v1/tickets/{ticket['id']}", customer["token"]), api.get("/v1/tickets", customer["token"]),
                  api.get(f"/v1/tickets/{ticket['id']}/messages", staff)):
        assert shown.status_code == 200 and SECRET not in shown.text
    tap.drain(2)
    assert not [m for m in tap.messages if SECRET in str(m["body"])]
    assert not [m for m in smtp.messages if SECRET in m["body"] or SECRET in m["subject"]]


def test_TI_02_only_the_writer_gives_credentials_and_a_colleague_does_not_read_them(api):
    customer = api.customer_with_org()
    ticket = open_ticket(api, customer)
    path = f"/v1/tickets/{ticket['id']}/sensitive-data"
    assert problem(api.put(path, {"text": "mine"}, staff_of(api, "technical")), 403)
    assert problem(api.get(path, customer["token"]), 404)  # none yet
    api.put(path, {"text": SECRET}, customer["token"])
    colleague = api.customer_with_org()  # a person of another organization sees nothing either
    assert problem(api.put(path, {"text": "x"}, colleague["token"]), 404)


def test_TI_02_closing_the_ticket_erases_the_credentials(api):
    customer = api.customer_with_org()
    ticket = open_ticket(api, customer)
    path = f"/v1/tickets/{ticket['id']}/sensitive-data"
    assert api.put(path, {"text": SECRET}, customer["token"]).status_code == 200
    assert api.put(f"/v1/tickets/{ticket['id']}/closure", token=customer["token"]).status_code == 200
    assert problem(api.get(path, staff_of(api, "technical")), 404)
    assert problem(api.put(path, {"text": SECRET}, customer["token"]), 409)  # closed: reopen first
    api.delete(f"/v1/tickets/{ticket['id']}/closure", token=customer["token"])
    assert problem(api.get(path, customer["token"]), 404)  # erased for good


def test_TI_02_refusals_never_repeat_the_credentials_and_nothing_reaches_the_logs(api, stack):
    customer = api.customer_with_org()
    ticket = open_ticket(api, customer)
    path = f"/v1/tickets/{ticket['id']}/sensitive-data"
    too_long = SECRET + "x" * 4000
    refused = api.put(path, {"text": too_long}, customer["token"])
    assert refused.status_code == 400 and SECRET not in refused.text
    refused = api.put(path, {"text": SECRET, "more": 1}, customer["token"])
    assert refused.status_code == 400 and SECRET not in refused.text
    api.put(path, {"text": SECRET}, customer["token"])
    api.get(path, customer["token"])
    log = ROOT / "var" / "test-logs"
    assert not [f for f in log.glob("*.log") if SECRET in f.read_text(errors="replace")]
