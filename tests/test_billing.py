"""Billing end to end through the gateway (issue 11): the catalog, orders, invoices numbered
without gaps with their legal content, my services, changes of plan and frequency, vouchers and
free options, who sees billing, and billed false emergencies."""
from __future__ import annotations

import concurrent.futures
import re
import time
import uuid
from datetime import date, timedelta

import pytest

from portico_kernel import events
from tests.bus_tap import Tap
from tests.helpers import eventually, problem, unique_email
from tests.test_organizations import kind, member_of
from tests.test_principals import STAFF_PASSWORD, create_staff
from tests.test_billing_payments import ledger_balances_after_each_scenario, ledger_clerk  # noqa: F401 - issue 11 item 1: the ledger balances after every scenario

SWISS_COMPANY = {"name": "Muster Hosting GmbH", "type": "company",
                 "address": {"street": "Bahnhofstrasse", "house_number": "1", "postcode": "8001", "town": "Zürich",
                             "country": "CH"},
                 "vat_id": "CHE-116.281.710 MWST"}
GERMAN_COMPANY = {"name": "Muster Webdesign GmbH", "type": "company",
                  "address": {"street": "Hauptstrasse", "house_number": "5", "postcode": "10115", "town": "Berlin",
                              "country": "DE"},
                  "vat_id": "DE100000008"}


