"""Paying through the API (BI-06, BI-08 card, BI-10, issue 11 items 7 and 8): the prepaid balance,
card payments through the sandbox, Idempotency-Key on every request that moves money, races, and
the ledger balancing after every scenario (checked through billing staff's endpoint)."""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers import bearer, eventually, problem, unique_email
from tests.test_principals import STAFF_PASSWORD, create_staff


class Clerk:
    """The provider's billing clerk, signed in again before the token runs out."""

    def __init__(self, api):
        self.api = api
        self.email = unique_email("clerk")
        assert create_staff(self.email, "platform:billing-clerk").returncode == 0
        self.token, self.at = None, 0.0

    def bearer(self) -> str:
        if self.token is None or time.monotonic() - self.at > 200:
            self.token, self.at = self.api.login(self.email, STAFF_PASSWORD)["access_token"], time.monotonic()
        return self.token

    def ledger(self) -> dict:
        answer = self.api.get("/v1/billing/ledger/check", self.bearer())
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def ledger_clerk(api):
    return Clerk(api)


@pytest.fixture(scope="module")
def clerk(ledger_clerk):
    return ledger_clerk


@pytest.fixture(autouse=True)
def ledger_balances_after_each_scenario(ledger_clerk):
    """Issue 11 item 1: the ledger balances after every scenario of the billing tests (this module's,
    and every module that imports this fixture)."""
    yield
    check = eventually(lambda: (c := ledger_clerk.ledger())["balanced"] and c, timeout=15, what="a balanced ledger")
    assert check["unbalanced_postings"] == 0 and all(v == 0 for v in check["trial_balance"].values())


def money_post(api, path: str, body: dict, token: str, key: str | None = None):
    headers = bearer(token)
    headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return api.http.post(api.url(path), json=body, headers=headers, timeout=60)


def account_of(api, customer) -> dict:
    path = f"/v1/billing/accounts/{customer['org_id']}"
    return eventually(lambda: (r := api.get(path, customer["token"])).status_code == 200 and r.json(),
                      what="the billing account")


def top_up(api, customer, minor: int, token="tok_sandbox_ok", key=None):
    currency = account_of(api, customer)["currency"]
    return money_post(api, f"/v1/billing/accounts/{customer['org_id']}/top-ups",
                      {"card_token": token, "amount": {"amount_minor": minor, "currency": currency}},
                      customer["token"], key)


def balance(api, customer) -> int:
    return account_of(api, customer)["balance"]["amount_minor"]


def test_BI_10_top_up_and_withdraw_with_movements_by_period(api):
    customer = api.customer_with_org(country="CH")
    org = customer["org_id"]
    topped = top_up(api, customer, 5000)
    assert topped.status_code == 201, topped.text
    assert topped.json()["status"] == "succeeded" and topped.json()["amount"] == {"amount_minor": 5000, "currency": "CHF"}
    assert balance(api, customer) == 5000
    withdrawn = money_post(api, f"/v1/billing/accounts/{org}/withdrawals", {"amount_minor": 1200}, customer["token"])
    assert withdrawn.status_code == 201, withdrawn.text
    assert withdrawn.json()["balance_after"]["amount_minor"] == 3800
    too_much = money_post(api, f"/v1/billing/accounts/{org}/withdrawals", {"amount_minor": 3801}, customer["token"])
    assert problem(too_much, 409)["type"].endswith("/balance-too-low")
    assert balance(api, customer) == 3800
    movements = api.get(f"/v1/billing/accounts/{org}/prepaid-movements", customer["token"], params={"limit": 1})
    assert movements.status_code == 200 and [m["kind"] for m in movements.json()] == ["withdrawal"]
    assert 'rel="next"' in movements.headers["Link"]
    following = api.get(movements.headers["Link"].split(">")[0].lstrip("<").replace("/v1", "/v1", 1), customer["token"])
    assert [m["kind"] for m in following.json()] == ["top_up"]
    later = api.get(f"/v1/billing/accounts/{org}/prepaid-movements", customer["token"],
                    params={"since": "2999-01-01T00:00:00Z"})
    assert later.status_code == 200 and later.json() == []


def test_BI_10_every_request_that_moves_money_requires_an_Idempotency_Key(api):
    customer = api.customer_with_org()
    org = customer["org_id"]
    account_of(api, customer)
    for path, body in ((f"/v1/billing/accounts/{org}/top-ups",
                        {"card_token": "tok_sandbox_ok", "amount": {"amount_minor": 100, "currency": "EUR"}}),
                       (f"/v1/billing/accounts/{org}/withdrawals", {"amount_minor": 1})):
        refused = problem(api.post(path, body, customer["token"]), 400)
        assert [p["name"] for p in refused["invalid_params"]] == ["Idempotency-Key"], refused
    assert balance(api, customer) == 0


