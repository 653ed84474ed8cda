"""Renewals end to end (BI-11; BI-03, BI-10, BI-19 at a term's end; DO-07): billing's clock is moved
forward and its scheduler renews what is due, once, also with a second scheduler beside the stack's;
a domain's renewal is asked for on the bus as domains asks for it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date

import pytest

from portico_kernel import events
from tests.bus_tap import Tap
from tests.conftest import ROOT
from tests.helpers import eventually
from tests.test_billing import billing_customer, hosting, order
from tests.test_billing_payments import balance, ledger_balances_after_each_scenario, ledger_clerk, top_up  # noqa: F401 - the ledger balances after every scenario

LEAD_DAYS = 14  # services/billing/data/catalog.yaml `renewals.lead_days`


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"renewals-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def days_until(day: str) -> int:
    return (date.fromisoformat(day) - date.today()).days


def renewal_of(tap, subscription: dict, term_start: str, timeout: float = 60) -> dict:
    """The InvoiceIssued of a subscription's renewal for the term starting `term_start`."""
    reference = f"renewal:{subscription['id']}:{term_start}"
    return tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == reference,
                        timeout=timeout)["body"]["payload"]


def invoices_of(api, customer) -> list[dict]:
    answer = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices?limit=100", customer["token"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def subscription_of(api, customer, subscription) -> dict:
    answer = api.get(f"/v1/billing/accounts/{customer['org_id']}/subscriptions/{subscription['id']}", customer["token"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def paying_customer(api, minor: int) -> dict:
    customer = billing_customer(api, "CH")
    assert top_up(api, customer, minor).status_code in (200, 201)
    eventually(lambda: balance(api, customer) == minor, what="the topped-up balance")
    return customer


def test_BI_11_BI_10_a_monthly_plan_is_renewed_once_and_paid_from_the_prepaid_balance(api, tap, clock):
    customer = paying_customer(api, 5000)
    placed = order(api, customer, hosting("web-s", "monthly"))
    assert placed.status_code == 201, placed.text
    subscription = placed.json()["subscriptions"][0]
    renews_on = subscription["renews_on"]
    clock.ahead("billing", days=days_until(renews_on) - LEAD_DAYS + 1)
    issued = renewal_of(tap, subscription, renews_on)
    paid = tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"]["invoice_id"] == issued["invoice_id"])
    assert paid["body"]["payload"]["reference"] == f"renewal:{subscription['id']}:{renews_on}"
    invoice = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{issued['invoice_id']}",
                      customer["token"]).json()
    assert invoice["status"] == "paid"
    assert [line["net"]["amount_minor"] for line in invoice["lines"]] == [990]
    assert renews_on in invoice["lines"][0]["description"]
    assert balance(api, customer) == 5000 - invoice["total"]["amount_minor"]
    # the term's end passes: the next term begins, nothing is invoiced twice
    clock.ahead("billing", days=LEAD_DAYS)
    eventually(lambda: subscription_of(api, customer, subscription)["renews_on"] > renews_on, what="the next term")
    time.sleep(2)
    renewals = [i for i in invoices_of(api, customer) if any(f"{renews_on} to" in line["description"] for line in i["lines"])]
    assert [i["id"] for i in renewals] == [issued["invoice_id"]]


def test_BI_11_without_enough_balance_the_renewal_stays_open_for_its_payment_method(api, tap, clock):
    customer = billing_customer(api, "DE")
    subscription = order(api, customer, hosting("web-s")).json()["subscriptions"][0]
    clock.ahead("billing", days=days_until(subscription["renews_on"]) - LEAD_DAYS + 1)
    issued = renewal_of(tap, subscription, subscription["renews_on"])
    invoice = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{issued['invoice_id']}",
                      customer["token"]).json()
    assert invoice["status"] == "open" and invoice["outstanding"]["amount_minor"] == invoice["total"]["amount_minor"]