@pytest.fixture(scope="module")
def tap(stack):
    tap = Tap(f"billing-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


@pytest.fixture(scope="module")
def clerk(api):
    email = unique_email("clerk")
    assert create_staff(email, "platform:billing-clerk").returncode == 0
    return api.login(email, STAFF_PASSWORD)["access_token"]


def patch(api, path, body, token):
    return api.http.patch(api.url(path), json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def billing_customer(api, country="DE", details=None) -> dict:
    """A customer whose organization's billing account is open (and its details known to billing)."""
    owner = api.customer_with_org(country=country)
    account = f"/v1/billing/accounts/{owner['org_id']}"
    eventually(lambda: api.get(account, owner["token"]).status_code == 200, what="the billing account")
    if details:
        changed = patch(api, f"/v1/orgs/{owner['org_id']}", details, owner["token"])
        assert changed.status_code == 200, changed.text
        checkout = {"items": [{"product_id": "mail", "plan_id": "mail-s"}]}

        def named():  # billing heard the details: its checkout is in the new currency
            r = api.post(f"{account}/checkout", checkout, owner["token"])
            return r.status_code == 200 and r.json()["net"]["currency"] == ("CHF" if details["address"]["country"] in ("CH", "LI") else "EUR")
        eventually(named, what="billing hearing the organization's details")
        time.sleep(0.5)
    return owner


def order(api, owner, *items, codes=(), token=None, key=None):
    body = {"items": [dict(item) for item in items]}
    if codes:
        body["voucher_codes"] = list(codes)
    headers = {"Authorization": f"Bearer {token or owner['token']}"}
    if key:
        headers["Idempotency-Key"] = key
    return api.http.post(api.url(f"/v1/billing/accounts/{owner['org_id']}/orders"), json=body, headers=headers, timeout=30)


def hosting(plan="web-s", frequency="monthly", add_ons=()):
    return {"product_id": "web-hosting", "plan_id": plan, "frequency": frequency, "add_on_ids": list(add_ons)}


def test_BI_05_BI_18_BI_19_OR_16_the_catalog_has_plans_in_sizes_add_ons_trials_seats_and_premium_support(api):
    owner = billing_customer(api, "DE")
    catalog = api.get("/v1/billing/catalog", owner["token"])
    assert catalog.status_code == 200, catalog.text
    assert catalog.json()["currency"] == "EUR"  # the organization's (OR-14)
    products = {p["id"]: p for p in catalog.json()["products"]}
    hosting_plans = {p["id"]: p for p in products["web-hosting"]["plans"]}
    assert [p["size"] for p in products["web-hosting"]["plans"]] == [0, 1, 2, 3]
    assert hosting_plans["web-trial"]["trial_days"] == 30 and hosting_plans["web-trial"]["prices"] == []
    assert {p["frequency"] for p in hosting_plans["web-s"]["prices"]} == {"monthly", "quarterly", "yearly"}
    assert hosting_plans["web-m"]["seats"] == 3
    assert {a["id"] for a in products["web-hosting"]["add_ons"]} == {"parallel-events", "daily-backup"}
    assert products["premium-support"]["type"] == "premium-support"
    assert api.get("/v1/billing/catalog?currency=CHF", owner["token"]).json()["currency"] == "CHF"
    assert api.get("/v1/billing/catalog?currency=USD", owner["token"]).status_code == 400


def test_BI_06_OR_14_an_order_issues_an_invoice_with_what_the_law_asks_and_starts_the_products(api, tap):
    owner = billing_customer(api, "CH", SWISS_COMPANY)
    placed = order(api, owner, hosting("web-s", add_ons=["parallel-events"]), {"product_id": "premium-support",
                                                                               "plan_id": "support-business"})
    assert placed.status_code == 201, placed.text
    invoice = placed.json()["invoice"]
    year = date.today().year
    assert re.fullmatch(rf"CHF-{year}-\d{{6}}", invoice["number"]), invoice["number"]
    assert (invoice["kind"], invoice["status"], invoice["currency"]) == ("invoice", "open", "CHF")
    # supplier and customer: names, addresses, VAT IDs (EU VAT directive art. 226, Swiss VAT act art. 26)
    assert invoice["supplier"]["name"] and invoice["supplier"]["vat_id"] and invoice["supplier"]["address"]["town"]
    account = api.get(f"/v1/billing/accounts/{owner['org_id']}", owner["token"]).json()
    assert account["currency"] == "CHF" and account["invoiced_to"] == invoice["customer"]
    assert invoice["customer"] == {"name": "Muster Hosting GmbH", "type": "company", "vat_id": "CHE-116.281.710 MWST",
                                   "address": {"street": "Bahnhofstrasse", "house_number": "1", "postcode": "8001",
                                               "town": "Zürich", "country": "CH"}}
    assert [line["net"]["amount_minor"] for line in invoice["lines"]] == [990, 500, 4900]
    assert {line["vat_rate"] for line in invoice["lines"]} == {"8.1"}
    # BI-18: premium support on the same invoice as any product
    assert any("Premium Support Business" in line["description"] for line in invoice["lines"])
    [vat] = invoice["vat_summary"]
    assert vat == {"vat_rate": "8.1", "net": {"amount_minor": 6390, "currency": "CHF"},
                   "vat": {"amount_minor": 518, "currency": "CHF"}, "gross": {"amount_minor": 6908, "currency": "CHF"}}
    assert invoice["total"]["amount_minor"] == 6908 and invoice["outstanding"]["amount_minor"] == 6908
    assert invoice["issued_on"] == date.today().isoformat() and invoice["due_on"] > invoice["issued_on"]
    assert invoice["reverse_charge"] is False
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"]["invoice_id"] == invoice["id"])
    events.validate(issued["body"])
    assert issued["body"]["payload"]["number"] == invoice["number"] and issued["body"]["payload"]["total"] == {
        "amount_minor": 6908, "currency": "CHF"}
    subscriptions = placed.json()["subscriptions"]
    assert [s["status"] for s in subscriptions] == ["active", "active"]
    for subscription in subscriptions:
        message = tap.wait_for(lambda b: b["type"] == "ProductProvisioned" and b["payload"]["product_id"] == subscription["id"])
        assert message["body"]["payload"]["product_type"] == subscription["product"]["type"]
    eventually(lambda: {p["product_id"] for p in api.get(f"/v1/orgs/{owner['org_id']}/products", owner["token"]).json()}
               >= {s["id"] for s in subscriptions}, what="orgs knowing the products")
    # the invoice as the organization reads it, and in its list, filtered and paged
    path = f"/v1/billing/accounts/{owner['org_id']}/invoices"
    assert api.get(f"{path}/{invoice['id']}", owner["token"]).json() == invoice
    assert [i["id"] for i in api.get(path, owner["token"]).json()] == [invoice["id"]]
    assert api.get(f"{path}?status=paid", owner["token"]).json() == []
    assert [i["id"] for i in api.get(f"{path}?status=open", owner["token"]).json()] == [invoice["id"]]
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert api.get(f"{path}?since={tomorrow}T00:00:00Z", owner["token"]).json() == []
    assert api.get(f"{path}?status=late", owner["token"]).status_code == 400
    # another organization's invoice does not exist for the caller
    stranger = billing_customer(api, "CH")
    assert api.get(f"{path}/{invoice['id']}", stranger["token"]).status_code == 404
    assert api.get(f"/v1/billing/accounts/{stranger['org_id']}/invoices/{invoice['id']}", stranger["token"]).status_code == 404


def test_BI_06_an_eu_business_with_a_vat_id_is_invoiced_in_euro_by_reverse_charge(api):
    owner = billing_customer(api, "DE", GERMAN_COMPANY)
    placed = order(api, owner, {"product_id": "mail", "plan_id": "mail-s", "frequency": "yearly"})
    assert placed.status_code == 201, placed.text
    invoice = placed.json()["invoice"]
    assert invoice["number"].startswith(f"EUR-{date.today().year}-")
    assert invoice["reverse_charge"] is True and invoice["vat"]["amount_minor"] == 0
    assert invoice["notes"] == ["Reverse charge: VAT due by the recipient"]
    assert invoice["customer"]["vat_id"] == "DE100000008"
    private = billing_customer(api, "DE")  # a private person in Germany: German VAT
    invoice = order(api, private, {"product_id": "mail", "plan_id": "mail-s"}).json()["invoice"]
    assert invoice["vat_summary"][0]["vat_rate"] == "19" and invoice["vat"]["amount_minor"] == 93


def test_BI_06_a_cancelled_invoice_keeps_its_number_and_gets_a_credit_note(api, clerk, tap):
    owner = billing_customer(api, "CH")
    invoice = order(api, owner, hosting()).json()["invoice"]
    path = f"/v1/billing/accounts/{owner['org_id']}/invoices/{invoice['id']}/cancellation"
    assert api.post(path, None, owner["token"]).status_code == 403  # staff's
    cancelled = api.post(path, None, clerk)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["invoice"]["number"], body["invoice"]["status"]) == (invoice["number"], "cancelled")
    note = body["credit_note"]
    assert note["kind"] == "credit_note" and note["credit_note_of"] == invoice["number"]
    assert note["number"] != invoice["number"] and note["number"].startswith("CHF-")
    assert note["total"]["amount_minor"] == -invoice["total"]["amount_minor"]
    tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"]["invoice_id"] == note["id"]
                 and b["payload"]["kind"] == "credit_note")
    assert problem(api.post(path, None, clerk), 409)
    listed = api.get(f"/v1/billing/accounts/{owner['org_id']}/invoices?status=cancelled", clerk).json()
    assert [i["number"] for i in listed] == [invoice["number"]]