def test_BI_10_a_top_up_sent_again_with_its_key_charges_once(api):
    customer = api.customer_with_org()
    key = str(uuid.uuid4())
    first = top_up(api, customer, 700, key=key)
    again = top_up(api, customer, 700, key=key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotency-Replayed") == "true" and again.json()["id"] == first.json()["id"]
    assert balance(api, customer) == 700


def test_BI_08_the_sandbox_declines_fails_temporarily_and_succeeds_late(api):
    customer = api.customer_with_org(country="CH")
    declined = top_up(api, customer, 1000, token="tok_sandbox_declined")
    assert problem(declined, 402)["type"].endswith("/card-declined")
    unavailable = top_up(api, customer, 1000, token="tok_sandbox_unavailable")
    assert problem(unavailable, 503)["type"].endswith("/payment-provider-unavailable")
    assert balance(api, customer) == 0
    late = top_up(api, customer, 1000, token="tok_sandbox_late")
    assert late.status_code == 202 and late.json()["status"] == "pending", late.text
    payment = f"/v1/billing/accounts/{customer['org_id']}/payments/{late.json()['id']}"
    decided = eventually(lambda: (r := api.get(payment, customer["token"]).json())["status"] != "pending" and r,
                         timeout=30, what="the scheduler asking the sandbox again")
    assert decided["status"] == "succeeded"
    assert balance(api, customer) == 1000
    late_declined = top_up(api, customer, 1000, token="tok_sandbox_late_declined")
    payment = f"/v1/billing/accounts/{customer['org_id']}/payments/{late_declined.json()['id']}"
    decided = eventually(lambda: (r := api.get(payment, customer["token"]).json())["status"] != "pending" and r,
                         timeout=30, what="the late decline")
    assert decided["status"] == "declined" and balance(api, customer) == 1000


def test_BI_10_card_numbers_are_refused_only_tokens_are_taken(api):
    customer = api.customer_with_org()
    account_of(api, customer)
    refused = money_post(api, f"/v1/billing/accounts/{customer['org_id']}/top-ups",
                         {"card_token": "4111111111111111", "amount": {"amount_minor": 100, "currency": "EUR"}},
                         customer["token"])
    assert [p["name"] for p in problem(refused, 400)["invalid_params"]] == ["card_token"]


def test_BI_15_another_organizations_balance_is_not_found_and_not_moved(api):
    owner, stranger = api.customer_with_org(), api.customer_with_org()
    assert top_up(api, owner, 900).status_code == 201
    org = owner["org_id"]
    assert problem(money_post(api, f"/v1/billing/accounts/{org}/withdrawals", {"amount_minor": 1}, stranger["token"]), 404)
    assert api.get(f"/v1/billing/accounts/{org}/prepaid-movements", stranger["token"]).status_code == 404
    topped = owner_payment = top_up(api, owner, 100).json()["id"]
    assert api.get(f"/v1/billing/accounts/{org}/payments/{owner_payment}", stranger["token"]).status_code == 404
    assert topped and balance(api, owner) == 1000


def test_BI_10_fifty_parallel_withdrawals_never_take_the_balance_below_zero(api):
    customer = api.customer_with_org()
    assert top_up(api, customer, 1000).status_code == 201
    org = customer["org_id"]

    def withdraw(_):
        return money_post(api, f"/v1/billing/accounts/{org}/withdrawals", {"amount_minor": 30}, customer["token"])

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(withdraw, range(50)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)][:3]
    assert statuses.count(201) == 33  # 33 x 30 = 990 of 1000
    assert balance(api, customer) == 10


# --- paying invoices ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tap(stack):
    from tests.bus_tap import Tap

    tap = Tap(f"billing-pay-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def ordered(api, customer) -> dict:
    """An order of one hosting plan: its open invoice."""
    account_of(api, customer)
    placed = api.post(f"/v1/billing/accounts/{customer['org_id']}/orders",
                      {"items": [{"product_id": "web-hosting", "plan_id": "web-s", "frequency": "monthly"}]},
                      customer["token"])
    assert placed.status_code == 201, placed.text
    return {**placed.json()["invoice"], "subscriptions": placed.json()["subscriptions"]}


def pay(api, customer, invoice, body, key=None):
    return money_post(api, f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/payments", body,
                      customer["token"], key)


def invoice_now(api, customer, invoice) -> dict:
    return api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}", customer["token"]).json()


