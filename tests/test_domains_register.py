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


def manager(api, country="CH") -> dict:
    customer = api.customer_with_org(country=country)
    availability(api, customer, ["probe.ch"])  # domains knows the organization's currency
    return customer


def test_DO_02_many_names_are_checked_at_once_with_prices(api):
    customer = manager(api)
    free, idn = unique_name(), f"zürich-{uuid.uuid4().hex[:8]}.ch"
    taken = registered_domain(api, customer)["name"]
    answers = availability(api, customer, [free, taken, idn, "nonsense", "example.invalidtld", f"x{uuid.uuid4().hex[:6]}.com"])
    assert [a["available"] for a in answers] == [True, False, True, False, False, True]
    assert answers[0]["price"] == {"amount_minor": 1800, "currency": "CHF"} and answers[0]["years"] == [1]
    assert answers[2]["name"].startswith("xn--")
    assert answers[3]["reason"] and answers[4]["reason"]
    assert answers[5]["price"] == {"amount_minor": 1900, "currency": "CHF"}
    problem(api.post("/v1/domains/availability", {"names": []}, customer["token"]), 400)
    problem(api.post("/v1/domains/availability", {"names": ["a.ch"] * 51}, customer["token"]), 400)
    problem(api.post("/v1/domains/availability", {"names": ["a.ch"]}), 401)


def test_DO_02_missing_tld_requirements_are_a_400_that_lists_them(api):
    customer = manager(api)
    holder = registrant("CH")
    answer = api.post("/v1/domains/orders", {"domain": unique_name("fr"), "registrant": holder}, customer["token"])
    found = problem(answer, 400)
    assert found["type"].endswith("tld-requirements")
    assert [p["name"] for p in found["invalid_params"]] == ["registrant.data.birth_date"]
    answer = api.post("/v1/domains/orders", {"domain": unique_name("it"), "registrant": registrant("US")},
                      customer["token"])
    names = [p["name"] for p in problem(answer, 400)["invalid_params"]]
    assert {"registrant.address.country", "registrant.data.entity_type", "registrant.data.nationality"} <= set(names)
    problem(api.post("/v1/domains/orders", {"domain": unique_name(), "years": 2, "registrant": holder}, customer["token"]), 400)
    problem(api.post("/v1/domains/orders", {"domain": unique_name()}, customer["token"]), 400)
    problem(api.post("/v1/domains/orders", {"domain": "not a name", "registrant": holder}, customer["token"]), 400)
    assert api.get("/v1/domains/orders", customer["token"]).json() == []  # nothing was ordered


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_DO_02_a_document_the_tld_asks_for_is_uploaded_checked_and_counts(api, tap):
    import base64

    customer = manager(api)
    upload = {"type": "birth_certificate", "filename": "birth.pdf", "media_type": "application/pdf",
              "content_base64": base64.b64encode(PDF).decode()}
    answer = api.post("/v1/domains/documents", upload, customer["token"])
    assert answer.status_code == 201, answer.text
    document = answer.json()
    assert document["size"] == len(PDF) and document["type"] == "birth_certificate"
    # the media type is checked against the file's first bytes, the size and the type too
    png_claim = {**upload, "media_type": "image/png"}
    assert problem(api.post("/v1/domains/documents", png_claim, customer["token"]), 400)["invalid_params"][0]["name"] == "content_base64"
    problem(api.post("/v1/domains/documents", {**upload, "type": "selfie"}, customer["token"]), 400)
    problem(api.post("/v1/domains/documents", {**upload, "content_base64": "%%%"}, customer["token"]), 400)
    big = base64.b64encode(b"%PDF-" + b"0" * (520 * 1024)).decode()
    assert api.post("/v1/domains/documents", {**upload, "content_base64": big}, customer["token"]).status_code in (400, 413)
    problem(api.post("/v1/domains/documents", {**upload, "filename": "../../etc/passwd"}, customer["token"]), 400)
    # an order names it; another organization cannot
    holder = {**registrant("FR"), "documents": [document["id"]]}
    fund(api, customer, 2000)
    answer = place_order(api, customer, {"domain": unique_name("fr"), "registrant": holder})
    assert answer.status_code == 201, answer.text
    stranger = manager(api)
    answer = api.post("/v1/domains/orders", {"domain": unique_name("fr"), "registrant": holder}, stranger["token"])
    assert "registrant.documents" in [p["name"] for p in problem(answer, 400)["invalid_params"]]