def test_BI_05_BI_11_my_services_with_upgrade_options_and_automatic_renewal_in_one_step(api, tap):
    owner = billing_customer(api, "DE")
    placed = order(api, owner, hosting("web-s"))
    subscription = placed.json()["subscriptions"][0]
    path = f"/v1/billing/accounts/{owner['org_id']}/subscriptions"
    [listed] = api.get(path, owner["token"]).json()
    assert listed["id"] == subscription["id"] and listed["auto_renew"] is True
    assert [o["plan_id"] for o in listed["upgrade_options"]] == ["web-m", "web-l"]
    assert {a["id"] for a in listed["bookable_add_ons"]} == {"parallel-events", "daily-backup"}
    assert listed["renews_on"] > listed["started_on"]
    assert api.get(f"{path}?status=ended", owner["token"]).json() == []
    off = api.put(f"{path}/{subscription['id']}/auto-renew", {"auto_renew": False}, owner["token"])
    assert off.status_code == 200 and off.json()["auto_renew"] is False, off.text
    assert api.get(f"{path}/{subscription['id']}", owner["token"]).json()["auto_renew"] is False
    assert api.put(f"{path}/{subscription['id']}/auto-renew", {"auto_renew": "no"}, owner["token"]).status_code == 400
    # booking an add-on: charged for the days left of the period
    booked = api.post(f"{path}/{subscription['id']}/add-ons", {"add_on_id": "daily-backup"}, owner["token"])
    assert booked.status_code == 201, booked.text
    assert "Daily backup" in booked.json()["invoice"]["lines"][0]["description"]
    assert 0 < booked.json()["invoice"]["net"]["amount_minor"] <= 300
    assert problem(api.post(f"{path}/{subscription['id']}/add-ons", {"add_on_id": "daily-backup"}, owner["token"]), 409)
    assert api.post(f"{path}/{subscription['id']}/add-ons", {"add_on_id": "nope"}, owner["token"]).status_code == 400
    # another organization's subscription
    stranger = billing_customer(api, "DE")
    assert api.put(f"/v1/billing/accounts/{owner['org_id']}/subscriptions/{subscription['id']}/auto-renew",
                   {"auto_renew": True}, stranger["token"]).status_code == 404
    assert api.put(f"/v1/billing/accounts/{stranger['org_id']}/subscriptions/{subscription['id']}/auto-renew",
                   {"auto_renew": True}, stranger["token"]).status_code == 404
    # ending it: the product goes
    ended = api.post(f"{path}/{subscription['id']}/termination", None, owner["token"])
    assert ended.status_code == 200 and ended.json()["status"] == "ended", ended.text
    tap.wait_for(lambda b: b["type"] == "ProductRemoved" and b["payload"]["product_id"] == subscription["id"])
    assert [s["id"] for s in api.get(f"{path}?status=ended", owner["token"]).json()] == [subscription["id"]]


