"""Billing's documents through the API: an invoice's PDF only once paid, in the organization's
language (BI-13), pro-forma invoices of no legal value (BI-14), quotes with status, accepted into an
order and downloadable (BI-07), and a set of invoices as CSV, downloaded or emailed (BI-13)."""
from __future__ import annotations

import csv
import io
import re
import uuid

from tests.helpers import eventually, problem
from tests.test_notifications import emails
from tests.test_billing_payments import (  # noqa: F401 - fixtures: the clerk, the ledger's check, the bus
    clerk, ledger_balances_after_each_scenario, ledger_clerk, account_of, ordered, pay, tap)
from tests.unit.test_billing_documents import text_of

SWISS = {"name": "Muster Hosting GmbH", "type": "company", "vat_id": "CHE-116.281.710 MWST", "address": {
    "street": "Bahnhofstrasse", "house_number": "1", "postcode": "8001", "town": "Zürich", "country": "CH"}}
FRENCH = {"name": "Atelier Exemple SARL", "type": "company", "address": {
    "street": "Rue de la Paix", "house_number": "2", "postcode": "75002", "town": "Paris", "country": "FR"}}
HOSTING = {"product_id": "web-hosting", "plan_id": "web-s", "frequency": "monthly"}


def customer_with_details(api, details) -> dict:
    customer = api.customer_with_org(country=details["address"]["country"])
    account_of(api, customer)
    changed = api.http.patch(api.url(f"/v1/orgs/{customer['org_id']}"), json=details,
                             headers={"Authorization": f"Bearer {customer['token']}"}, timeout=30)
    assert changed.status_code == 200, changed.text
    eventually(lambda: api.post(f"/v1/billing/accounts/{customer['org_id']}/checkout", {"items": [HOSTING]},
                                customer["token"]).json().get("net", {}).get("currency")
               == ("CHF" if details["address"]["country"] == "CH" else "EUR"), what="billing knowing the details")

    def named():  # the details reach billing's account (the invoice names them)
        doc = api.post(f"/v1/billing/accounts/{customer['org_id']}/pro-forma-invoices", {"items": [HOSTING]},
                       customer["token"])
        return doc.status_code == 200 and details["name"] in text_of(doc.content)
    eventually(named, what="billing naming the organization")
    return customer


def test_BI_13_an_invoice_is_downloaded_only_once_paid_in_the_organizations_language(api):
    customer = customer_with_details(api, FRENCH)
    invoice = ordered(api, customer)
    path = f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/document"
    assert problem(api.get(path, customer["token"]), 409)["type"].endswith("/invoice-not-paid")
    assert pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"}).status_code == 201
    document = api.get(path, customer["token"])
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    shown = text_of(document.content)
    assert f"Facture {invoice['number']}" in shown  # French, from the organization's country
    for required in ("Atelier Exemple SARL", "Rue de la Paix 2", "75002 Paris", "France", invoice["supplier"]["name"],
                     invoice["supplier"]["vat_id"], "20 %", "Date d'émission"):
        assert required in shown, required
    german = text_of(api.get(path, customer["token"], params={"language": "de"}).content)
    assert f"Rechnung {invoice['number']}" in german and "Frankreich" in german
    assert api.get(path, customer["token"], params={"language": "xx"}).status_code == 400
    stranger = api.customer_with_org()
    assert api.get(path, stranger["token"]).status_code == 404