def test_BI_11_with_automatic_renewal_off_the_product_ends_with_its_term(api, tap, clock):
    customer = paying_customer(api, 5000)
    subscription = order(api, customer, hosting("web-s")).json()["subscriptions"][0]
    path = f"/v1/billing/accounts/{customer['org_id']}/subscriptions/{subscription['id']}"
    assert api.put(f"{path}/auto-renew", {"auto_renew": False}, customer["token"]).status_code == 200
    before = len(invoices_of(api, customer))
    clock.ahead("billing", days=days_until(subscription["renews_on"]) + 1)
    tap.wait_for(lambda b: b["type"] == "ProductRemoved" and b["payload"]["product_id"] == subscription["id"])
    ended = subscription_of(api, customer, subscription)
    assert (ended["status"], ended["ended_on"], ended["auto_renew"]) == ("ended", subscription["renews_on"], False)
    assert len(invoices_of(api, customer)) == before


def test_BI_03_a_scheduled_downgrade_takes_effect_with_the_next_term(api, tap, clock):
    customer = paying_customer(api, 10_000)
    subscription = order(api, customer, hosting("web-m", add_ons=["parallel-events"])).json()["subscriptions"][0]
    path = f"/v1/billing/accounts/{customer['org_id']}/subscriptions/{subscription['id']}"
    done = api.post(f"{path}/plan-changes", {"plan_id": "web-s"}, customer["token"])
    assert done.status_code == 200 and done.json()["subscription"]["next_plan_id"] == "web-s", done.text
    renews_on = subscription["renews_on"]
    clock.ahead("billing", days=days_until(renews_on) - LEAD_DAYS + 1)
    issued = renewal_of(tap, subscription, renews_on)
    invoice = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{issued['invoice_id']}",
                      customer["token"]).json()
    assert [line["net"]["amount_minor"] for line in invoice["lines"]] == [990, 500]  # S, and its add-on's price
    assert api.get(path, customer["token"]).json()["plan"]["id"] == "web-m"  # until the term's end
    clock.ahead("billing", days=LEAD_DAYS)
    renewed = eventually(lambda: (s := subscription_of(api, customer, subscription))["plan"]["id"] == "web-s" and s,
                         what="the downgrade in force")
    assert renewed["next_plan_id"] is None and renewed["renews_on"] > renews_on


def test_BI_05_BI_11_an_add_on_booked_once_the_next_term_is_invoiced_is_on_that_terms_invoice_anew(api, tap, clock):
    customer = paying_customer(api, 10_000)
    subscription = order(api, customer, hosting("web-s")).json()["subscriptions"][0]
    renews_on = subscription["renews_on"]
    clock.ahead("billing", days=days_until(renews_on) - LEAD_DAYS + 1)
    first = renewal_of(tap, subscription, renews_on)
    tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"]["invoice_id"] == first["invoice_id"])
    path = f"/v1/billing/accounts/{customer['org_id']}"
    booked = api.post(f"{path}/subscriptions/{subscription['id']}/add-ons", {"add_on_id": "daily-backup"},
                      customer["token"])
    assert booked.status_code == 201, booked.text
    reference = f"renewal:{subscription['id']}:{renews_on}:2"
    again = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == reference)
    invoice = api.get(f"{path}/invoices/{again['body']['payload']['invoice_id']}", customer["token"]).json()
    assert [line["net"]["amount_minor"] for line in invoice["lines"]] == [990, 300]
    assert invoice["status"] == "paid"
    assert api.get(f"{path}/invoices/{first['invoice_id']}", customer["token"]).json()["status"] == "refunded"