def test_BI_01_BI_02_an_upgrade_is_shown_then_charged_for_the_days_left_with_its_add_ons(api, tap):
    owner = billing_customer(api, "DE")
    subscription = order(api, owner, hosting("web-s", add_ons=["parallel-events"])).json()["subscriptions"][0]
    path = f"/v1/billing/accounts/{owner['org_id']}/subscriptions/{subscription['id']}"
    preview = api.post(f"{path}/plan-change-previews", {"plan_id": "web-m"}, owner["token"])
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["kind"] == "upgrade" and shown["renews_on"] == subscription["renews_on"]
    # ordered today: the whole period is left, so the difference is the full one, plan and add-on
    assert [line["amount"]["amount_minor"] for line in shown["lines"]] == [1990 - 990, 900 - 500]
    assert shown["amount_due"]["amount_minor"] == 1400
    assert api.get(path, owner["token"]).json()["plan"]["id"] == "web-s"  # a preview changes nothing
    done = api.post(f"{path}/plan-changes", {"plan_id": "web-m"}, owner["token"])
    assert done.status_code == 200, done.text
    assert done.json()["invoice"]["net"]["amount_minor"] == 1400
    assert done.json()["subscription"]["plan"]["id"] == "web-m"
    assert done.json()["subscription"]["renews_on"] == subscription["renews_on"]  # the renewal date stays
    # OR-16: the larger plan includes seats
    seats = tap.wait_for(lambda b: b["type"] == "SeatsProvisioned" and b["payload"]["product_id"] == subscription["id"])
    assert seats["body"]["payload"]["seats"] == 3
    assert problem(api.post(f"{path}/plan-changes", {"plan_id": "web-x"}, owner["token"]), 400)


def test_BI_04_near_its_plans_capacity_the_customer_is_told_and_offered_the_next_size(api):
    owner = billing_customer(api, "DE")
    subscription = order(api, owner, hosting("web-s")).json()["subscriptions"][0]
    path = f"/v1/billing/accounts/{owner['org_id']}/subscriptions/{subscription['id']}/capacity-checks"
    calm = api.post(path, {"usage": {"events": 50, "websites": 1}}, owner["token"])
    assert calm.status_code == 200 and calm.json() == {"notices": []}, calm.text
    near = api.post(path, {"usage": {"events": 85, "websites": 5}}, owner["token"]).json()["notices"]
    assert [(n["measure"], n["used"], n["capacity"], n["offer"]["plan_id"]) for n in near] == [
        ("events", 85, 100, "web-m"), ("websites", 5, 5, "web-m")]
    assert near[0]["offer"]["price"] == {"amount_minor": 1990, "currency": "EUR"}
    assert api.post(path, {"usage": {"parsecs": 1}}, owner["token"]).status_code == 400
    assert api.post(path, {"usage": {"events": -1}}, owner["token"]).status_code == 400


def test_BI_03_BI_19_a_downgrade_waits_for_the_next_term_never_to_a_trial_and_ends_the_promo_codes(api, clerk):
    owner = billing_customer(api, "DE")
    code = f"SPRING{uuid.uuid4().hex[:6].upper()}"
    assert api.post("/v1/billing/vouchers", {"code": code, "percent": 10}, clerk).status_code == 201
    subscription = order(api, owner, hosting("web-l"), codes=[code]).json()["subscriptions"][0]
    assert subscription["promo_codes"] == [code]
    other_code = f"MAIL{uuid.uuid4().hex[:6].upper()}"
    assert api.post("/v1/billing/vouchers", {"code": other_code, "percent": 5}, clerk).status_code == 201
    mail = order(api, owner, {"product_id": "mail", "plan_id": "mail-s"}, codes=[other_code]).json()["subscriptions"][0]
    assert mail["promo_codes"] == [other_code]
    path = f"/v1/billing/accounts/{owner['org_id']}/subscriptions/{subscription['id']}"
    to_trial = api.post(f"{path}/plan-change-previews", {"plan_id": "web-trial"}, owner["token"])
    assert to_trial.status_code == 400 and "trial" in to_trial.json()["detail"], to_trial.text
    preview = api.post(f"{path}/plan-change-previews", {"plan_id": "web-s"}, owner["token"]).json()
    assert preview["kind"] == "downgrade" and preview["amount_due"]["amount_minor"] == 0
    assert preview["effective_on"] == subscription["renews_on"]
    done = api.post(f"{path}/plan-changes", {"plan_id": "web-s"}, owner["token"])
    assert done.status_code == 200 and "invoice" not in done.json(), done.text
    after = done.json()["subscription"]
    assert (after["plan"]["id"], after["next_plan_id"], after["promo_codes"]) == ("web-l", "web-s", [])
    # the account's promo codes end, on its other products too
    mine = api.get(f"/v1/billing/accounts/{owner['org_id']}/subscriptions", owner["token"]).json()
    assert {s["id"]: s["promo_codes"] for s in mine}[mail["id"]] == []


