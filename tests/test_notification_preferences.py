"""Who receives which email, end to end through the gateway: the person's choice of optional
security alerts (ID-04), which identity announces and the notifications service applies; the
organization's invoice notification preferences (BI-16) with its named contacts (OR-17) and its own
SMTP server (ID-15); staff known before their first mail; a member's new role deciding their mails
(OR-05, OR-14). Mails are read from real SMTP servers on loopback (aiosmtpd)."""
from __future__ import annotations

import time
import uuid

import pytest

from tests.bus_tap import Tap
from tests.helpers import PASSWORD, bearer, claims_of, device, eventually, problem, unique_email
from tests.test_mail_deliveries import deliveries, support_agent_token
from tests.test_notifications import emails, org_mail_server  # noqa: F401 - the organization's own SMTP server
from tests.test_organization_emails import member_by_mail
from tests.test_principals import STAFF_PASSWORD, create_staff


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"preferences-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


# --- ID-04 -------------------------------------------------------------------------------------

def test_ID_04_switched_off_alerts_stay_silent_but_a_password_change_is_always_mailed(api, stack, smtp):
    person = api.signup(language="de")
    token = api.login(person["email"])["access_token"]
    off = api.http.put(api.url("/v1/me/alert-preferences"), json={"new_sign_in_location": False, "wrong_password": False},
                       headers=bearer(token), timeout=30)
    assert off.status_code == 200 and off.json() == {"new_sign_in_location": False, "wrong_password": False}
    assert device(stack, user_agent="Stranger/1.0").login(person["email"], "a wrong guess").status_code == 401
    changed = api.post("/v1/me/password", {"current_password": PASSWORD, "new_password": PASSWORD + "-new"}, token)
    assert changed.status_code == 200, changed.text
    smtp.wait_for(person["email"], "Ihr Passwort wurde geändert", timeout=60)
    time.sleep(2)
    assert smtp.to(person["email"], "falschem Passwort") == []  # the wrong password was raised, not mailed
    # the activity still shows both, and identity's contract answers as before
    kinds = [a["kind"] for a in api.get("/v1/me/activity", api.login(person["email"], PASSWORD + "-new")["access_token"]).json()]
    assert "wrong-password" in kinds
    # switched on again: the next wrong password is mailed (the hourly limit counts raised alerts)
    again = api.login(person["email"], PASSWORD + "-new")["access_token"]
    on = api.http.put(api.url("/v1/me/alert-preferences"), json={"new_sign_in_location": True},
                      headers=bearer(again), timeout=30)
    assert on.json() == {"new_sign_in_location": True, "wrong_password": False}


# --- staff and roles -----------------------------------------------------------------------------

def test_staff_are_known_to_notifications_before_their_first_mail(api):
    support = support_agent_token(api)
    email = unique_email("staff")
    assert create_staff(email, "platform:billing-clerk").returncode == 0
    staff_id = claims_of(api.login(email, STAFF_PASSWORD)["access_token"])["sub"]
    # An unknown person is 404 to support; a staff account is known from StaffAccountCreated at once.
    assert eventually(lambda: api.get(f"/v1/notifications/people/{staff_id}/emails", support).status_code == 200,
                      what="the staff account known to notifications")
    assert deliveries(api, support, staff_id) == []
    problem(api.get(f"/v1/notifications/people/{uuid.uuid4()}/emails", support), 404)


def test_OR_05_OR_14_a_member_made_legal_representative_later_gets_the_details_summary(api, smtp):
    owner = api.customer_with_org(country="DE", language="de")
    colleague = member_by_mail(api, smtp, owner, "invites you", "collaborator", language="en")
    promoted = api.put(f"/v1/orgs/{owner['org_id']}/members/{colleague['user_id']}/role",
                       {"role": "legal_representative"}, owner["token"])
    assert promoted.status_code == 200, promoted.text
    name = f"Muster {uuid.uuid4().hex[:4]} AG"
    changed = api.http.patch(api.url(f"/v1/orgs/{owner['org_id']}"), json={"name": name},
                             headers=bearer(owner["token"]), timeout=30)
    assert changed.status_code == 200, changed.text
    mail = smtp.wait_for(colleague["email"], f"The details of {name} were changed", timeout=60)
    assert "- name" in mail["body"]
    smtp.wait_for(owner["email"], f"Die Angaben von {name} wurden geändert", timeout=60)