def test_BI_14_a_pro_forma_for_selected_products_has_no_legal_value_and_orders_nothing(api):
    customer = customer_with_details(api, SWISS)
    org = customer["org_id"]
    answer = api.post(f"/v1/billing/accounts/{org}/pro-forma-invoices",
                      {"items": [HOSTING, {"product_id": "premium-support", "plan_id": "support-business"}],
                       "language": "it"}, customer["token"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf", answer.text
    shown = text_of(answer.content)
    assert "Fattura pro forma" in shown and "NON È UNA FATTURA" in shown and "valore legale" in shown
    assert "Muster Hosting GmbH" in shown and "CHE-116.281.710 MWST" in shown and re.search(r"8[.,]1 %", shown)
    assert api.get(f"/v1/billing/accounts/{org}/invoices", customer["token"]).json() == []
    assert api.get(f"/v1/billing/accounts/{org}/subscriptions", customer["token"]).json() == []
    refused = api.post(f"/v1/billing/accounts/{org}/pro-forma-invoices", {"items": [{"product_id": "nope",
                                                                                     "plan_id": "x"}]},
                       customer["token"])
    assert [p["name"] for p in problem(refused, 400)["invalid_params"]] == ["items[0].product_id"]


def test_BI_07_quotes_with_status_accepted_into_an_order_and_downloadable(api, clerk):
    customer = customer_with_details(api, SWISS)
    org = customer["org_id"]
    offered = api.post(f"/v1/billing/accounts/{org}/quotes", {"items": [HOSTING], "valid_days": 14}, clerk.bearer())
    assert offered.status_code == 201, offered.text
    quote = offered.json()
    assert quote["status"] == "open" and quote["number"].startswith("Q-") and quote["total"]["currency"] == "CHF"
    assert api.post(f"/v1/billing/accounts/{org}/quotes", {"items": [HOSTING]}, customer["token"]).status_code == 403
    second = api.post(f"/v1/billing/accounts/{org}/quotes", {"items": [HOSTING]}, clerk.bearer()).json()
    listed = api.get(f"/v1/billing/accounts/{org}/quotes", customer["token"])
    assert [q["id"] for q in listed.json()] == [second["id"], quote["id"]]
    document = api.get(f"/v1/billing/accounts/{org}/quotes/{quote['id']}/document", customer["token"])
    shown = text_of(document.content)
    assert f"Offerte {quote['number']}" in shown and "Gültig bis" in shown and "keine Rechnung" in shown

    accepted = api.post(f"/v1/billing/accounts/{org}/quotes/{quote['id']}/acceptance", None, customer["token"])
    assert accepted.status_code == 201, accepted.text
    order = accepted.json()["order"]
    assert accepted.json()["quote"]["status"] == "accepted"
    assert order["invoice"]["total"] == quote["total"] and accepted.json()["quote"]["invoice_id"] == order["invoice"]["id"]
    assert [s["plan"]["id"] if isinstance(s.get("plan"), dict) else s.get("plan_id") for s in order["subscriptions"]]
    again = api.post(f"/v1/billing/accounts/{org}/quotes/{quote['id']}/acceptance", None, customer["token"])
    assert problem(again, 409)["type"].endswith("/quote-not-open")
    declined = api.post(f"/v1/billing/accounts/{org}/quotes/{second['id']}/decline", None, customer["token"])
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    by_status = api.get(f"/v1/billing/accounts/{org}/quotes", customer["token"], params={"status": "accepted"})
    assert [q["id"] for q in by_status.json()] == [quote["id"]]
    stranger = api.customer_with_org()
    assert api.get(f"/v1/billing/accounts/{org}/quotes/{quote['id']}", stranger["token"]).status_code == 404
    assert api.post(f"/v1/billing/accounts/{stranger['org_id']}/quotes/{second['id']}/acceptance", None,
                    stranger["token"]).status_code in (403, 404)


def test_BI_09_the_billing_frequency_changes_on_an_offer_only_above_the_minimum(api, clerk):
    """The catalog's minimum is CHF 1,000.00 net (services/billing/data/catalog.yaml)."""
    customer = customer_with_details(api, SWISS)
    org = customer["org_id"]
    small = api.post(f"/v1/billing/accounts/{org}/quotes", {"items": [HOSTING]}, clerk.bearer()).json()
    refused = api.put(f"/v1/billing/accounts/{org}/quotes/{small['id']}/frequency", {"frequency": "yearly"}, customer["token"])
    assert problem(refused, 409)["type"].endswith("/offer-below-minimum") and "1000.00 CHF" in refused.json()["detail"]
    large_plan = {"product_id": "web-hosting", "plan_id": "web-l", "frequency": "yearly"}
    large = api.post(f"/v1/billing/accounts/{org}/quotes", {"items": [large_plan] * 3}, clerk.bearer()).json()
    assert large["net"]["amount_minor"] == 3 * 49900
    path = f"/v1/billing/accounts/{org}/quotes/{large['id']}/frequency"
    assert api.put(path, {"frequency": "weekly"}, customer["token"]).status_code == 400
    stranger = api.customer_with_org()
    assert api.put(f"/v1/billing/accounts/{org}/quotes/{large['id']}/frequency", {"frequency": "monthly"},
                   stranger["token"]).status_code == 404
    monthly = api.put(path, {"frequency": "monthly"}, customer["token"])
    assert monthly.status_code == 200, monthly.text
    assert monthly.json()["net"]["amount_minor"] == 3 * 4990 and {i["frequency"] for i in monthly.json()["items"]} == {"monthly"}
    accepted = api.post(f"/v1/billing/accounts/{org}/quotes/{large['id']}/acceptance", None, customer["token"])
    assert accepted.status_code == 201 and accepted.json()["order"]["invoice"]["total"] == monthly.json()["total"]
    decided = api.put(path, {"frequency": "yearly"}, customer["token"])
    assert problem(decided, 409)["type"].endswith("/quote-not-open")


def test_BI_13_a_set_of_invoices_as_csv_downloaded_by_status_or_emailed(api, tap, smtp):
    customer = customer_with_details(api, SWISS)
    org = customer["org_id"]
    first, second = ordered(api, customer), ordered(api, customer)
    assert pay(api, customer, first, {"card_token": "tok_sandbox_ok"}).status_code == 201
    answer = api.get(f"/v1/billing/accounts/{org}/invoice-exports", customer["token"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["number"], r["status"]) for r in rows] == [(second["number"], "open"), (first["number"], "paid")]
    assert rows[1]["total"] == f"{first['total']['amount_minor'] / 100:.2f}" and rows[1]["outstanding"] == "0.00"
    paid_only = api.get(f"/v1/billing/accounts/{org}/invoice-exports", customer["token"], params={"status": "paid"})
    assert [r["number"] for r in csv.DictReader(io.StringIO(paid_only.text))] == [first["number"]]
    mailed = api.post(f"/v1/billing/accounts/{org}/invoice-exports", {"status": "open"}, customer["token"])
    assert mailed.status_code == 202 and mailed.json()["invoice_count"] == 1, mailed.text
    message = tap.wait_for(lambda b: b["type"] == "InvoicesExported" and b["payload"]["export_id"] == mailed.json()["export_id"])
    payload = message["body"]["payload"]
    assert payload["requested_by"] == customer["user_id"] and second["number"] in payload["csv"]
    # notifications mails it to the person who asked, the CSV attached (its content not kept once sent)
    mail = smtp.wait_for(customer["email"], "CSV", timeout=60)
    [(name, content)] = mail["attachments"].items()
    assert name.endswith(".csv") and second["number"] in content and first["number"] not in content
    [kept] = eventually(lambda: emails(api, customer["token"], "/v1/notifications/emails", kind="invoices-exported"),
                        what="the mail in the person's history")
    assert kept["status"] in ("queued", "sent")
    stranger = api.customer_with_org()
    assert api.get(f"/v1/billing/accounts/{org}/invoice-exports", stranger["token"]).status_code == 404
    assert api.get(f"/v1/billing/accounts/{org}/invoice-exports", customer["token"],
                   params={"since": "not a date"}).status_code == 400
    assert uuid.UUID(payload["export_id"])