def test_BI_19_a_free_trial_costs_nothing_and_its_upgrade_starts_the_first_paid_period(api):
    owner = billing_customer(api, "CH")
    placed = order(api, owner, hosting("web-trial"))
    assert placed.status_code == 201 and "invoice" not in placed.json(), placed.text
    trial = placed.json()["subscriptions"][0]
    assert trial["status"] == "trial" and trial["trial_ends_on"] == (date.today() + timedelta(days=30)).isoformat()
    path = f"/v1/billing/accounts/{owner['org_id']}/subscriptions/{trial['id']}"
    assert api.post(f"{path}/plan-changes", {"plan_id": "web-trial"}, owner["token"]).status_code == 400
    assert api.post(f"{path}/add-ons", {"add_on_id": "daily-backup"}, owner["token"]).status_code == 400
    assert api.post(f"{path}/frequency-changes", {"frequency": "yearly"}, owner["token"]).status_code == 400
    upgraded = api.post(f"{path}/plan-changes", {"plan_id": "web-s"}, owner["token"])
    assert upgraded.status_code == 200, upgraded.text
    assert upgraded.json()["subscription"]["status"] == "active"
    assert upgraded.json()["invoice"]["net"]["amount_minor"] == 990


def test_BI_09_a_longer_frequency_credits_the_unused_paid_days_and_a_shorter_one_waits_for_the_term(api):
    owner = billing_customer(api, "DE")
    subscription = order(api, owner, hosting("web-s", "monthly")).json()["subscriptions"][0]
    path = f"/v1/billing/accounts/{owner['org_id']}/subscriptions/{subscription['id']}"
    preview = api.post(f"{path}/frequency-change-previews", {"frequency": "yearly"}, owner["token"]).json()
    # the month paid today is wholly unused: credited in full, nothing billed twice
    assert [line["amount"]["amount_minor"] for line in preview["lines"]] == [9900, -990]
    done = api.post(f"{path}/frequency-changes", {"frequency": "yearly"}, owner["token"])
    assert done.status_code == 200, done.text
    assert done.json()["invoice"]["net"]["amount_minor"] == 8910
    assert done.json()["subscription"]["frequency"] == "yearly"
    shorter = api.post(f"{path}/frequency-changes", {"frequency": "monthly"}, owner["token"])
    assert shorter.status_code == 200 and "invoice" not in shorter.json(), shorter.text
    assert shorter.json()["effective_on"] == done.json()["subscription"]["renews_on"]
    assert shorter.json()["subscription"]["next_frequency"] == "monthly"
    assert shorter.json()["subscription"]["frequency"] == "yearly"
    assert api.post(f"{path}/frequency-changes", {"frequency": "weekly"}, owner["token"]).status_code == 400


