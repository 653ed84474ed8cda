"""Dunning end to end (BI-06, BI-08, BI-16): a customer orders and does not pay; as billing's clock
moves past the due date, billing's scheduler sends reminders at the configured days (3 and 14 days,
services/billing/data/catalog.yaml), each level once, which notifications mails in the customer's
language to whom the invoice preferences name; on the day announced the service is suspended and
shows so in my services; paying the invoice resumes it."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

import pytest

from portico_kernel.events import validate
from tests.bus_tap import Tap
from tests.helpers import eventually, problem, unique_email
from tests.test_billing_payments import (  # noqa: F401 - the ledger balances after every scenario
    account_of, ledger_balances_after_each_scenario, ledger_clerk, ordered, pay, top_up,
)
from tests.test_notification_preferences import billing_sends, known_administrator, preferences


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"dunning-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def event(tap, event_type: str, timeout: float = 60, **fields) -> dict:
    """The event of that type whose payload has these fields, checked against its schema."""
    message = tap.wait_for(lambda body: body.get("type") == event_type
                           and all(body["payload"].get(k) == v for k, v in fields.items()), timeout=timeout)
    validate(message["body"])
    return message["body"]["payload"]


def events(tap, event_type: str, **fields) -> list[dict]:
    tap.drain(1.0)
    return [m["body"]["payload"] for m in tap.messages if m["body"].get("type") == event_type
            and all(m["body"]["payload"].get(k) == v for k, v in fields.items())]


def service_status(api, customer, subscription_id: str) -> str:
    answer = api.get(f"/v1/billing/accounts/{customer['org_id']}/subscriptions/{subscription_id}", customer["token"])
    assert answer.status_code == 200, answer.text
    return answer.json()["status"]


def days_after(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def test_BI_16_BI_06_reminders_in_the_customers_language_then_suspension_and_payment_resumes(api, smtp, tap, clock):
    customer = api.customer_with_org(country="DE", language="de")
    known_administrator(api, customer)
    # BI-16: an extra address in the preferences, in French; the organization chose only issued-invoice
    # mails, but what is owed reaches whom the preferences name all the same
    extra = unique_email("treuhand")
    chosen = api.put("/v1/notifications/invoice-preferences",
                     {"legal_representatives": True, "extra_addresses": [extra], "language": "fr", "kinds": ["issued"]},
                     customer["token"])
    assert chosen.status_code == 200, chosen.text
    eventually(lambda: extra in {r["email"] for r in preferences(api, customer["token"])["recipients"]},
               what="the extra address among the recipients")
    invoice = ordered(api, customer)
    number, due_on, total = invoice["number"], invoice["due_on"], invoice["total"]["amount_minor"]
    subscription = invoice["subscriptions"][0]["id"]
    assert invoice["payment_reference"]

    clock.ahead("billing", days=(date.fromisoformat(due_on) - date.fromisoformat(invoice["issued_on"])).days + 3)
    first = event(tap, "InvoiceOverdue", invoice_id=invoice["id"], level=1)
    assert first["outstanding"] == {"amount_minor": total, "currency": "EUR"} and first["due_on"] == due_on
    assert first["suspend_on"] == days_after(due_on, 30) and first["payment_reference"] == invoice["payment_reference"]
    mail = smtp.wait_for(customer["email"], f"Zahlungserinnerung: Rechnung {number}", timeout=60)
    assert "Vielleicht ist es Ihnen entgangen" in mail["body"]  # polite at the first level
    assert invoice["payment_reference"] in mail["body"] and "gesperrt" in mail["body"]
    assert f"EUR\xa0{total // 100}.{total % 100:02d}" in mail["body"]  # as German Switzerland writes it
    french = smtp.wait_for(extra, f"Rappel : la facture {number}", timeout=60)
    assert invoice["payment_reference"] in french["body"]
    assert service_status(api, customer, subscription) == "active"

    clock.ahead("billing", days=11)  # due + 14
    second = event(tap, "InvoiceOverdue", invoice_id=invoice["id"], level=2)
    assert second["suspend_on"] == days_after(due_on, 30)
    smtp.wait_for(customer["email"], f"2. Mahnung: Rechnung {number}", timeout=60)

    clock.ahead("billing", days=16)  # due + 30: the day announced
    suspended = event(tap, "ServiceSuspended", product_id=subscription)
    assert (suspended["invoice_id"], suspended["product_type"], suspended["reason"]) == (
        invoice["id"], "hosting", "unpaid_invoice")
    assert eventually(lambda: service_status(api, customer, subscription) == "suspended", what="the service suspended")
    listed = api.get(f"/v1/billing/accounts/{customer['org_id']}/subscriptions?status=suspended", customer["token"])
    assert [s["id"] for s in listed.json()] == [subscription]
    smtp.wait_for(customer["email"], "ist gesperrt", timeout=60)
    # an upgrade does not make a suspended service serve again
    refused = api.post(f"/v1/billing/accounts/{customer['org_id']}/subscriptions/{subscription}/plan-change-previews",
                       {"plan_id": "web-m"}, customer["token"])
    assert problem(refused, 409)["type"].endswith("subscription-suspended")

    clock.ahead("billing", days=20)  # no level comes twice, nothing is suspended twice
    time.sleep(3)
    assert [e["level"] for e in events(tap, "InvoiceOverdue", invoice_id=invoice["id"])] == [1, 2]
    assert len(events(tap, "ServiceSuspended", product_id=subscription)) == 1
    assert len(smtp.to(customer["email"], f"Rechnung {number}")) >= 2
    assert len(smtp.to(customer["email"], f"Zahlungserinnerung: Rechnung {number}")) == 1

    # paid by card: the service resumes
    paid = pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"})
    assert paid.status_code in (200, 201), paid.text
    resumed = event(tap, "ServiceResumed", product_id=subscription)
    assert resumed["subscription_id"] == subscription and resumed["product_type"] == "hosting"
    assert service_status(api, customer, subscription) == "active"


def test_BI_16_two_schedulers_remind_once_and_a_paid_invoice_is_not_reminded_of(api, smtp, tap, clock):
    """Billing's scheduler may run with several replicas: each step of an invoice is taken by one."""
    late, prompt = api.customer_with_org(country="CH", language="it"), api.customer_with_org(country="CH", language="en")
    unpaid, settled = ordered(api, late), ordered(api, prompt)
    assert top_up(api, prompt, settled["total"]["amount_minor"]).status_code == 201
    assert pay(api, prompt, settled, {"prepaid_amount_minor": settled["total"]["amount_minor"]}).status_code in (200, 201)
    extra = [subprocess.Popen([sys.executable, "-m", "services.billing.entrypoints.scheduler"], env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        time.sleep(2)
        clock.ahead("billing", days=34)
        event(tap, "InvoiceOverdue", invoice_id=unpaid["id"], level=1)
        smtp.wait_for(late["email"], f"Promemoria: la fattura {unpaid['number']}", timeout=60)
        time.sleep(4)  # a second reminder, if any scheduler sent one, would be here by now
        assert len(events(tap, "InvoiceOverdue", invoice_id=unpaid["id"])) == 1
        assert events(tap, "InvoiceOverdue", invoice_id=settled["id"]) == []
        assert len(smtp.to(late["email"], f"Promemoria: la fattura {unpaid['number']}")) == 1
    finally:
        for process in extra:
            process.terminate()
        for process in extra:
            process.wait(timeout=30)
    # paid from the prepaid balance after the reminder: no more reminders
    assert top_up(api, late, unpaid["total"]["amount_minor"]).status_code == 201
    assert pay(api, late, unpaid, {"prepaid_amount_minor": unpaid["total"]["amount_minor"]}).status_code in (200, 201)
    clock.ahead("billing", days=30)
    time.sleep(3)
    assert len(events(tap, "InvoiceOverdue", invoice_id=unpaid["id"])) == 1
    assert events(tap, "ServiceSuspended", invoice_id=unpaid["id"]) == []


def test_BI_08_BI_16_a_returned_direct_debit_is_mailed_in_the_customers_language(api, smtp, tap):
    customer = api.customer_with_org(country="DE", language="fr")
    known_administrator(api, customer)
    number = f"EUR-2026-{uuid.uuid4().int % 10**6:06d}"
    billing_sends(tap, "DirectDebitReturned", {
        "invoice_id": str(uuid.uuid4()), "org_id": customer["org_id"], "number": number,
        "amount": {"amount_minor": 2970, "currency": "EUR"}, "reason_code": "AC04", "reason": "Compte clôturé",
        "returned_on": "2026-06-05"})
    mail = smtp.wait_for(customer["email"], f"Le prélèvement de la facture {number} a été rejeté", timeout=60)
    assert "AC04" in mail["body"] and "29,70" in mail["body"] and "5 juin 2026" in mail["body"]