def test_DO_02_a_registry_refusal_fails_the_order_with_its_reason_and_refunds_the_invoice(api, tap):
    customer = manager(api)
    fund(api, customer, 2340)
    name = f"refuse-2104-{uuid.uuid4().hex[:8]}.ch"
    answer = place_order(api, customer, {"domain": name, "registrant": registrant()})
    assert answer.status_code == 201, answer.text
    order = settled(api, customer, answer.json()["id"])
    assert order["status"] == "failed" and "2104" in order["reason"] and order["domain_id"] is None
    failed = tap.wait_for(lambda b: b["type"] == "DomainOrderFailed" and b["payload"]["order_id"] == order["id"])
    assert failed["body"]["payload"]["reason"] == order["reason"]
    invoice = eventually(lambda: (i := invoice_of(api, tap, customer, order["id"]))["status"] == "refunded" and i,
                         what="the refunded invoice")
    assert invoice["paid"]["amount_minor"] == invoice["total"]["amount_minor"]
    eventually(lambda: balance(api, customer) == 2340, what="the money back on the prepaid balance")
    assert api.get("/v1/domains", customer["token"]).json() == []


def test_DO_02_an_unpaid_order_waits_and_the_registry_is_not_asked(api, tap):
    customer = manager(api)
    answer = place_order(api, customer, {"domain": unique_name(), "registrant": registrant()})
    assert answer.status_code == 201, answer.text
    order = answer.json()
    invoice = invoice_of(api, tap, customer, order["id"])
    assert invoice["status"] == "open"
    assert order_of(api, customer, order["id"])["status"] == "awaiting_payment"
    # the same name cannot be ordered twice meanwhile
    again = api.post("/v1/domains/orders", {"domain": order["domain"], "registrant": registrant()}, customer["token"])
    assert problem(again, 409)["type"].endswith("domain-order-open")


# --- DO-01 my domains ---------------------------------------------------------------------------------

def test_DO_01_my_domains_paged_filtered_by_state_and_expiry_and_another_organizations_are_404(api):
    customer = manager(api)
    one = registered_domain(api, customer)
    two = registered_domain(api, customer, tld="li", years=1)
    first = api.get("/v1/domains?limit=1", customer["token"])
    assert first.status_code == 200 and [d["id"] for d in first.json()] == [two["id"]]
    cursor = first.links["next"]["url"]
    assert [d["id"] for d in api.http.get(api.url(cursor) if cursor.startswith("/") else cursor, headers={"Authorization": f"Bearer {customer['token']}"}).json()] == [one["id"]]
    assert len(api.get("/v1/domains?status=active", customer["token"]).json()) == 2
    assert api.get("/v1/domains?status=redemption", customer["token"]).json() == []
    expiry = one["expires_at"][:10]
    assert len(api.get(f"/v1/domains?expires_after={expiry}", customer["token"]).json()) == 2
    assert api.get(f"/v1/domains?expires_before={expiry}", customer["token"]).json() == []
    problem(api.get("/v1/domains?expires_before=soon", customer["token"]), 400)
    problem(api.get("/v1/domains?status=lost", customer["token"]), 400)
    got = api.get(f"/v1/domains/{one['id']}", customer["token"])
    assert got.status_code == 200 and got.json()["name"] == one["name"]
    off = api.http.patch(api.url(f"/v1/domains/{one['id']}"), json={"auto_renew": False},
                         headers={"Authorization": f"Bearer {customer['token']}"}, timeout=30)
    assert off.status_code == 200 and off.json()["auto_renew"] is False
    assert api.get(f"/v1/domains/{one['id']}", customer["token"]).json()["auto_renew"] is False
    stranger = api.customer_with_org()
    assert api.get("/v1/domains", stranger["token"]).json() == []
    problem(api.get(f"/v1/domains/{one['id']}", stranger["token"]), 404)
    problem(api.http.patch(api.url(f"/v1/domains/{one['id']}"), json={"auto_renew": True},
                           headers={"Authorization": f"Bearer {stranger['token']}"}, timeout=30), 404)
    orders = api.get("/v1/domains/orders", customer["token"]).json()
    assert {o["domain_id"] for o in orders} == {one["id"], two["id"]}
    problem(api.get(f"/v1/domains/orders/{orders[0]['id']}", stranger["token"]), 404)
    problem(api.get("/v1/domains/nope", customer["token"]), 404)