def test_BI_12_several_vouchers_each_on_its_product_and_free_options_of_support_at_checkout(api, clerk):
    owner = billing_customer(api, "DE")
    tag = uuid.uuid4().hex[:6].upper()
    percent, amount, used, later = f"HOST{tag}", f"MAIL{tag}", f"ONCE{tag}", f"SOON{tag}"
    for body in ({"code": percent, "percent": 50, "product_ids": ["web-hosting"]},
                 {"code": amount, "amount": {"amount_minor": 200, "currency": "EUR"}, "product_ids": ["mail"]},
                 {"code": used, "percent": 100, "max_uses": 1},
                 {"code": later, "percent": 5, "valid_from": (date.today() + timedelta(days=3)).isoformat()}):
        created = api.post("/v1/billing/vouchers", body, clerk)
        assert created.status_code == 201, created.text
    assert api.post("/v1/billing/vouchers", {"code": percent, "percent": 5}, clerk).status_code == 409
    assert api.post("/v1/billing/vouchers", {"code": f"X{tag}", "percent": 5, "amount": {"amount_minor": 1, "currency": "EUR"}},
                    clerk).status_code == 400
    assert api.post("/v1/billing/vouchers", {"code": f"Y{tag}", "percent": 5}, owner["token"]).status_code == 403
    assert percent in [v["code"] for v in api.get("/v1/billing/vouchers?limit=200", clerk).json()]
    # support grants a free option; it shows at checkout and makes the add-on free
    granted = api.post(f"/v1/billing/accounts/{owner['org_id']}/free-options",
                       {"product_id": "web-hosting", "add_on_id": "daily-backup"}, clerk)
    assert granted.status_code == 201, granted.text
    assert api.post(f"/v1/billing/accounts/{owner['org_id']}/free-options",
                    {"product_id": "web-hosting", "add_on_id": "daily-backup"}, owner["token"]).status_code == 403
    items = [hosting("web-s", add_ons=["daily-backup"]), {"product_id": "mail", "plan_id": "mail-s"}]
    checkout = api.post(f"/v1/billing/accounts/{owner['org_id']}/checkout",
                        {"items": items, "voucher_codes": [percent, amount]}, owner["token"])
    assert checkout.status_code == 200, checkout.text
    shown = checkout.json()
    assert [o["add_on_id"] for o in shown["free_options"]] == ["daily-backup"]
    assert [o["id"] for o in shown["free_options_applied"]] == [granted.json()["id"]]
    amounts = [line["amount"]["amount_minor"] for line in shown["lines"]]
    # hosting 9.90 + backup 3.00 - backup (free) - 50 % of 9.90; mail 4.90 - 2.00
    assert amounts == [990, 300, -300, 490, -495, -200], shown["lines"]
    assert shown["net"]["amount_minor"] == 785
    for codes, field in (([f"NONE{tag}"], "voucher_codes[0]"), ([later], "voucher_codes[0]"),
                         ([percent, percent], "voucher_codes"), ([amount, amount], "voucher_codes")):
        refused = api.post(f"/v1/billing/accounts/{owner['org_id']}/checkout", {"items": items, "voucher_codes": codes},
                           owner["token"])
        assert refused.status_code == 400 and refused.json()["invalid_params"][0]["name"] == field, refused.text
    placed = order(api, owner, *items, codes=[percent, amount])
    assert placed.status_code == 201, placed.text
    assert placed.json()["invoice"]["net"]["amount_minor"] == 785
    options = f"/v1/billing/accounts/{owner['org_id']}/free-options"
    assert api.get(options, owner["token"]).json()[0]["used"] is True
    assert api.get(f"{options}?status=unused", owner["token"]).json() == []
    assert len(api.get(f"{options}?status=used", owner["token"]).json()) == 1
    # a code of one use: the second order with it is refused
    assert order(api, owner, {"product_id": "mail", "plan_id": "mail-s"}, codes=[used]).status_code == 201
    again = order(api, owner, {"product_id": "mail", "plan_id": "mail-s"}, codes=[used])
    assert again.status_code == 400 and "used up" in again.text