def test_BI_06_BI_10_an_invoice_is_paid_partly_from_the_balance_then_by_card_and_InvoicePaid_comes_once(api, tap):
    customer = api.customer_with_org(country="CH")
    invoice = ordered(api, customer)
    total = invoice["total"]["amount_minor"]
    assert top_up(api, customer, 500).status_code == 201
    part = pay(api, customer, invoice, {"prepaid_amount_minor": 500})
    assert part.status_code == 201, part.text
    assert part.json()["method"] == "prepaid" and part.json()["status"] == "succeeded"
    assert invoice_now(api, customer, invoice)["status"] == "partially_paid"
    assert balance(api, customer) == 0
    rest = pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"})
    assert rest.status_code == 201, rest.text
    assert rest.json()["card"]["amount_minor"] == total - 500
    now = invoice_now(api, customer, invoice)
    assert now["status"] == "paid" and now["outstanding"]["amount_minor"] == 0
    again = pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"})
    assert problem(again, 409)["type"].endswith("/invoice-not-payable")
    payments = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/payments", customer["token"])
    assert [p["method"] for p in payments.json()] == ["prepaid", "card"]
    paid = tap.wait_for(lambda b: b["type"] == "InvoicePaid" and b["payload"]["invoice_id"] == invoice["id"])
    assert paid["body"]["payload"]["total"] == {"amount_minor": total, "currency": "CHF"}
    tap.drain(1.5)
    assert len([m for m in tap.messages if m["body"]["type"] == "InvoicePaid"
                and m["body"]["payload"]["invoice_id"] == invoice["id"]]) == 1


def test_BI_06_the_payment_method_of_an_open_invoice_can_change_not_of_a_paid_one(api):
    customer = api.customer_with_org()
    invoice = ordered(api, customer)
    path = f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/payment-method"
    assert api.get(path, customer["token"]).json()["payment_method"] == "bank_transfer"
    changed = api.put(path, {"method": "card"}, customer["token"])
    assert changed.status_code == 200 and changed.json() == {"invoice_id": invoice["id"], "payment_method": "card"}
    assert api.get(path, customer["token"]).json()["payment_method"] == "card"
    assert problem(api.put(path, {"method": "cheque"}, customer["token"]), 400)
    assert pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"}).status_code == 201
    assert problem(api.put(path, {"method": "prepaid"}, customer["token"]), 409)


def test_BI_08_a_declined_card_leaves_the_invoice_open_and_the_held_balance_returns(api):
    customer = api.customer_with_org()
    invoice = ordered(api, customer)
    assert top_up(api, customer, 300).status_code == 201
    declined = pay(api, customer, invoice, {"card_token": "tok_sandbox_declined", "use_prepaid": True})
    assert problem(declined, 402)["type"].endswith("/card-declined")
    assert invoice_now(api, customer, invoice)["status"] == "open" and balance(api, customer) == 300
    late = pay(api, customer, invoice, {"card_token": "tok_sandbox_late", "use_prepaid": True})
    assert late.status_code == 202 and late.json()["prepaid"]["amount_minor"] == 300
    blocked = pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"})
    assert problem(blocked, 409)["type"].endswith("/payment-in-progress")
    eventually(lambda: invoice_now(api, customer, invoice)["status"] == "paid", timeout=30,
               what="the late success settled by the scheduler")
    assert balance(api, customer) == 0


def test_BI_08_the_same_payment_from_fifty_threads_with_one_key_charges_once(api):
    customer = api.customer_with_org()
    invoice = ordered(api, customer)
    key = str(uuid.uuid4())

    def attempt(_):
        return pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"}, key=key)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(attempt, range(50)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)][:3]
    # the others were told the first is still running (idempotency-key-in-use) or got its answer replayed
    assert {a.json()["id"] for a in answers if a.status_code == 201} == {answers[statuses.index(201)].json()["id"]}
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["type"].endswith("/idempotency-key-in-use")
    payments = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/payments",
                       customer["token"]).json()
    assert [p["status"] for p in payments] == ["succeeded"]
    assert invoice_now(api, customer, invoice)["status"] == "paid"