def test_BI_11_a_second_scheduler_beside_the_stacks_invoices_no_term_twice(api, tap, clock):
    customers = [paying_customer(api, 20_000) for _ in range(3)]
    subscriptions = []
    for customer in customers:
        placed = order(api, customer, hosting("web-s"), hosting("web-m"), {"product_id": "mail", "plan_id": "mail-s"})
        assert placed.status_code == 201, placed.text
        subscriptions += [(customer, s) for s in placed.json()["subscriptions"]]
    second = subprocess.Popen([sys.executable, "-m", "services.billing.entrypoints.scheduler"], cwd=ROOT,
                              env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        time.sleep(2)
        clock.ahead("billing", days=days_until(subscriptions[0][1]["renews_on"]) - LEAD_DAYS + 1)
        for _, subscription in subscriptions:
            renewal_of(tap, subscription, subscription["renews_on"])
        time.sleep(3)  # both schedulers have had further rounds
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    tap.drain(1.0)
    for customer in customers:
        assert len(invoices_of(api, customer)) == 4  # the order's, and one renewal of each of its three products
    references = [m["body"]["payload"].get("reference") for m in tap.messages if m["body"]["type"] == "InvoiceIssued"]
    for _, subscription in subscriptions:
        assert references.count(f"renewal:{subscription['id']}:{subscription['renews_on']}") == 1


def domain_renewal(customer, domain_id: str, expires_on: str, minor: int = 1800) -> dict:
    return events.Envelope(type="DomainRenewalRequested", producer="domains", org_id=customer["org_id"], payload={
        "org_id": customer["org_id"], "domain_id": domain_id, "domain": "muster-renewal.ch", "years": 1,
        "price": {"amount_minor": minor, "currency": "CHF"}, "expires_on": expires_on}).to_dict()


def test_DO_07_a_domain_renewal_is_invoiced_once_per_term_and_its_payment_names_it(api, tap):
    customer = paying_customer(api, 5000)
    domain_id = str(uuid.uuid4())
    reference = f"domain-renewal:{domain_id}:2027-01-15"
    tap.publish(domain_renewal(customer, domain_id, "2027-01-15"), "domains.DomainRenewalRequested")
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == reference)
    invoice_id = issued["body"]["payload"]["invoice_id"]
    paid = tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"]["invoice_id"] == invoice_id)
    assert paid["body"]["payload"]["reference"] == reference
    invoice = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice_id}", customer["token"]).json()
    assert invoice["status"] == "paid" and "muster-renewal.ch" in invoice["lines"][0]["description"]
    assert invoice["net"]["amount_minor"] == 1800
    # the same term asked for again (another event): nothing more; the next term: its own invoice
    tap.publish(domain_renewal(customer, domain_id, "2027-01-15"), "domains.DomainRenewalRequested")
    next_reference = f"domain-renewal:{domain_id}:2028-01-15"
    tap.publish(domain_renewal(customer, domain_id, "2028-01-15"), "domains.DomainRenewalRequested")
    tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == next_reference)
    domain_invoices = [i for i in invoices_of(api, customer) if "muster-renewal.ch" in i["lines"][0]["description"]]
    assert len(domain_invoices) == 2


def test_DO_07_without_enough_balance_the_domains_invoice_stays_open_until_it_is_paid(api, tap):
    customer = billing_customer(api, "CH")
    domain_id = str(uuid.uuid4())
    reference = f"domain-renewal:{domain_id}:2027-03-01"
    tap.publish(domain_renewal(customer, domain_id, "2027-03-01"), "domains.DomainRenewalRequested")
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == reference)
    invoice_id = issued["body"]["payload"]["invoice_id"]
    invoice = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice_id}", customer["token"]).json()
    assert invoice["status"] == "open"
    # paid by card later: InvoicePaid names the renewal, for domains to renew at the registry
    headers = {"Authorization": f"Bearer {customer['token']}", "Idempotency-Key": str(uuid.uuid4())}
    answer = api.http.post(api.url(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice_id}/payments"),
                           json={"card_token": "tok_sandbox_ok"}, headers=headers, timeout=60)
    assert answer.status_code in (200, 201), answer.text
    paid = tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"]["invoice_id"] == invoice_id)
    assert paid["body"]["payload"]["reference"] == reference
