"""Support tickets through the gateway (TI-01): departments, threads with files, staff and their
internal notes, filters and paging, email answers; closure of accounts and organizations (ID-11)."""
from __future__ import annotations

import uuid

import pytest

from tests.bus_tap import Tap
from tests.helpers import eventually, problem
from tests.tickets_helpers import attachment, open_ticket, staff_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"tickets-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def patch(api, path, body, token):
    return api.http.patch(api.url(path), json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_TI_01_customer_opens_lists_and_replies_staff_of_the_department_answer(api, tap):
    customer = api.customer_with_org()
    ticket = open_ticket(api, customer, subject="Mail bounces", department="technical", body="Every mail to x@y.",
                         priority="high")
    assert ticket["number"].startswith("T-") and ticket["state"] == "open" and ticket["department"] == "technical"
    assert ticket["reply_to"].startswith("reply+") and ticket["messages"][0]["body"] == "Every mail to x@y."
    listed = api.get("/v1/tickets", customer["token"]).json()
    assert [t["id"] for t in listed] == [ticket["id"]]

    agent = staff_token(api, "technical")
    assert api.get(f"/v1/tickets/{ticket['id']}", agent).status_code == 200
    assert ticket["id"] in [t["id"] for t in api.get("/v1/tickets?department=technical&limit=100", agent).json()]
    answer = api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "We are on it."}, agent)
    assert answer.status_code == 201, answer.text
    note = api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "Customer's MX is wrong", "visibility": "internal"}, agent)
    assert note.status_code == 201

    assert api.get(f"/v1/tickets/{ticket['id']}", customer["token"]).json()["state"] == "waiting"
    thread = api.get(f"/v1/tickets/{ticket['id']}/messages", customer["token"]).json()
    assert [m["body"] for m in thread] == ["Every mail to x@y.", "We are on it."]  # never the internal note
    staff_thread = api.get(f"/v1/tickets/{ticket['id']}/messages", agent).json()
    assert [m["visibility"] for m in staff_thread] == ["public", "public", "internal"]

    replied = api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "Thanks!"}, customer["token"])
    assert replied.status_code == 201 and api.get(f"/v1/tickets/{ticket['id']}", agent).json()["state"] == "open"

    event = tap.wait_for(lambda b: b["type"] == "TicketReplied" and b["payload"]["ticket_id"] == ticket["id"])["body"]
    assert event["payload"]["body"] == "We are on it." and event["payload"]["user_id"] == customer["user_id"]
    assert event["payload"]["reply_to"] == ticket["reply_to"]
    tap.drain(1.0)
    assert not any("MX is wrong" in str(m["body"]) for m in tap.messages)  # internal notes never leave


def test_TI_01_staff_of_other_departments_and_other_organizations_see_nothing(api):
    customer, stranger = api.customer_with_org(), api.customer_with_org()
    ticket = open_ticket(api, customer, department="technical")
    clerk = staff_token(api, "billing")  # billing clerks work in billing only
    assert problem(api.get(f"/v1/tickets/{ticket['id']}", clerk), 404)
    assert ticket["id"] not in [t["id"] for t in api.get("/v1/tickets?limit=100", clerk).json()]
    assert problem(api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "hi"}, clerk), 404)
    for path in (f"/v1/tickets/{ticket['id']}", f"/v1/tickets/{ticket['id']}/messages"):
        assert problem(api.get(path, stranger["token"]), 404)
    assert problem(api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "hi"}, stranger["token"]), 404)
    assert problem(api.put(f"/v1/tickets/{ticket['id']}/closure", None, stranger["token"]), 404)
    assert api.get("/v1/tickets", stranger["token"]).json() == []
    assert problem(api.get(f"/v1/tickets?org_id={customer['org_id']}", stranger["token"]), 404)
