"""Registering and transferring in domains through the API, paid through billing, carried out at the
sandbox registry `portico up` starts (DO-01 my domains, DO-02 register, DO-03 transfer in)."""
from __future__ import annotations

import uuid

import pytest

from tests.bus_tap import Tap
from tests.domains_helpers import (
    availability, fund, order_of, place_order, registered_domain, registrant, settled, unique_name,
)
from tests.helpers import eventually, problem
from tests.test_billing_payments import balance


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"domains-register-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def invoice_of(api, tap, customer, order_id: str) -> dict:
    """The order's invoice in billing, as the customer reads it."""
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"].get("reference") == f"domain-order:{order_id}")
    answer = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{issued['body']['payload']['invoice_id']}",
                     customer["token"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_DO_02_a_domain_is_registered_once_its_invoice_is_paid_from_the_prepaid_balance(api, tap):
    customer = api.customer_with_org(country="CH")
    domain = registered_domain(api, customer)
    assert domain["status"] == "active" and domain["auto_renew"] is True
    assert domain["expires_at"][:4] == str(int(domain["created_at"][:4]) + 1)
    placed = tap.wait_for(lambda b: b["type"] == "DomainOrderPlaced" and b["payload"]["domain"] == domain["name"])
    order_id = placed["body"]["payload"]["order_id"]
    assert placed["body"]["payload"]["kind"] == "registration"
    assert placed["body"]["payload"]["price"] == {"amount_minor": 1800, "currency": "CHF"}
    changed = tap.wait_for(lambda b: b["type"] == "DomainStateChanged" and b["payload"]["domain_id"] == domain["id"])
    assert changed["body"]["payload"]["status"] == "active"
    assert changed["body"]["payload"]["expires_on"] == domain["expires_at"][:10]
    tap.wait_for(lambda b: b["type"] == "ProductProvisioned" and b["payload"]["product_id"] == domain["id"]
                 and b["payload"]["product_type"] == "domain")
    invoice = invoice_of(api, tap, customer, order_id)
    assert invoice["status"] == "paid" and invoice["net"] == {"amount_minor": 1800, "currency": "CHF"}
    assert balance(api, customer) == 2340 - invoice["total"]["amount_minor"]
    listed = api.get("/v1/domains", customer["token"]).json()
    assert [d["name"] for d in listed] == [domain["name"]]