def test_BI_15_billing_is_visible_to_members_with_the_accounting_right_until_it_is_taken_back(api, tap, clerk):
    owner = billing_customer(api, "DE")
    colleague = member_of(api, tap, owner, "collaborator")
    org = owner["org_id"]
    order(api, owner, hosting())
    invoices = f"/v1/billing/accounts/{org}/invoices"
    refused = api.get(invoices, colleague["token"])
    assert refused.status_code == 403 and kind(refused) == "no-product-access", refused.text
    assert api.get(f"/v1/billing/accounts/{org}/subscriptions", colleague["token"]).status_code == 403
    assert api.get(f"/v1/billing/accounts/{org}", colleague["token"]).status_code == 403
    assert order(api, owner, hosting(), token=colleague["token"]).status_code == 403
    # staff: billing clerks see every organization's billing
    assert api.get(invoices, clerk).status_code == 200
    # another organization's people and keys find nothing; a key reads with billing:read, orders only with billing:write
    stranger = billing_customer(api, "DE")
    assert api.get(invoices, stranger["token"]).status_code == 404
    assert order(api, owner, hosting(), token=stranger["token"]).status_code == 404
    key = api.post("/v1/api-keys", {"name": "accounting tool", "scopes": ["billing:read"]}, owner["token"])
    assert key.status_code == 201, key.text
    with_key = {"Authorization": f"Bearer {key.json()['secret']}"}
    assert len(api.http.get(api.url(invoices), headers=with_key, timeout=30).json()) == 1
    refused = api.http.post(api.url(f"/v1/billing/accounts/{org}/orders"), json={"items": [hosting()]}, headers=with_key,
                            timeout=30)
    assert refused.status_code == 403 and kind(refused) == "insufficient-scope", refused.text
    assert api.http.get(api.url(f"/v1/billing/accounts/{stranger['org_id']}/invoices"), headers=with_key,
                        timeout=30).status_code in (403, 404)
    # the legal representative grants the accounting right on billing, as a person would
    grant = api.post(f"/v1/orgs/{org}/grants", {"holder": {"kind": "member", "id": colleague["user_id"]},
                                                "scope": "type", "product_type": "billing", "rights": ["accounting"]},
                     owner["token"])
    assert grant.status_code == 201, grant.text
    listed = eventually(lambda: (r := api.get(invoices, colleague["token"])).status_code == 200 and r.json(),
                        timeout=10, what="billing hearing the grant")
    assert len(listed) == 1
    # the accounting right is no right on the products themselves
    subscription = api.get(f"/v1/billing/accounts/{org}/subscriptions", colleague["token"]).json()[0]
    assert api.put(f"/v1/billing/accounts/{org}/subscriptions/{subscription['id']}/auto-renew", {"auto_renew": False},
                   colleague["token"]).status_code == 403
    # taken back: within a bounded time (docs/ARCHITECTURE.md: normally seconds; the tests bound it to 10 s)
    started = time.monotonic()
    assert api.delete(f"/v1/orgs/{org}/grants/{grant.json()['id']}", owner["token"]).status_code == 204
    eventually(lambda: api.get(invoices, colleague["token"]).status_code == 403, timeout=10,
               what="billing hearing the grant taken back")
    assert time.monotonic() - started < 10
    # a grant of manage on one subscription lets the member change that product only
    manage = api.post(f"/v1/orgs/{org}/grants", {"holder": {"kind": "member", "id": colleague["user_id"]},
                                                 "scope": "product", "product_type": "hosting",
                                                 "product_id": subscription["id"], "rights": ["manage"]}, owner["token"])
    assert manage.status_code == 201, manage.text
    eventually(lambda: api.put(f"/v1/billing/accounts/{org}/subscriptions/{subscription['id']}/auto-renew",
                               {"auto_renew": False}, colleague["token"]).status_code == 200,
               timeout=10, what="billing hearing the manage grant")


def test_BI_17_a_critical_ticket_that_was_no_emergency_is_billed_once(api, tap):
    from portico_kernel.clock import iso_utc, utcnow
    from portico_kernel.events import Envelope

    owner = billing_customer(api, "CH")
    ticket = f"T-{uuid.uuid4().hex[:8]}"
    envelope = Envelope(type="FalseEmergencyReported", producer="tickets", org_id=owner["org_id"],
                        payload={"org_id": owner["org_id"], "ticket_id": ticket, "reported_at": iso_utc(utcnow())})
    events.validate(envelope.to_dict())
    tap.publish(envelope.to_dict(), envelope.routing_key)
    path = f"/v1/billing/accounts/{owner['org_id']}/invoices"
    [invoice] = eventually(lambda: api.get(path, owner["token"]).json(), what="the invoice of the false emergency")
    assert ticket in invoice["lines"][0]["description"] and invoice["net"]["amount_minor"] == 15000
    again = Envelope(type="FalseEmergencyReported", producer="tickets", org_id=owner["org_id"],
                     payload=envelope.payload)  # the same ticket reported twice: billed once
    tap.publish(again.to_dict(), again.routing_key)
    time.sleep(3)
    assert len(api.get(path, owner["token"]).json()) == 1


def test_BI_05_an_order_with_an_idempotency_key_is_placed_once(api):
    owner = billing_customer(api, "DE")
    key = str(uuid.uuid4())
    first = order(api, owner, hosting(), key=key)
    assert first.status_code == 201, first.text
    second = order(api, owner, hosting(), key=key)
    assert second.status_code == 201 and second.headers.get("idempotency-replayed") == "true"
    assert second.json()["invoice"]["number"] == first.json()["invoice"]["number"]
    assert len(api.get(f"/v1/billing/accounts/{owner['org_id']}/subscriptions", owner["token"]).json()) == 1