# --- BI-16, OR-17, ID-15 ---------------------------------------------------------------------------

def billing_sends(tap, event_type: str, payload: dict) -> dict:
    """Billing announces an invoice (here the test speaks for billing until it emits InvoiceIssued and
    InvoicePaid itself; then an order placed through the API takes this place)."""
    from portico_kernel.events import Envelope

    envelope = Envelope(type=event_type, producer="billing", org_id=payload["org_id"], payload=payload)
    tap.publish(envelope.to_dict(), envelope.routing_key)
    return envelope.to_dict()


def invoice(org_id: str, amount_minor: int = 123450, currency: str = "CHF", kind: str = "invoice") -> dict:
    return {"invoice_id": str(uuid.uuid4()), "org_id": org_id, "number": f"2026-{uuid.uuid4().int % 10**6:06d}",
            "kind": kind, "total": {"amount_minor": amount_minor, "currency": currency},
            "issued_at": "2026-03-02T09:00:00Z", "due_on": "2026-04-01"}


def preferences(api, token: str) -> dict:
    answer = api.get("/v1/notifications/invoice-preferences", token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def known_administrator(api, owner: dict) -> dict:
    """Notifications knows the owner as the organization's legal representative (from events)."""
    return eventually(lambda: (lambda r: r.json() if r.status_code == 200 else None)(
        api.get("/v1/notifications/invoice-preferences", owner["token"])), what="the legal representative known")


def test_BI_16_OR_17_invoices_reach_whom_the_preferences_name_each_in_their_language(api, smtp, tap):
    owner = api.customer_with_org(country="CH", language="de")
    org = owner["org_id"]
    default = known_administrator(api, owner)
    assert default["kinds"] == ["issued", "paid"] and default["legal_representatives"] is True
    assert default["updated_at"] is None and default["recipients"] == [{"email": owner["email"], "language": "de"}]

    # a billing contact (OR-17), an extra address, both in French; the legal representative no longer
    contact_email, extra = unique_email("buchhaltung"), unique_email("treuhand")
    contact = api.post(f"/v1/orgs/{org}/contacts", {"purpose": "billing", "name": "Buchhaltung", "email": contact_email},
                       owner["token"])
    assert contact.status_code == 201, contact.text
    chosen = api.put("/v1/notifications/invoice-preferences",
                     {"legal_representatives": False, "contacts": ["billing"], "extra_addresses": [extra, extra.upper()],
                      "language": "fr", "kinds": ["issued"]}, owner["token"])
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["extra_addresses"] == [extra] and chosen.json()["updated_at"] is not None
    eventually(lambda: {r["email"] for r in preferences(api, owner["token"])["recipients"]} == {contact_email, extra},
               what="the billing contact among the recipients")

    issued = invoice(org)
    billing_sends(tap, "InvoiceIssued", issued)
    for address in (contact_email, extra):
        mail = smtp.wait_for(address, f"Facture {issued['number']}", timeout=60)
        assert "234,50" in mail["subject"] and "CHF" in mail["subject"], mail["subject"]  # as French Switzerland writes it
        assert "1 avril 2026" in mail["body"] and "234,50" in mail["body"]
    billing_sends(tap, "InvoicePaid", {"invoice_id": issued["invoice_id"], "org_id": org, "number": issued["number"],
                                       "total": issued["total"], "paid_at": "2026-03-09T09:00:00Z"})
    time.sleep(3)
    assert smtp.to(owner["email"], issued["number"]) == [] and smtp.to(extra, "payée") == []  # not chosen

    # in the organization's history, once each
    sent = eventually(lambda: (e := emails(api, owner["token"], "/v1/notifications/org-emails", kind="invoice-issued"))
                      and len(e) >= 2 and e, what="the invoice mails in the organization's history")
    assert sorted(e["recipient"].lower() for e in sent) == sorted([contact_email.lower(), extra.lower()])

    # back to the legal representative and both kinds; the contact removed is no longer mailed
    assert api.delete(f"/v1/orgs/{org}/contacts/{contact.json()['id']}", owner["token"]).status_code == 204
    api.put("/v1/notifications/invoice-preferences", {"legal_representatives": True, "kinds": ["issued", "paid"],
                                                      "extra_addresses": []}, owner["token"])
    eventually(lambda: [r["email"] for r in preferences(api, owner["token"])["recipients"]] == [owner["email"]],
               what="the contact gone from the recipients")
    credit = invoice(org, amount_minor=5000, kind="credit_note")
    billing_sends(tap, "InvoiceIssued", credit)
    mail = smtp.wait_for(owner["email"], f"Gutschrift {credit['number']}", timeout=60)
    assert "CHF 50.00" in mail["subject"] and "storniert" in mail["body"]
    assert smtp.to(contact_email, credit["number"]) == []


def test_BI_16_a_redelivered_invoice_event_is_mailed_once_and_others_cannot_be_named(api, smtp, tap):
    owner = api.customer_with_org(country="DE", language="it")
    known_administrator(api, owner)
    issued = invoice(owner["org_id"], amount_minor=999, currency="EUR")
    envelope = billing_sends(tap, "InvoiceIssued", issued)
    smtp.wait_for(owner["email"], f"Fattura {issued['number']}", timeout=60)
    tap.publish(envelope, "billing.InvoiceIssued")  # the same event again
    time.sleep(3)
    assert len(smtp.to(owner["email"], issued["number"])) == 1

    # another organization's member, an unknown kind, a hostile address: refused by name, nothing kept
    stranger = api.customer_with_org()
    for body, field in (({"members": [stranger["user_id"]]}, "members"), ({"kinds": ["refunded"]}, "kinds"),
                        ({"extra_addresses": ["x@example.test\r\nBcc: victim@example.test"]}, "extra_addresses"),
                        ({"contacts": ["boss"]}, "contacts")):
        refused = api.put("/v1/notifications/invoice-preferences", body, owner["token"])
        assert refused.status_code == 400, (field, refused.text)
        assert field in refused.text
    assert preferences(api, owner["token"])["updated_at"] is None
    # an event about another organization reaches nobody of this one
    billing_sends(tap, "InvoiceIssued", invoice(stranger["org_id"]))
    time.sleep(2)
    assert len(smtp.to(owner["email"], "Fattura")) == 1


def test_BI_16_ID_15_invoice_mails_go_through_the_organizations_own_server(api, smtp, tap, org_mail_server):
    server, password = org_mail_server
    owner = api.customer_with_org(country="CH", language="en")
    known_administrator(api, owner)
    settings = {"sender": "billing@acme.example.test", "host": "127.0.0.1", "port": server.controller.port,
                "starttls": True, "username": "acme-mailer", "password": password}
    assert api.put("/v1/notifications/smtp-server", settings, owner["token"]).status_code == 200
    issued = invoice(owner["org_id"], amount_minor=12345)
    billing_sends(tap, "InvoiceIssued", issued)
    mail = eventually(lambda: next((m for m in server.messages if owner["email"].lower() in m["to"]
                                    and issued["number"] in m["subject"]), None),
                      timeout=60, what="the invoice at the organization's server")
    assert mail["tls"] and "billing@acme.example.test" in mail["from"] and "CHF" in mail["subject"]
    assert "123.45" in mail["subject"] and smtp.to(owner["email"], issued["number"]) == []
    billing_sends(tap, "InvoicePaid", {"invoice_id": issued["invoice_id"], "org_id": owner["org_id"],
                                       "number": issued["number"], "total": issued["total"],
                                       "paid_at": "2026-03-09T09:00:00Z"})
    eventually(lambda: next((m for m in server.messages if f"Invoice {issued['number']} is paid" in m["subject"]), None),
               timeout=60, what="the payment confirmation at the organization's server")


def test_OR_15_a_deleted_organizations_contacts_and_preferences_are_forgotten(api, smtp, tap):
    owner = api.customer_with_org()
    org = owner["org_id"]
    known_administrator(api, owner)
    contact_email = unique_email("billing-contact")
    assert api.post(f"/v1/orgs/{org}/contacts", {"purpose": "billing", "name": "Billing", "email": contact_email},
                    owner["token"]).status_code == 201
    assert api.put("/v1/notifications/invoice-preferences", {"legal_representatives": False, "contacts": ["billing"]},
                   owner["token"]).status_code == 200
    eventually(lambda: [r["email"] for r in preferences(api, owner["token"])["recipients"]] == [contact_email],
               what="the contact among the recipients")
    fresh = api.post("/v1/auth/password-check", {"password": PASSWORD}, owner["token"]).json()["access_token"]
    eventually(lambda: api.delete(f"/v1/orgs/{org}", fresh).status_code == 204, what="the organization deleted")
    eventually(lambda: api.get("/v1/notifications/invoice-preferences", fresh).status_code == 403,
               what="notifications forgetting the organization")
    # a late event about the deleted organization finds nobody to mail
    billing_sends(tap, "InvoiceIssued", invoice(org))
    time.sleep(3)
    assert smtp.to(contact_email) == []


def test_BI_15_BI_16_an_order_placed_through_the_api_is_mailed_to_the_legal_representative_and_the_bookkeeper(api, smtp, tap):
    """Billing's own InvoiceIssued, from an order: mailed to the legal representative (the default)
    and, once the organization chooses them, to the members holding the accounting right on billing."""
    from tests.test_billing import billing_customer, hosting, order
    from tests.test_organizations import member_of

    owner = billing_customer(api, "DE")
    org = owner["org_id"]
    bookkeeper = member_of(api, tap, owner, "collaborator")
    grant = api.post(f"/v1/orgs/{org}/grants", {"holder": {"kind": "member", "id": bookkeeper["user_id"]},
                                                "scope": "type", "product_type": "billing", "rights": ["accounting"]},
                     owner["token"])
    assert grant.status_code == 201, grant.text
    known_administrator(api, owner)
    chosen = api.put("/v1/notifications/invoice-preferences", {"accounting": True}, owner["token"])
    assert chosen.status_code == 200 and chosen.json()["accounting"] is True, chosen.text
    eventually(lambda: {r["email"] for r in preferences(api, owner["token"])["recipients"]} == {owner["email"], bookkeeper["email"]},
               what="the bookkeeper among the recipients")

    placed = order(api, owner, hosting())
    assert placed.status_code == 201, placed.text
    number = placed.json()["invoice"]["number"]
    for person in (owner, bookkeeper):
        mail = smtp.wait_for(person["email"], number, timeout=60)
        assert number in mail["subject"] and ("EUR" in mail["subject"] or "€" in mail["subject"]), mail["subject"]

    # paid by card: the payment is confirmed to both, once each (billing's own InvoicePaid)
    invoice_id = placed.json()["invoice"]["id"]
    paid = api.http.post(api.url(f"/v1/billing/accounts/{org}/invoices/{invoice_id}/payments"),
                         json={"card_token": "tok_sandbox_ok"}, timeout=30,
                         headers={"Authorization": f"Bearer {owner['token']}", "Idempotency-Key": str(uuid.uuid4())})
    assert paid.status_code == 201, paid.text
    for person in (owner, bookkeeper):
        eventually(lambda: len(smtp.to(person["email"], number)) == 2, timeout=60, what="the payment confirmed by mail")

    # the right taken back: the next invoice reaches the legal representative only
    assert api.delete(f"/v1/orgs/{org}/grants/{grant.json()['id']}", owner["token"]).status_code == 204
    eventually(lambda: [r["email"] for r in preferences(api, owner["token"])["recipients"]] == [owner["email"]],
               what="the bookkeeper gone from the recipients")
    second = order(api, owner, hosting()).json()["invoice"]["number"]
    smtp.wait_for(owner["email"], second, timeout=60)
    time.sleep(2)
    assert smtp.to(bookkeeper["email"], second) == []
