"""DO-01: managing a domain through the API: name servers with glue, contacts from the organization's
contacts, the transfer auth code (set at the registry, shown once, mailed, stored hashed), the change
of owner confirmed by the new registrant and the TLD's transfer lock after it; another organization's
ids are 404, hostile input 400 naming the field. The sandbox registry is the registry."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import eventually, unique_email

ROUTES = (("GET", "nameservers"), ("PUT", "nameservers"), ("GET", "contacts"), ("PUT", "contacts"),
          ("GET", "transfer"), ("POST", "auth-code"), ("POST", "owner-change"), ("POST", "owner-change/confirm"))
BODIES = {"nameservers": {"nameservers": [{"host": "ns1.example.net"}, {"host": "ns2.example.net"}]},
          "contacts": {"admin": str(uuid.uuid4())}, "owner-change": {"contact_id": str(uuid.uuid4())},
          "owner-change/confirm": {"token": "t" * 43}}


def _call(api, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if method != "GET":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    return api.http.request(method, api.url(path), json=body, headers=headers, timeout=60)


def _field(response) -> set[str]:
    return {p["name"].split(".")[-1].split("[")[0] for p in response.json().get("invalid_params", [])} | {
        p["name"] for p in response.json().get("invalid_params", [])}


@pytest.fixture(scope="module")
def owner(api):
    return api.customer_with_org(country="CH")


def test_DO_01_an_unknown_domain_is_404_on_every_route(api, owner):
    for method, tail in ROUTES:
        response = _call(api, method, f"/v1/domains/{uuid.uuid4()}/{tail}", owner["token"], BODIES.get(tail))
        assert response.status_code == 404, (method, tail, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("tail, body, field", [
    ("nameservers", {"nameservers": [{"host": f"ns{i}.example.net"} for i in range(14)]}, "nameservers"),
    ("nameservers", {"nameservers": [{"host": "ns1.example.net", "ttl": 1}, {"host": "ns2.example.net"}]}, "ttl"),
    ("nameservers", {"nameservers": "ns1.example.net"}, "nameservers"),
    ("nameservers", {"nameservers": [{"host": "x" * 1001}, {"host": "ns2.example.net"}]}, "host"),
    ("contacts", {"registrant": str(uuid.uuid4())}, "registrant"),
    ("contacts", {}, "body"),
    ("owner-change", {"registrant": {"name": "N", "email": "n@example.test", "country": "CH"}}, "town"),
    ("owner-change", {"registrant": {"name": "N", "email": "n@example.test", "country": "CHE", "town": "Bern"}}, "country"),
    ("owner-change/confirm", {"token": ""}, "token"),
])
def test_DO_01_hostile_input_is_400_naming_the_field(api, owner, tail, body, field):
    response = _call(api, "PUT" if tail in ("nameservers", "contacts") else "POST", f"/v1/domains/{uuid.uuid4()}/{tail}",
                     owner["token"], body)
    assert response.status_code == 400, response.text
    assert field in _field(response) or field in response.json()["detail"], response.text


# --- with a registered domain (tests/domains_helpers.py) ---------------------------------------------

def _registered(api, customer, **kw) -> dict:
    helpers = pytest.importorskip("tests.domains_helpers")
    return helpers.registered_domain(api, customer, **kw)


def _registrar(client_id="portico"):
    from tests.test_sandbox_registry import registrar

    return registrar(client_id)


@pytest.fixture
def tap(stack):
    from tests.bus_tap import Tap

    tap = Tap(f"domains-manage-{uuid.uuid4().hex[:6]}")
    yield tap
    tap.close()


def _with_address(api, customer):
    change = {"name": "Muster Hosting AG", "type": "company",
              "address": {"street": "Bahnhofstrasse", "house_number": "1", "postcode": "8001", "town": "Zürich",
                          "country": "CH"}}
    response = api.http.patch(api.url(f"/v1/orgs/{customer['org_id']}"), json=change,
                              headers={"Authorization": f"Bearer {customer['token']}"}, timeout=30)
    assert response.status_code == 200, response.text


def test_DO_01_name_servers_and_glue_go_to_the_registry(api, stack):
    customer = api.customer_with_org(country="CH")
    domain = _registered(api, customer)
    name, path = domain["name"], f"/v1/domains/{domain['id']}/nameservers"
    servers = [{"host": f"ns1.{name}", "addresses": ["192.0.2.10", "2001:db8::10"]}, {"host": "ns.dns-provider.net"}]
    answer = _call(api, "PUT", path, customer["token"], {"nameservers": servers})
    assert answer.status_code == 200, answer.text
    assert answer.json()["nameservers"][0] == {"host": f"ns1.{name}", "addresses": ["192.0.2.10", "2001:db8::10"]}
    assert _call(api, "GET", path, customer["token"]).json()["nameservers"] == answer.json()["nameservers"]
    with _registrar() as registry:
        info = registry.domain_info(name)
        assert set(info.nameservers) == {f"ns1.{name}", "ns.dns-provider.net"}
        assert {a.address for a in registry.host_info(f"ns1.{name}").addresses} == {"192.0.2.10", "2001:db8::10"}
    # changed glue and a dropped server
    servers = [{"host": f"ns1.{name}", "addresses": ["192.0.2.11"]}, {"host": "ns2.dns-provider.net"}]
    assert _call(api, "PUT", path, customer["token"], {"nameservers": servers}).status_code == 200
    with _registrar() as registry:
        assert set(registry.domain_info(name).nameservers) == {f"ns1.{name}", "ns2.dns-provider.net"}
        assert [a.address for a in registry.host_info(f"ns1.{name}").addresses] == ["192.0.2.11"]
    # rules: 2-13, glue only in the zone, each once; nothing changes
    for body, field in (({"nameservers": servers[:1]}, "nameservers"),
                        ({"nameservers": [{"host": f"ns9.{name}"}, servers[1]]}, "nameservers[0].addresses"),
                        ({"nameservers": [servers[0], {"host": "ns.other.net", "addresses": ["192.0.2.1"]}]}, "nameservers[1].addresses"),
                        ({"nameservers": [servers[1], {"host": servers[1]["host"].upper()}]}, "nameservers[1].host"),
                        ({"nameservers": [{"host": "ns1..bad"}, servers[1]]}, "nameservers[0].host"),
                        ({"nameservers": [{"host": f"ns1.{name}", "addresses": ["10.0.0.1"]}, servers[1]]}, "nameservers[0].addresses[0]")):
        refused = _call(api, "PUT", path, customer["token"], body)
        assert refused.status_code == 400 and field in _field(refused), refused.text
    with _registrar() as registry:
        assert set(registry.domain_info(name).nameservers) == {f"ns1.{name}", "ns2.dns-provider.net"}
    # another organization: the domain does not exist for it
    stranger = api.customer_with_org()
    assert _call(api, "GET", path, stranger["token"]).status_code == 404
    assert _call(api, "PUT", path, stranger["token"], {"nameservers": servers}).status_code == 404


def test_DO_01_contacts_come_from_the_organizations_contacts(api, stack):
    customer = api.customer_with_org(country="CH")
    _with_address(api, customer)
    domain = _registered(api, customer)
    org = customer["org_id"]
    added = api.post(f"/v1/orgs/{org}/contacts", {"purpose": "technical", "name": "Tess Tech", "email": unique_email("tech")},
                     customer["token"])
    assert added.status_code == 201, added.text
    contact_id = added.json()["id"]
    path = f"/v1/domains/{domain['id']}/contacts"
    answer = eventually(lambda: (r := _call(api, "PUT", path, customer["token"], {"admin": contact_id, "tech": contact_id}))
                        .status_code == 200 and r, what="domains knowing the organization's contact")
    view = answer.json()
    assert view["admin"]["contact_id"] == contact_id and view["tech"]["handle"] == view["admin"]["handle"]
    with _registrar() as registry:
        info = registry.domain_info(domain["name"])
        assert {(c.role, c.contact_id) for c in info.contacts} >= {("admin", view["admin"]["handle"]),
                                                                  ("tech", view["admin"]["handle"])}
        assert registry.contact_info(view["admin"]["handle"]).postal.city == "Zürich"
    # another organization's contact is not one of ours
    stranger = api.customer_with_org()
    theirs = api.post(f"/v1/orgs/{stranger['org_id']}/contacts", {"purpose": "technical", "name": "Eve",
                                                                   "email": unique_email("eve")}, stranger["token"]).json()["id"]
    refused = _call(api, "PUT", path, customer["token"], {"billing": theirs})
    assert refused.status_code == 400 and "billing" in _field(refused), refused.text
    assert _call(api, "PUT", path, stranger["token"], {"billing": theirs}).status_code == 404
    # null removes a role
    assert _call(api, "PUT", path, customer["token"], {"tech": None}).json()["tech"] is None


def test_DO_01_the_auth_code_is_shown_once_mailed_and_works_at_the_registry(api, stack, smtp, tap):
    customer = api.customer_with_org(country="CH")
    domain = _registered(api, customer, tld="com")
    issued = _call(api, "POST", f"/v1/domains/{domain['id']}/auth-code", customer["token"])
    assert issued.status_code == 201, issued.text
    assert issued.headers.get("Cache-Control") == "no-store"
    code = issued.json()["auth_code"]
    assert 8 <= len(code) <= 32 and re.search(r"[A-Za-z]", code) and re.search(r"\d", code) and re.search(r"[^A-Za-z0-9]", code)
    valid_until = datetime.fromisoformat(issued.json()["valid_until"].replace("Z", "+00:00"))
    assert timedelta(days=13, hours=23) < valid_until - datetime.now(timezone.utc) <= timedelta(days=14, minutes=5)
    state = _call(api, "GET", f"/v1/domains/{domain['id']}/transfer", customer["token"])
    assert state.json()["auth_code"]["valid"] is True and code not in state.text
    event = tap.wait_for(lambda m: m["type"] == "DomainAuthCodeIssued" and m["payload"]["domain_id"] == domain["id"])["body"]
    assert event["payload"]["auth_code"] == code
    mail = smtp.wait_for(event["payload"]["registrant_email"] or customer["email"], domain["name"], timeout=60)
    assert code in mail["body"]
    with _registrar("other") as other:  # another registrar, shown the code, may read the domain
        assert other.domain_info(domain["name"], auth_info=code).name == domain["name"]
    # a code shown once is not kept for an Idempotency-Key's replay either: a retry makes a new one
    key = {"Authorization": f"Bearer {customer['token']}", "Idempotency-Key": str(uuid.uuid4())}
    first, again = (api.http.post(api.url(f"/v1/domains/{domain['id']}/auth-code"), headers=key, timeout=60) for _ in range(2))
    assert first.status_code == again.status_code == 201 and "Idempotency-Replayed" not in again.headers
    assert len({code, first.json()["auth_code"], again.json()["auth_code"]}) == 3
    stranger = api.customer_with_org()
    assert _call(api, "POST", f"/v1/domains/{domain['id']}/auth-code", stranger["token"]).status_code == 404


def test_DO_01_a_change_of_owner_is_confirmed_by_the_new_registrant_and_locks_transfers(api, stack, smtp, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = _registered(api, customer, tld="com")
    new_owner = unique_email("newowner")
    asked = _call(api, "POST", f"/v1/domains/{domain['id']}/owner-change", customer["token"],
                  {"registrant": {"name": "Nora Neu", "email": new_owner, "country": "DE", "town": "Berlin"}})
    assert asked.status_code == 202 and asked.json()["status"] == "pending", asked.text
    mail = smtp.wait_for(new_owner, domain["name"], timeout=60)
    token = re.search(r"token=([A-Za-z0-9_-]+)", mail["body"]).group(1)
    with _registrar() as registry:
        before = registry.domain_info(domain["name"]).registrant
    stranger = api.customer_with_org()
    assert _call(api, "POST", f"/v1/domains/{domain['id']}/owner-change/confirm", stranger["token"],
                 {"token": token}).status_code == 404
    done = _call(api, "POST", f"/v1/domains/{domain['id']}/owner-change/confirm", customer["token"], {"token": token})
    assert done.status_code == 200 and done.json()["status"] == "confirmed", done.text
    tap.wait_for(lambda m: m["type"] == "DomainOwnerChanged" and m["payload"]["domain_id"] == domain["id"])
    with _registrar() as registry:
        info = registry.domain_info(domain["name"])
        assert info.registrant != before and "clientTransferProhibited" in info.statuses
    contacts = _call(api, "GET", f"/v1/domains/{domain['id']}/contacts", customer["token"]).json()
    assert contacts["registrant"]["email"] == new_owner
    state = _call(api, "GET", f"/v1/domains/{domain['id']}/transfer", customer["token"]).json()
    locked_until = datetime.fromisoformat(state["transfer_locked_until"].replace("Z", "+00:00"))
    assert timedelta(days=59) < locked_until - datetime.now(timezone.utc) <= timedelta(days=60, minutes=5)
    refused = _call(api, "POST", f"/v1/domains/{domain['id']}/auth-code", customer["token"])
    assert refused.status_code == 409 and refused.json()["refusal"] == "transfer-locked", refused.text
    replay = _call(api, "POST", f"/v1/domains/{domain['id']}/owner-change/confirm", customer["token"], {"token": token})
    assert replay.status_code == 410
    clock.ahead("domains", days=61)
    clock.ahead("sandbox-registry", days=61)
    assert _call(api, "POST", f"/v1/domains/{domain['id']}/auth-code", customer["token"]).status_code == 201


def test_DO_01_only_members_with_the_manage_right_on_the_domain_change_it(api, stack, tap):
    from tests.test_organizations import member_of

    customer = api.customer_with_org(country="CH")
    domain = _registered(api, customer)
    colleague = member_of(api, tap, customer, "collaborator")
    path = f"/v1/domains/{domain['id']}/nameservers"
    body = {"nameservers": [{"host": "ns1.dns-provider.net"}, {"host": "ns2.dns-provider.net"}]}
    refused = _call(api, "PUT", path, colleague["token"], body)
    assert refused.status_code == 403, refused.text
    assert _call(api, "POST", f"/v1/domains/{domain['id']}/auth-code", colleague["token"]).status_code == 403
    grant = eventually(lambda: (r := api.post(f"/v1/orgs/{customer['org_id']}/grants", {
        "holder": {"kind": "member", "id": colleague["user_id"]}, "scope": "product", "product_type": "domain",
        "product_id": domain["id"], "rights": ["use", "manage"]}, customer["token"])).status_code == 201 and r,
        what="orgs knowing the domain as a product")
    assert grant.status_code == 201
    eventually(lambda: _call(api, "PUT", path, colleague["token"], body).status_code == 200, timeout=15,
               what="domains hearing of the grant")
    assert _call(api, "GET", path, colleague["token"]).json()["nameservers"][0]["host"] == "ns1.dns-provider.net"


# --- what the domains scheduler keeps true over time (DO-01) -----------------------------------------

def _ahead(clock, days: int) -> None:
    clock.ahead("domains", days=days)
    clock.ahead("sandbox-registry", days=days)


def _moves_with(name: str, code: str) -> bool:
    """Whether another registrar, shown `code`, gets at the domain (what a transfer request needs)."""
    from services.domains.domain.registry import RegistryRefused

    with _registrar("other") as other:
        try:
            return other.domain_info(name, auth_info=code).name == name
        except RegistryRefused:
            return False


def test_DO_01_an_expired_auth_code_is_replaced_at_the_registry_by_one_nobody_knows(api, stack, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = _registered(api, customer, tld="com")   # .com: a code holds 14 days
    issued = _call(api, "POST", f"/v1/domains/{domain['id']}/auth-code", customer["token"])
    assert issued.status_code == 201, issued.text
    code = issued.json()["auth_code"]
    assert _moves_with(domain["name"], code)
    _ahead(clock, 13)
    time_left = _call(api, "GET", f"/v1/domains/{domain['id']}/transfer", customer["token"]).json()
    assert time_left["auth_code"]["valid"] is True
    assert _moves_with(domain["name"], code)          # still valid: the scheduler leaves it
    _ahead(clock, 2)
    eventually(lambda: not _moves_with(domain["name"], code), timeout=60,
               what="the expired code replaced at the registry")
    state = _call(api, "GET", f"/v1/domains/{domain['id']}/transfer", customer["token"]).json()
    assert state["auth_code"]["valid"] is False
    # a new code is the customer's again, and works; the scheduler retires it only when it expires
    again = _call(api, "POST", f"/v1/domains/{domain['id']}/auth-code", customer["token"])
    assert again.status_code == 201, again.text
    fresh = again.json()["auth_code"]
    assert _moves_with(domain["name"], fresh)
    _ahead(clock, 1)
    assert _call(api, "GET", f"/v1/domains/{domain['id']}/transfer", customer["token"]).json()["auth_code"]["valid"]
    assert _moves_with(domain["name"], fresh)


def test_DO_01_the_transfer_lock_after_a_change_of_owner_shows_on_the_domain_and_ends_at_the_registry(
        api, stack, smtp, tap, clock):
    customer = api.customer_with_org(country="CH")
    domain = _registered(api, customer, tld="com")   # .com: 60 days after a change of owner
    assert domain["transfer_locked_until"] is None
    new_owner = unique_email("newowner")
    asked = _call(api, "POST", f"/v1/domains/{domain['id']}/owner-change", customer["token"],
                  {"registrant": {"name": "Nora Neu", "email": new_owner, "country": "DE", "town": "Berlin"}})
    assert asked.status_code == 202, asked.text
    token = re.search(r"token=([A-Za-z0-9_-]+)", smtp.wait_for(new_owner, domain["name"], timeout=60)["body"]).group(1)
    done = _call(api, "POST", f"/v1/domains/{domain['id']}/owner-change/confirm", customer["token"], {"token": token})
    assert done.status_code == 200, done.text
    shown = _call(api, "GET", f"/v1/domains/{domain['id']}", customer["token"]).json()
    locked_until = datetime.fromisoformat(shown["transfer_locked_until"].replace("Z", "+00:00"))
    assert timedelta(days=59) < locked_until - datetime.now(timezone.utc) <= timedelta(days=60, minutes=5)
    assert shown["transfer_lock_reason"] == "owner_change"
    listed = [d for d in _call(api, "GET", "/v1/domains?limit=100", customer["token"]).json() if d["id"] == domain["id"]]
    assert listed[0]["transfer_locked_until"] == shown["transfer_locked_until"]
    _ahead(clock, 59)
    with _registrar() as registry:
        assert "clientTransferProhibited" in registry.domain_info(domain["name"]).statuses
    _ahead(clock, 2)

    def lifted() -> bool:
        with _registrar() as registry:
            return "clientTransferProhibited" not in registry.domain_info(domain["name"]).statuses
    eventually(lifted, timeout=60, what="clientTransferProhibited removed at the registry")
    after = _call(api, "GET", f"/v1/domains/{domain['id']}", customer["token"]).json()
    assert after["transfer_locked_until"] is None and after["transfer_lock_reason"] is None
    stranger = api.customer_with_org()
    assert _call(api, "GET", f"/v1/domains/{domain['id']}", stranger["token"]).status_code == 404