# --- DO-03 transfer in ----------------------------------------------------------------------------------

def held_elsewhere(tld: str = "ch") -> tuple[str, str]:
    """A domain registered by the other registrar at the sandbox registry (a third party acting
    there), and its auth code."""
    from services.domains.adapters.tld_file import tld_catalog
    from services.domains.domain.orders import new_auth_code
    from tests.test_sandbox_registry import register, registrar

    code = new_auth_code(tld_catalog().for_tld(tld))
    with registrar("other") as other:
        return register(other, tld=tld, auth=code), code


def transfer(api, customer, name: str, code: str) -> dict:
    answer = place_order(api, customer, {"kind": "transfer", "domain": name, "auth_code": code})
    assert answer.status_code == 201, answer.text
    assert "auth_code" not in answer.json()
    return answer.json()


def test_DO_03_a_domain_is_transferred_in_once_the_losing_registrar_approves(api, tap):
    from tests.test_sandbox_registry import registrar

    customer = manager(api)
    name, code = held_elsewhere()
    fund(api, customer, 2340)
    order = transfer(api, customer, name, code)
    assert order["price"] == {"amount_minor": 1800, "currency": "CHF"}
    eventually(lambda: order_of(api, customer, order["id"])["status"] == "pending_transfer", what="the transfer pending")
    with registrar("other") as other:
        other.approve_transfer(name)
    done = settled(api, customer, order["id"])
    assert done["status"] == "completed", done
    domain = api.get(f"/v1/domains/{done['domain_id']}", customer["token"]).json()
    assert domain["name"] == name and domain["status"] == "active"
    tap.wait_for(lambda b: b["type"] == "ProductProvisioned" and b["payload"]["product_id"] == domain["id"])
    with registrar("portico") as us:
        assert us.domain_info(name).sponsor == "portico"


def test_DO_03_a_pending_transfer_completes_when_the_registry_approves_it_after_its_days(api, clock):
    customer = manager(api)
    name, code = held_elsewhere()
    fund(api, customer, 2340)
    order = transfer(api, customer, name, code)
    eventually(lambda: order_of(api, customer, order["id"])["status"] == "pending_transfer", what="the transfer pending")
    clock.ahead("sandbox-registry", days=6)
    clock.ahead("domains", days=6)
    done = settled(api, customer, order["id"])
    assert done["status"] == "completed", done


def test_DO_03_a_wrong_auth_code_fails_the_order_and_refunds_it(api, tap):
    customer = manager(api)
    name, code = held_elsewhere()
    fund(api, customer, 2340)
    order = transfer(api, customer, name, code + "x")
    done = settled(api, customer, order["id"])
    assert done["status"] == "failed" and "auth code is wrong" in done["reason"]
    eventually(lambda: invoice_of(api, tap, customer, order["id"])["status"] == "refunded", what="the refund")
    eventually(lambda: balance(api, customer) == 2340, what="the money back")


def test_DO_03_a_locked_domain_is_a_clear_error_and_an_unpaid_invoice_is_cancelled(api, tap):
    from services.domains.domain.registry import DomainChange
    from tests.test_sandbox_registry import registrar

    customer = manager(api)
    name, code = held_elsewhere()
    with registrar("other") as other:
        other.update_domain(name, DomainChange(add_statuses=("clientTransferProhibited",)))
    fund(api, customer, 2340)
    order = transfer(api, customer, name, code)
    done = settled(api, customer, order["id"])
    assert done["status"] == "failed" and "locked" in done["reason"], done
    eventually(lambda: invoice_of(api, tap, customer, order["id"])["status"] == "refunded", what="the refund")


def test_DO_02_DO_03_only_managers_order_and_staff_do_not(api):
    customer = manager(api)
    problem(api.post("/v1/domains/orders", {"domain": unique_name(), "registrant": registrant()}), 401)
    problem(api.post("/v1/domains/orders", {"domain": unique_name(), "registrant": registrant(), "extra": 1},
                     customer["token"]), 400)


def test_DO_02_the_same_name_ordered_twice_at_once_is_ordered_once(api, tap):
    from concurrent.futures import ThreadPoolExecutor

    customer = manager(api)
    name = unique_name()
    body = {"domain": name, "registrant": registrant()}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: api.post("/v1/domains/orders", body, customer["token"]), range(4)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    assert len(api.get("/v1/domains/orders", customer["token"]).json()) == 1
