"""Support tickets through the gateway (TI-01): departments, threads with files, staff and their
internal notes, filters and paging, email answers; closure of accounts and organizations (ID-11)."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.bus_tap import Tap
from tests.helpers import claims_of, eventually, problem
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
    assert ticket["number"].startswith("T-") and ticket["status"] == "open" and ticket["department"] == "technical"
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

    assert api.get(f"/v1/tickets/{ticket['id']}", customer["token"]).json()["status"] == "waiting"
    thread = api.get(f"/v1/tickets/{ticket['id']}/messages", customer["token"]).json()
    assert [m["body"] for m in thread] == ["Every mail to x@y.", "We are on it."]  # never the internal note
    staff_thread = api.get(f"/v1/tickets/{ticket['id']}/messages", agent).json()
    assert [m["visibility"] for m in staff_thread] == ["public", "public", "internal"]

    replied = api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "Thanks!"}, customer["token"])
    assert replied.status_code == 201 and api.get(f"/v1/tickets/{ticket['id']}", agent).json()["status"] == "open"

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


def test_TI_01_departments_are_data_and_open_refuses_what_is_not(api):
    customer = api.customer_with_org()
    for department in ("sales", "billing", "technical", "domains"):  # services/tickets/data/departments.yaml
        assert open_ticket(api, customer, department=department)["department"] == department
    for body, field in (({"subject": "x", "department": "kitchen", "body": "b"}, "department"),
                        ({"subject": " ", "department": "sales", "body": "b"}, "subject"),
                        ({"subject": "x", "department": "sales", "body": "   "}, "body"),
                        ({"subject": "x", "department": "sales", "body": "b", "priority": "critical"}, "emergency"),
                        ({"subject": "x", "department": "sales", "body": "b", "emergency": "server_outage"}, "emergency"),
                        ({"subject": "x", "department": "sales", "body": "b", "priority": "urgent"}, "priority"),
                        ({"subject": "x" * 201, "department": "sales", "body": "b"}, "subject"),
                        ({"subject": "x", "department": "sales", "body": "b", "product_id": "no-such"}, "product_id"),
                        ({"subject": "x", "department": "sales", "body": "b", "extra": 1}, "extra")):
        response = api.post("/v1/tickets", body, customer["token"])
        assert response.status_code in (400, 404), (body, response.text)
        assert field in [p["name"] for p in response.json().get("invalid_params", [])] or field == "extra", (body, response.json())
    assert len(api.get("/v1/tickets", customer["token"]).json()) == 4  # nothing half-written
    critical = open_ticket(api, customer, priority="critical", emergency="website_offline", department="technical")
    assert critical["priority"] == "critical" and critical["emergency"] == "website_offline"


def test_TI_01_attachments_are_checked_by_content_stored_and_served_only_to_readers(api):
    customer, stranger = api.customer_with_org(), api.customer_with_org()
    ticket = open_ticket(api, customer, attachments=[attachment("screen.png", PNG, "image/png"),
                                                     attachment("log.txt", b"error 42\nline 2\n", "text/plain")])
    files = ticket["messages"][0]["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [("screen.png", "image/png", len(PNG)),
                                                                              ("log.txt", "text/plain", 16)]
    download = api.get(files[0]["url"], customer["token"])
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png" and download.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in download.headers["content-disposition"]
    assert problem(api.get(files[0]["url"], stranger["token"]), 404)
    wrong_ticket = open_ticket(api, stranger)
    assert problem(api.get(f"/v1/tickets/{wrong_ticket['id']}/attachments/{files[0]['id']}", stranger["token"]), 404)

    path = f"/v1/tickets/{ticket['id']}/messages"
    for bad, field in ((attachment("x.png", b"MZ\x90\x00 not a png", "image/png"), "attachments[0].content"),
                       (attachment("page.txt", b"<html><script>alert(1)</script>", "text/plain"), "attachments[0].content"),
                       (attachment("x.exe", b"MZ\x90\x00", "application/x-msdownload"), "attachments[0].content_type"),
                       (attachment("big.txt", b"a" * (512 * 1024 + 1), "text/plain"), "attachments[0].content"),
                       (attachment("../../etc/passwd", b"root", "text/plain"), "attachments[0].filename"),
                       ({"filename": "x.txt", "content_type": "text/plain", "content": "!!not base64!!"}, "attachments[0].content")):
        response = api.post(path, {"body": "see file", "attachments": [bad]}, customer["token"])
        assert response.status_code in (400, 413), response.text
        if response.status_code == 400:
            assert [p["name"] for p in response.json()["invalid_params"]] == [field], response.json()
    assert len(api.get(path, customer["token"]).json()) == 1  # none of them was written

    agent = staff_token(api, "technical")
    note = api.post(path, {"body": "internal capture", "visibility": "internal",
                           "attachments": [attachment("trace.txt", b"secret trace", "text/plain")]}, agent).json()
    assert api.get(note["attachments"][0]["url"], agent).content == b"secret trace"
    assert problem(api.get(note["attachments"][0]["url"], customer["token"]), 404)  # internal: staff only
    assert problem(api.post(path, {"body": "sneaky", "visibility": "internal"}, customer["token"]), 403)


def test_TI_01_filters_by_status_department_priority_and_period_with_cursor_paging(api):
    customer = api.customer_with_org()
    made = [open_ticket(api, customer, subject=f"t{i}", department=("sales", "billing", "technical")[i % 3],
                        priority=("low", "normal", "high")[i % 3]) for i in range(5)]
    first = api.get("/v1/tickets?limit=2", customer["token"])
    second = api.get(first.links["next"]["url"].replace(api.base, ""), customer["token"])
    third = api.get(second.links["next"]["url"].replace(api.base, ""), customer["token"])
    seen = [t["id"] for t in first.json() + second.json() + third.json()]
    assert seen == [t["id"] for t in reversed(made)] and "next" not in third.links
    assert {t["subject"] for t in api.get("/v1/tickets?department=billing", customer["token"]).json()} == {"t1", "t4"}
    assert {t["subject"] for t in api.get("/v1/tickets?priority=high", customer["token"]).json()} == {"t2"}
    api.put(f"/v1/tickets/{made[0]['id']}/closure", None, customer["token"])
    assert [t["subject"] for t in api.get("/v1/tickets?status=closed", customer["token"]).json()] == ["t0"]
    since = made[3]["created_at"]
    assert {t["subject"] for t in api.get(f"/v1/tickets?since={since}", customer["token"]).json()} == {"t3", "t4"}
    assert {t["subject"] for t in api.get(f"/v1/tickets?until={since}", customer["token"]).json()} == {"t0", "t1", "t2"}
    for bad, name in (("status=lost", "status"), ("priority=asap", "priority"), ("since=yesterday", "since"),
                      ("department=../x", "department"), ("cursor=%00", "cursor"), ("limit=0", "limit")):
        response = api.get(f"/v1/tickets?{bad}", customer["token"])
        assert response.status_code == 400 and [p["name"] for p in response.json()["invalid_params"]] == [name], bad


def test_TI_01_close_reopen_and_staff_assign_and_move_tickets(api):
    customer = api.customer_with_org()
    ticket = open_ticket(api, customer, department="sales")
    path = f"/v1/tickets/{ticket['id']}"
    closed = api.put(f"{path}/closure", None, customer["token"]).json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert api.put(f"{path}/closure", None, customer["token"]).json()["closed_at"] == closed["closed_at"]  # once
    assert problem(api.post(f"{path}/messages", {"body": "again?"}, customer["token"]), 409)
    reopened = api.delete(f"{path}/closure", customer["token"]).json()
    assert reopened["status"] == "open" and reopened["closed_at"] is None

    agent, clerk = staff_token(api, "sales"), staff_token(api, "billing")
    assert problem(patch(api, path, {"department": "billing"}, customer["token"]), 403)
    assert "assignee" not in api.get(path, customer["token"]).json()
    me = claims_of(agent)["sub"]
    assigned = patch(api, path, {"assignee": me}, agent)
    assert assigned.status_code == 200 and assigned.json()["assignee"] == me
    assert [t["id"] for t in api.get(f"/v1/tickets?assignee={me}", agent).json()] == [ticket["id"]]
    assert problem(patch(api, path, {"department": "kitchen"}, agent), 400)["invalid_params"][0]["name"] == "department"
    assert problem(api.get(path, clerk), 404)
    moved = patch(api, path, {"department": "billing"}, agent)
    assert moved.status_code == 200 and moved.json()["department"] == "billing"
    assert api.get(path, clerk).status_code == 200  # now billing's
    assert problem(api.get(path, agent), 404)  # and no longer sales'
    assert problem(patch(api, path, {"assignee": None}, customer["token"]), 403)


def test_TI_01_tickets_about_a_product_are_seen_by_members_who_may_use_it(api, tap):
    from tests.test_organizations import member_of, provisioned

    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "collaborator")
    org, domain = owner["org_id"], f"{uuid.uuid4().hex[:8]}.ch"
    provisioned(tap, org, "domain", domain)
    eventually(lambda: api.post("/v1/tickets", {"subject": "DNS", "department": "domains", "body": "b",
                                                "product_id": domain}, owner["token"]).status_code == 201,
               what="tickets knowing the product")
    about = api.get("/v1/tickets", owner["token"]).json()[0]
    general = open_ticket(api, owner, subject="General question")
    listed = [t["id"] for t in api.get("/v1/tickets", colleague["token"]).json()]
    assert general["id"] in listed and about["id"] not in listed  # no access to the domain
    assert problem(api.get(f"/v1/tickets/{about['id']}", colleague["token"]), 404)
    assert problem(api.post("/v1/tickets", {"subject": "mine", "department": "domains", "body": "b",
                                            "product_id": domain}, colleague["token"]), 403)
    granted = api.post(f"/v1/orgs/{org}/grants", {"holder": {"kind": "member", "id": colleague["user_id"]},
                                                  "scope": "product", "product_type": "domain", "product_id": domain,
                                                  "rights": ["use"]}, owner["token"])
    assert granted.status_code == 201, granted.text
    eventually(lambda: api.get(f"/v1/tickets/{about['id']}", colleague["token"]).status_code == 200,
               what="tickets learning the grant")
    assert about["id"] in [t["id"] for t in api.get("/v1/tickets", colleague["token"]).json()]
    stranger = api.customer_with_org()
    assert problem(api.post("/v1/tickets", {"subject": "x", "department": "domains", "body": "b",
                                            "product_id": domain}, stranger["token"]), 404)  # another org's product


def test_TI_01_answers_are_mailed_in_the_customers_language_and_email_answers_land_in_the_thread(api, smtp):
    import smtplib
    from email.message import EmailMessage

    customer = api.customer_with_org(language="fr")
    ticket = open_ticket(api, customer, subject="Certificat expiré")
    agent = staff_token(api, "technical")
    api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "Nous l'avons renouvelé."}, agent)
    api.post(f"/v1/tickets/{ticket['id']}/messages", {"body": "INTERNAL-ONLY remark", "visibility": "internal"}, agent)
    mail = smtp.wait_for(customer["email"], ticket["number"])
    assert "Nous l'avons renouvelé." in mail["body"] and "le support a répondu" in mail["body"]
    assert not any("INTERNAL-ONLY" in m["body"] for m in smtp.messages)

    def send(sender: str, to: str, text: str, from_header: str | None = None) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = from_header or sender, to, f"Re: [{ticket['number']}]"
        message.set_content(text)
        with smtplib.SMTP("127.0.0.1", int(os.environ["TICKETS_MAIL_PORT"]), timeout=10) as server:
            server.send_message(message, from_addr=sender, to_addrs=[to])

    send(customer["email"], ticket["reply_to"], "Merci, ça marche.\n\nOn Mon, 1 Jan 2026, Support wrote:\n> Nous l'avons")
    thread = eventually(lambda: len(t := api.get(f"/v1/tickets/{ticket['id']}/messages", customer["token"]).json()) == 3 and t,
                        what="the email answer in the thread")
    assert thread[-1]["body"] == "Merci, ça marche." and thread[-1]["author"]["kind"] == "email"
    assert thread[-1]["author"]["user_id"] == customer["user_id"]
    assert api.get(f"/v1/tickets/{ticket['id']}", agent).json()["status"] == "open"

    stranger = api.customer_with_org()
    send(stranger["email"], ticket["reply_to"], "I am not a member")  # accepted by SMTP, dropped
    send("attacker@example.test", ticket["reply_to"], "spoofed From", from_header=customer["email"])
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(customer["email"], f"reply+{'0' * 32}@support.example.test", "unknown ticket")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(customer["email"], "postmaster@support.example.test", "not a ticket")
    send(customer["email"], ticket["reply_to"], "second answer")
    eventually(lambda: api.get(f"/v1/tickets/{ticket['id']}/messages", customer["token"]).json()[-1]["body"] == "second answer",
               what="the second email answer")
    bodies = [m["body"] for m in api.get(f"/v1/tickets/{ticket['id']}/messages", customer["token"]).json()]
    assert "I am not a member" not in bodies and "spoofed From" not in bodies


def test_ID_11_a_closed_account_is_anonymized_on_its_tickets_and_confirmed(api, tap):
    from tests.test_organizations import member_of

    owner = api.customer_with_org()
    colleague = member_of(api, tap, owner, "collaborator")
    ticket = open_ticket(api, colleague, subject="From the colleague", body="Written by me")
    closure = api.post("/v1/me/closure", {"password": colleague["password"]}, colleague["token"])
    if closure.status_code not in (200, 201, 202):
        pytest.skip(f"account closure: {closure.status_code} {closure.text[:200]}")
    erased = tap.wait_for(lambda b: b["type"] == "PersonalDataErased" and b["payload"]["service"] == "tickets"
                          and b["payload"]["user_id"] == colleague["user_id"])["body"]
    assert erased["payload"]["user_id"] == colleague["user_id"]
    seen = api.get(f"/v1/tickets/{ticket['id']}", owner["token"]).json()
    assert seen["opened_by"] != colleague["user_id"]
    thread = api.get(f"/v1/tickets/{ticket['id']}/messages", owner["token"]).json()
    assert thread[0]["author"]["user_id"] != colleague["user_id"] and thread[0]["author"]["name"] is None
    assert thread[0]["body"] == "Written by me"  # the organization keeps its history


def test_ID_11_OR_15_a_deleted_organizations_tickets_are_kept_90_days_then_deleted(api, tap, clock):
    from tests.helpers import PASSWORD

    owner = api.customer_with_org()
    ticket = open_ticket(api, owner, department="technical",
                         attachments=[attachment("screen.png", PNG, "image/png")])
    agent = staff_token(api, "technical")
    fresh = api.post("/v1/auth/password-check", {"password": PASSWORD}, owner["token"]).json()["access_token"]
    eventually(lambda: api.delete(f"/v1/orgs/{owner['org_id']}", fresh).status_code == 204, what="the organization deleted")
    tap.wait_for(lambda b: b["type"] == "OrganizationDeleted" and b["org_id"] == owner["org_id"])
    clock.ahead("tickets", days=89)
    assert api.get(f"/v1/tickets/{ticket['id']}", agent).status_code == 200  # kept within the retention period
    clock.ahead("tickets", days=2)
    eventually(lambda: api.get(f"/v1/tickets/{ticket['id']}", agent).status_code == 404, timeout=60,
               what="the ticket deleted after the retention period")
    assert api.get(ticket["messages"][0]["attachments"][0]["url"], agent).status_code == 404


def test_TI_01_tickets_opened_at_the_same_moment_get_numbers_of_their_own(api):
    from concurrent.futures import ThreadPoolExecutor

    customer = api.customer_with_org()
    with ThreadPoolExecutor(6) as pool:
        made = list(pool.map(lambda i: open_ticket(api, customer, subject=f"parallel {i}"), range(6)))
    numbers = [t["number"] for t in made]
    assert len(set(numbers)) == 6 and all(n.startswith("T-") for n in numbers)
    headers = {"Idempotency-Key": f"open-{uuid.uuid4().hex}", "Authorization": f"Bearer {customer['token']}"}
    body = {"subject": "once", "department": "sales", "body": "only once"}
    first = api.http.post(api.url("/v1/tickets"), json=body, headers=headers, timeout=30)
    again = api.http.post(api.url("/v1/tickets"), json=body, headers=headers, timeout=30)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert [t["subject"] for t in api.get("/v1/tickets?limit=100", customer["token"]).json()].count("once") == 1
