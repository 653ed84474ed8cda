"""A domain's life in time, end to end (DO-04 … DO-07): the domains scheduler `portico up` starts reminds
the owners before and after expiry, asks billing for renewals, renews at the sandbox registry once they
are paid (or, under the renewal warranty, without waiting for the payment), and moves expired domains
through grace, redemption and release; a domain in redemption is restored through an order. The
domains clock and the sandbox registry's are moved together; a second scheduler beside the stack's
sends and renews nothing twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timezone

import pytest

from services.domains.adapters.epp.client import EppClient, EppSettings
from tests.bus_tap import Tap
from tests.conftest import ROOT, SANDBOX_REGISTRY_PORT
from tests.domains_helpers import fund, registered_domain, settled, with_vat
from tests.helpers import bearer, eventually, problem


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"domains-lifecycle-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def today() -> date:
    return datetime.now(timezone.utc).date()


def expiry_of(domain: dict) -> date:
    return date.fromisoformat(domain["expires_at"][:10])


def move_to(clock, domain: dict, days_from_expiry: int, moved: list) -> None:
    """Both clocks (domains' and the sandbox registry's) to `days_from_expiry` days from the domain's
    expiry (negative: before it), counted from where they stand."""
    days = (expiry_of(domain) - today()).days + days_from_expiry - moved[0]
    clock.ahead("domains", days=days)
    clock.ahead("sandbox-registry", days=days)
    moved[0] += days


def registrar() -> EppClient:
    certificate = os.path.join(os.environ["PORTICO_DATA_DIR"], "sandbox-registry", "certificate.pem")
    return EppClient(EppSettings(host="127.0.0.1", port=SANDBOX_REGISTRY_PORT, client_id="portico",
                                 password="portico-sandbox", ca_file=certificate, server_hostname="localhost",
                                 timeout=15))


def at_registry(name: str):
    client = registrar()
    try:
        return client.domain_info(name)
    finally:
        client.close()


def of_domain(tap, kind: str, domain: dict) -> list[dict]:
    return [m["body"]["payload"] for m in tap.messages
            if m["body"]["type"] == kind and m["body"]["payload"].get("domain_id") == domain["id"]]


def domain_now(api, customer, domain: dict) -> dict:
    answer = api.get(f"/v1/domains/{domain['id']}", customer["token"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def with_status(api, customer, domain: dict, status: str, timeout: float = 60) -> dict:
    return eventually(lambda: (d := domain_now(api, customer, domain))["status"] == status and d,
                      timeout=timeout, what=f"{domain['name']} {status}")


def auto_renew_off(api, customer, domain: dict) -> None:
    answer = api.http.patch(api.url(f"/v1/domains/{domain['id']}"), json={"auto_renew": False},
                            headers=bearer(customer["token"]), timeout=30)
    assert answer.status_code == 200, answer.text


def invoices_of(api, customer) -> list[dict]:
    answer = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices?limit=100", customer["token"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def second_scheduler() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.domains.entrypoints.scheduler"], cwd=ROOT,
                            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def test_DO_04_DO_07_owners_hear_30_and_7_days_before_expiry_once_each_with_a_second_scheduler_beside(api, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)
    moved = [0]
    second = second_scheduler()
    try:
        time.sleep(2)  # the second scheduler is up and scanning
        move_to(clock, domain, -30, moved)
        first = tap.wait_for(lambda b: b["type"] == "DomainExpiring" and b["payload"]["domain_id"] == domain["id"])
        payload = first["body"]["payload"]
        assert payload["notice"] == "before_30" and payload["expires_on"] == domain["expires_at"][:10]
        assert payload["auto_renew"] is True and payload["renewal_warranty"] is False
        move_to(clock, domain, -14, moved)   # DO-07: the renewal window opens (automatic renewal is on)
        tap.wait_for(lambda b: b["type"] == "DomainRenewalRequested" and b["payload"]["domain_id"] == domain["id"])
        move_to(clock, domain, -7, moved)
        tap.wait_for(lambda b: b["type"] == "DomainExpiring" and b["payload"]["domain_id"] == domain["id"]
                     and b["payload"]["notice"] == "before_7")
        time.sleep(3)  # both schedulers have had further rounds
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    tap.drain(1.0)
    assert [p["notice"] for p in of_domain(tap, "DomainExpiring", domain)] == ["before_30", "before_7"]
    asked = of_domain(tap, "DomainRenewalRequested", domain)
    assert len(asked) == 1 and asked[0]["expires_on"] == domain["expires_at"][:10]
    assert asked[0]["price"] == {"amount_minor": 1800, "currency": "CHF"}

    def mailed():
        answer = api.get("/v1/notifications/org-emails?kind=domain-expiring", customer["token"])
        assert answer.status_code == 200, answer.text
        found = [e for e in answer.json() if domain["name"] in e["subject"]]
        return len(found) == 2 and found
    mails = eventually(mailed, what="the owners' reminders")
    assert {m["recipient"] for m in mails} == {customer["email"]}


def test_DO_07_a_paid_renewal_renews_at_the_registry_once_and_keeps_the_new_expiry(api, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer, tld="com")
    fund(api, customer, with_vat(1900))
    moved = [0]
    move_to(clock, domain, -14, moved)
    expires = expiry_of(domain)
    renewed_until = expires.replace(year=expires.year + 1)
    changed = tap.wait_for(lambda b: b["type"] == "DomainStateChanged" and b["payload"]["domain_id"] == domain["id"]
                           and b["payload"]["expires_on"] == renewed_until.isoformat(), timeout=90)
    assert changed["body"]["payload"]["status"] == "active"
    paid = tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"].get("reference")
                        == f"domain-renewal:{domain['id']}:{expires.isoformat()}")
    assert paid["body"]["payload"]["org_id"] == customer["org_id"]
    assert expiry_of(domain_now(api, customer, domain)) == renewed_until
    assert at_registry(domain["name"]).expires_at.date() == renewed_until   # EPP renew, with the current expiry
    move_to(clock, domain, -7, moved)   # the old expiry's reminders no longer apply
    time.sleep(3)
    tap.drain(1.0)
    assert [p["notice"] for p in of_domain(tap, "DomainExpiring", domain)] == ["before_30"]
    assert len(of_domain(tap, "DomainRenewalRequested", domain)) == 1
    assert at_registry(domain["name"]).expires_at.date() == renewed_until   # renewed once


def test_DO_05_in_the_grace_the_customer_renews_at_the_normal_price(api, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer, tld="com")
    auto_renew_off(api, customer, domain)
    moved = [0]
    move_to(clock, domain, 3, moved)
    expired = with_status(api, customer, domain, "expired")
    assert expiry_of(expired) == expiry_of(domain)
    after = tap.wait_for(lambda b: b["type"] == "DomainExpiring" and b["payload"]["domain_id"] == domain["id"]
                         and b["payload"]["notice"] == "after_expiry")
    assert after["body"]["payload"]["restore_by"] is not None
    fund(api, customer, with_vat(1900))
    answer = api.post(f"/v1/domains/{domain['id']}/renewals", {}, customer["token"])
    assert answer.status_code == 202, answer.text
    assert answer.json()["price"] == {"amount_minor": 1900, "currency": "CHF"}
    again = api.post(f"/v1/domains/{domain['id']}/renewals", {}, customer["token"])
    assert again.status_code == 200 and again.json()["reference"] == answer.json()["reference"]
    renewed = with_status(api, customer, domain, "active")
    expires = expiry_of(domain)
    assert expiry_of(renewed) == expires.replace(year=expires.year + 1)
    tap.wait_for(lambda b: b["type"] == "DomainStateChanged" and b["payload"]["domain_id"] == domain["id"]
                 and b["payload"]["expires_on"] == expiry_of(renewed).isoformat())
    assert [p["status"] for p in of_domain(tap, "DomainStateChanged", domain)][-2:] == ["expired", "active"]


def test_DO_05_a_domain_in_redemption_is_restored_through_an_order_with_the_restore_fee(api, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)
    auto_renew_off(api, customer, domain)
    early = api.post(f"/v1/domains/{domain['id']}/restore", None, customer["token"])
    assert "redemption period" in problem(early, 409)["detail"]
    moved = [0]
    move_to(clock, domain, 2, moved)   # .ch: no auto-renew grace, redemption from the expiry day
    with_status(api, customer, domain, "redemption")
    assert "pendingDelete" in at_registry(domain["name"]).statuses   # deleted at the registry
    fund(api, customer, with_vat(5000 + 1800))
    answer = api.post(f"/v1/domains/{domain['id']}/restore", None, customer["token"])
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert order["kind"] == "restore" and order["price"] == {"amount_minor": 6800, "currency": "CHF"}
    placed = tap.wait_for(lambda b: b["type"] == "DomainOrderPlaced" and b["payload"]["order_id"] == order["id"])
    assert placed["body"]["payload"]["kind"] == "restore"
    assert settled(api, customer, order["id"], timeout=90)["status"] == "completed"
    restored = with_status(api, customer, domain, "active")
    assert expiry_of(restored) > expiry_of(domain)
    info = at_registry(domain["name"])
    assert "pendingDelete" not in info.statuses and info.expires_at.date() == expiry_of(restored)
    tap.wait_for(lambda b: b["type"] == "DomainStateChanged" and b["payload"]["domain_id"] == domain["id"]
                 and b["payload"]["expires_on"] == expiry_of(restored).isoformat())
    assert [p["status"] for p in of_domain(tap, "DomainStateChanged", domain)][-2:] == ["redemption", "active"]


def test_DO_05_DO_07_a_renewal_not_paid_before_redemption_is_withdrawn_and_its_invoice_cancelled(api, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)   # auto-renew on, and too little on the balance to pay it
    moved = [0]
    move_to(clock, domain, -14, moved)
    expires = expiry_of(domain)
    reference = f"domain-renewal:{domain['id']}:{expires.isoformat()}"
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == reference,
                          timeout=90)
    invoice_id = issued["body"]["payload"]["invoice_id"]
    invoice_url = f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice_id}"
    assert api.get(invoice_url, customer["token"]).json()["status"] == "open"
    move_to(clock, domain, 2, moved)   # .ch: redemption from the expiry day; only a restore brings it back
    with_status(api, customer, domain, "redemption")
    withdrawn = tap.wait_for(lambda b: b["type"] == "DomainRenewalWithdrawn" and b["payload"]["domain_id"] == domain["id"])
    assert withdrawn["body"]["payload"]["expires_on"] == expires.isoformat()
    eventually(lambda: api.get(invoice_url, customer["token"]).json()["status"] == "cancelled",
               what="the unpaid renewal's invoice cancelled")


def test_DO_05_a_domain_not_restored_is_released_and_no_longer_a_product(api, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)
    auto_renew_off(api, customer, domain)
    moved = [0]
    move_to(clock, domain, 36, moved)   # .ch: 35 days of redemption, no pending delete
    with_status(api, customer, domain, "released")
    tap.wait_for(lambda b: b["type"] == "ProductRemoved" and b["payload"]["product_id"] == domain["id"])
    tap.wait_for(lambda b: b["type"] == "DomainStateChanged" and b["payload"]["domain_id"] == domain["id"]
                 and b["payload"]["status"] == "released")
    assert [p["status"] for p in of_domain(tap, "DomainStateChanged", domain)][-2:] == ["redemption", "released"]
    late = api.post(f"/v1/domains/{domain['id']}/restore", None, customer["token"])
    assert "redemption period" in problem(late, 409)["detail"]


def test_DO_06_the_renewal_warranty_renews_a_domain_whose_renewal_is_not_paid(api, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)
    auto_renew_off(api, customer, domain)
    answer = api.put(f"/v1/domains/{domain['id']}/renewal-warranty", {"renewal_warranty": True}, customer["token"])
    assert answer.status_code == 200 and answer.json()["renewal_warranty"] is True, answer.text
    moved = [0]
    move_to(clock, domain, -1, moved)   # .ch: the day before expiry
    expires = expiry_of(domain)
    changed = tap.wait_for(lambda b: b["type"] == "DomainStateChanged" and b["payload"]["domain_id"] == domain["id"]
                           and b["payload"]["expires_on"] == expires.replace(year=expires.year + 1).isoformat(),
                           timeout=90)
    assert changed["body"]["payload"]["status"] == "active"
    tap.wait_for(lambda b: b["type"] == "DomainRenewalRequested" and b["payload"]["domain_id"] == domain["id"])
    asked = of_domain(tap, "DomainRenewalRequested", domain)
    assert len(asked) == 1 and asked[0]["price"] == {"amount_minor": 1800 + 400, "currency": "CHF"}   # with the warranty's fee
    reference = f"domain-renewal:{domain['id']}:{expires.isoformat()}"
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == reference)
    invoice = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{issued['body']['payload']['invoice_id']}",
                      customer["token"]).json()
    assert invoice["status"] == "open"   # not paid: renewed all the same, the invoice stays open
    move_to(clock, domain, 3, moved)
    time.sleep(3)
    assert domain_now(api, customer, domain)["status"] == "active"


def test_DO_05_DO_06_DO_07_another_organizations_domain_is_not_found_and_hostile_input_is_refused(api):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)
    stranger = api.customer_with_org(country="CH")
    for method, path, body in (("put", "renewal-warranty", {"renewal_warranty": True}), ("post", "renewals", {}),
                               ("post", "restore", None)):
        answer = getattr(api, method)(f"/v1/domains/{domain['id']}/{path}", body, stranger["token"])
        assert answer.status_code == 404, (path, answer.text)
        missing = getattr(api, method)(f"/v1/domains/{uuid.uuid4()}/{path}", body, customer["token"])
        assert missing.status_code == 404, (path, missing.text)
    wrong = api.put(f"/v1/domains/{domain['id']}/renewal-warranty", {"renewal_warranty": "yes"}, customer["token"])
    assert problem(wrong, 400) and "renewal_warranty" in wrong.text
    too_long = api.post(f"/v1/domains/{domain['id']}/renewals", {"years": 3}, customer["token"])
    assert problem(too_long, 400) and too_long.json()["invalid_params"][0]["name"] == "years"
    assert domain_now(api, customer, domain)["renewal_warranty"] is False


def test_DO_02_DO_03_DO_07_a_partly_paid_invoice_withdrawn_is_cancelled_and_the_part_paid_goes_to_the_balance(
        api, tap, clock):
    """What billing does when domains withdraws what it ordered (DomainOrderFailed, DomainRenewalWithdrawn)
    and the invoice is partly paid: it is cancelled with a credit note, what was paid is back on the
    prepaid balance, and the ledger balances. (An order is only carried out at the registry once its
    invoice is paid in full, so the partly paid invoice a withdrawal meets is a renewal's.)"""
    from tests.test_billing_payments import Clerk, balance, pay, top_up
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)
    moved = [0]
    move_to(clock, domain, -14, moved)
    expires = expiry_of(domain)
    reference = f"domain-renewal:{domain['id']}:{expires.isoformat()}"
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == reference,
                          timeout=90)
    invoice = {"id": issued["body"]["payload"]["invoice_id"]}
    invoice_url = f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}"
    assert top_up(api, customer, 500).status_code == 201
    eventually(lambda: balance(api, customer) >= 500, what="the topped-up balance")
    before = balance(api, customer)
    part = pay(api, customer, invoice, {"prepaid_amount_minor": 500})
    assert part.status_code == 201, part.text
    assert api.get(invoice_url, customer["token"]).json()["status"] == "partially_paid"
    assert balance(api, customer) == before - 500
    move_to(clock, domain, 2, moved)   # .ch: redemption from the expiry day; the renewal is withdrawn
    with_status(api, customer, domain, "redemption")
    eventually(lambda: api.get(invoice_url, customer["token"]).json()["status"] == "cancelled",
               what="the partly paid renewal's invoice cancelled")
    eventually(lambda: balance(api, customer) == before, what="the part payment back on the balance")
    notes = [i for i in invoices_of(api, customer) if i.get("credit_note_of") == issued["body"]["payload"]["number"]]
    assert len(notes) == 1 and notes[0]["total"]["amount_minor"] == -issued["body"]["payload"]["total"]["amount_minor"]
    clerk = Clerk(api)
    check = eventually(lambda: (c := clerk.ledger())["balanced"] and c, timeout=15, what="a balanced ledger")
    assert check["unbalanced_postings"] == 0 and all(v == 0 for v in check["trial_balance"].values())