def test_BI_05_hostile_orders_are_refused_naming_the_field(api):
    owner = billing_customer(api, "DE")
    for items, field in (([{"product_id": "nope", "plan_id": "web-s"}], "items[0].product_id"),
                         ([{"product_id": "web-hosting", "plan_id": "mail-s"}], "items[0].plan_id"),
                         ([hosting("web-s", add_ons=["daily-backup", "daily-backup"])], "items[0].add_on_ids"),
                         ([hosting("web-trial", add_ons=["daily-backup"])], "items[0].add_on_ids")):
        refused = order(api, owner, *items)
        assert refused.status_code == 400 and refused.json()["invalid_params"][0]["name"] == field, refused.text
    assert api.post(f"/v1/billing/accounts/{owner['org_id']}/orders", {"items": []}, owner["token"]).status_code == 400
    assert api.post(f"/v1/billing/accounts/{owner['org_id']}/orders", {"items": [{"product_id": "x" * 5000, "plan_id": "a"}]},
                    owner["token"]).status_code == 400
    assert api.get(f"/v1/billing/accounts/{owner['org_id']}/invoices", owner["token"]).json() == []


def _numbers_of_series(series: str) -> list[int]:
    from sqlalchemy import create_engine, text

    from portico_kernel import config

    engine = create_engine(config.load("billing").database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT number FROM invoices WHERE number LIKE :series"), {"series": f"{series}-%"})
            return sorted(int(row[0].rsplit("-", 1)[1]) for row in rows)
    finally:
        engine.dispose()


def test_BI_06_invoice_numbers_run_without_gaps_under_parallel_orders_and_rolled_back_ones(api, clerk):
    """Many orders at once, some refused after taking a number (a code with fewer uses than orders):
    the series' numbers are 1..N, none twice, none missing."""
    customers = [billing_customer(api, "LI") for _ in range(3)]
    code = f"FEW{uuid.uuid4().hex[:6].upper()}"
    assert api.post("/v1/billing/vouchers", {"code": code, "percent": 10, "max_uses": 4}, clerk).status_code == 201

    # open invoices that billing staff cancel meanwhile: their credit notes take numbers of the same series
    to_cancel = [(c["org_id"], order(api, c, {"product_id": "mail", "plan_id": "mail-s"}).json()["invoice"]["id"])
                 for c in customers]

    def place(index):
        if index % 12 == 11:
            org_id, invoice_id = to_cancel[index // 12]
            return api.post(f"/v1/billing/accounts/{org_id}/invoices/{invoice_id}/cancellation", None, clerk)
        owner = customers[index % len(customers)]
        codes = [code] if index % 2 else []
        return order(api, owner, {"product_id": "mail", "plan_id": "mail-s"}, codes=codes)

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(place, range(36)))
    assert {a.status_code for a in answers} <= {200, 201, 400, 409}, [a.text for a in answers if a.status_code >= 500]
    assert [answers[i].status_code for i in (11, 23, 35)] == [200, 200, 200], [answers[i].text for i in (11, 23, 35)]
    placed = [a.json()["invoice"]["number"] for a in answers if a.status_code == 201]
    placed += [answers[i].json()["credit_note"]["number"] for i in (11, 23, 35)]
    assert len(placed) == 18 + 4 + 3 and len(set(placed)) == len(placed)
    series = f"CHF-{date.today().year}"
    numbers = _numbers_of_series(series)
    assert numbers == list(range(1, len(numbers) + 1)), numbers


def test_BI_06_every_invoice_issued_in_this_suite_is_a_balanced_posting_and_the_ledger_sums_to_zero():
    from sqlalchemy import create_engine, text

    from portico_kernel import config

    engine = create_engine(config.load("billing").database_url)
    try:
        with engine.connect() as conn:
            sums = dict(conn.execute(text("SELECT currency, SUM(amount_minor) FROM ledger_entries GROUP BY currency")).all())
            unbalanced = conn.execute(text("SELECT posting_id FROM ledger_entries GROUP BY posting_id "
                                           "HAVING SUM(amount_minor) <> 0")).all()
            invoices = conn.execute(text("SELECT COUNT(*) FROM invoices WHERE total_minor <> 0")).scalar_one()
            posted = conn.execute(text("SELECT COUNT(DISTINCT invoice_id) FROM ledger_postings")).scalar_one()
    finally:
        engine.dispose()
    assert sums and all(int(total) == 0 for total in sums.values()), sums
    assert unbalanced == [] and posted == invoices