def test_BI_08_fifty_different_keys_on_one_invoice_charge_once_the_others_are_a_clear_409(api):
    customer = api.customer_with_org()
    invoice = ordered(api, customer)

    def attempt(_):
        return pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(attempt, range(50)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and statuses.count(409) == 49, statuses
    kinds = {a.json()["type"].rsplit("/", 1)[1] for a in answers if a.status_code == 409}
    assert kinds <= {"payment-in-progress", "invoice-not-payable"}, kinds
    payments = api.get(f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/payments",
                       customer["token"]).json()
    assert [p["status"] for p in payments] == ["succeeded"]


def test_BI_15_another_organizations_invoice_is_not_paid_nor_seen(api):
    owner, stranger = api.customer_with_org(), api.customer_with_org()
    invoice = ordered(api, owner)
    account_of(api, stranger)
    path = f"/v1/billing/accounts/{stranger['org_id']}/invoices/{invoice['id']}/payments"
    assert problem(money_post(api, path, {"card_token": "tok_sandbox_ok"}, stranger["token"]), 404)
    own_path = f"/v1/billing/accounts/{owner['org_id']}/invoices/{invoice['id']}/payments"
    assert problem(money_post(api, own_path, {"card_token": "tok_sandbox_ok"}, stranger["token"]), 404)
    assert invoice_now(api, owner, invoice)["status"] == "open"


def test_OR_15_an_organization_with_an_unpaid_invoice_or_a_balance_is_not_deleted_until_paid_and_withdrawn(api):
    from tests.helpers import PASSWORD

    customer = api.customer_with_org(country="CH")
    org = customer["org_id"]
    invoice = ordered(api, customer)
    fresh = api.post("/v1/auth/password-check", {"password": PASSWORD}, customer["token"]).json()["access_token"]

    def reasons():
        answer = api.delete(f"/v1/orgs/{org}", fresh)
        return [r["reason"] for r in answer.json().get("reasons", [])] if answer.status_code == 409 else answer.status_code

    # orgs hears of the product and of the invoice from the same transaction of billing's, in that
    # order; a deletion is refused while the product exists, so asking is safe from then on
    eventually(lambda: api.get(f"/v1/orgs/{org}/products", customer["token"]).json(), what="orgs knowing the product")
    eventually(lambda: reasons() == ["has-products", "has-unpaid-invoices"], what="orgs knowing the order")
    for subscription in invoice["subscriptions"]:  # no product stands in the way
        ended = api.post(f"/v1/billing/accounts/{org}/subscriptions/{subscription['id']}/termination", None,
                         customer["token"])
        assert ended.status_code == 200, ended.text
    assert top_up(api, customer, 1000).status_code == 201
    eventually(lambda: reasons() == ["has-unpaid-invoices", "has-prepaid-balance"], what="orgs knowing the standing")
    assert pay(api, customer, invoice, {"card_token": "tok_sandbox_ok", "use_prepaid": True}).status_code == 201
    assert balance(api, customer) == 0
    # once orgs heard that nothing is owed or held, the deletion is allowed (nothing else stands in the way)
    eventually(lambda: reasons() == 204, what="the deletion allowed")
    assert api.get(f"/v1/orgs/{org}", fresh).status_code == 404


def test_BI_06_BI_10_a_paid_invoice_is_refunded_by_a_credit_note_onto_the_prepaid_balance(api, clerk, tap):
    customer = api.customer_with_org(country="CH")
    org = customer["org_id"]
    invoice = ordered(api, customer)
    total = invoice["total"]["amount_minor"]
    refund_path = f"/v1/billing/accounts/{org}/invoices/{invoice['id']}/refund"
    open_refund = money_post(api, refund_path, None, clerk.bearer())
    assert problem(open_refund, 409)["type"].endswith("/invoice-not-paid")
    assert pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"}).status_code == 201
    assert money_post(api, refund_path, None, customer["token"]).status_code == 403  # billing staff refund
    refunded = money_post(api, refund_path, None, clerk.bearer())
    assert refunded.status_code == 200, refunded.text
    body = refunded.json()
    assert (body["invoice"]["status"], body["invoice"]["number"]) == ("refunded", invoice["number"])
    note = body["credit_note"]
    assert note["kind"] == "credit_note" and note["number"] != invoice["number"]
    assert note["total"]["amount_minor"] == -total
    issued = tap.wait_for(lambda b: b["type"] == "InvoiceIssued" and b["payload"]["invoice_id"] == note["id"])
    assert issued["body"]["payload"]["kind"] == "credit_note"
    # what was paid is the organization's, on its balance: it can be withdrawn
    assert balance(api, customer) == total
    movements = api.get(f"/v1/billing/accounts/{org}/prepaid-movements", customer["token"]).json()
    assert movements[0]["kind"] == "payment_returned" and movements[0]["amount"]["amount_minor"] == total
    again = money_post(api, refund_path, None, clerk.bearer())
    assert problem(again, 409)["type"].endswith("/invoice-not-paid")
    listed = api.get(f"/v1/billing/accounts/{org}/invoices", customer["token"], params={"status": "refunded"}).json()
    assert [i["id"] for i in listed] == [invoice["id"]]
    withdrawn = money_post(api, f"/v1/billing/accounts/{org}/withdrawals", {"amount_minor": total}, customer["token"])
    assert withdrawn.status_code == 201 and balance(api, customer) == 0
    stranger = api.customer_with_org()
    assert money_post(api, f"/v1/billing/accounts/{stranger['org_id']}/invoices/{invoice['id']}/refund", None,
                      clerk.bearer()).status_code == 404
