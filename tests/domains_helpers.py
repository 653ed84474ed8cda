"""Getting domains through the API as a customer does (DO-02): an order, its invoice paid from the
prepaid balance (topped up first through billing's API), the registration at the sandbox registry."""
from __future__ import annotations

import uuid

from tests.helpers import eventually
from tests.test_billing_payments import account_of, balance, top_up


def unique_name(tld: str = "ch", tag: str = "d") -> str:
    return f"{tag}{uuid.uuid4().hex[:12]}.{tld}"


def registrant(country: str = "CH", **data) -> dict:
    """A person holding the domain, with the extra data a TLD asks for given as keywords."""
    holder = {"kind": "person", "name": "Anna Muster", "email": f"anna-{uuid.uuid4().hex[:8]}@example.test",
              "phone": "+41.311234567",
              "address": {"street": "Gasse 1", "city": "Bern", "postcode": "3000", "country": country}}
    if data:
        holder["data"] = data
    return holder


def place_order(api, customer, body: dict):
    """POST /v1/domains/orders, once domains knows the organization's invoice currency."""
    def placed():
        answer = api.post("/v1/domains/orders", body, customer["token"])
        if answer.status_code == 409 and answer.json().get("type", "").endswith("billing-account-pending"):
            return None
        return answer
    return eventually(placed, what="domains hearing of the billing account")


def availability(api, customer, names: list[str]) -> list[dict]:
    """POST /v1/domains/availability, once domains knows the organization's invoice currency."""
    def asked():
        answer = api.post("/v1/domains/availability", {"names": names}, customer["token"])
        if answer.status_code == 409:
            return None
        assert answer.status_code == 200, answer.text
        return answer.json()
    return eventually(asked, what="domains hearing of the billing account")


def order_of(api, customer, order_id: str) -> dict:
    answer = api.get(f"/v1/domains/orders/{order_id}", customer["token"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def settled(api, customer, order_id: str, timeout: float = 60) -> dict:
    """The order once it is completed or failed."""
    last = {}

    def done():
        last.update(order_of(api, customer, order_id))
        return last["status"] in ("completed", "failed") and dict(last)
    try:
        return eventually(done, timeout=timeout, what=f"order {order_id} settled")
    except AssertionError:
        raise AssertionError(f"order not settled within {timeout}s: {last}") from None


def fund(api, customer, minor: int) -> None:
    """Tops the prepaid balance up by `minor` (billing's API), so that invoices pay themselves."""
    before = balance(api, customer)
    answer = top_up(api, customer, minor)
    assert answer.status_code in (200, 201), answer.text
    eventually(lambda: balance(api, customer) >= before + minor, what="the topped-up balance")


def with_vat(net_minor: int) -> int:
    """Enough for an invoice of `net_minor` with any VAT billing may add (up to 30 %)."""
    return -(-net_minor * 13 // 10)


def registered_domain(api, customer, name: str | None = None, tld: str = "ch", years: int = 1) -> dict:
    """A domain registered through the API for the customer's organization (DO-02), as
    GET /v1/domains/{id} shows it (active, with the registry's expiry)."""
    name = name or unique_name(tld)
    account_of(api, customer)
    found = availability(api, customer, [name])[0]
    assert found["available"], found
    fund(api, customer, with_vat(found["price"]["amount_minor"] * years))
    body = {"domain": name, "years": years, "registrant": registrant(**_data_for(tld))}
    answer = place_order(api, customer, body)
    assert answer.status_code == 201, answer.text
    order = settled(api, customer, answer.json()["id"])
    assert order["status"] == "completed", order
    domain = api.get(f"/v1/domains/{order['domain_id']}", customer["token"])
    assert domain.status_code == 200, domain.text
    return domain.json()


def _data_for(tld: str) -> dict:
    """What the TLDs of services/domains/data/tlds.yaml ask of a Swiss person beyond the address."""
    return {"fr": {"birth_date": "1980-04-01"}, "it": {"entity_type": "1", "nationality": "CH"}}.get(tld, {})
