"""The rules of domain orders (DO-02 register, DO-03 transfer in) and of which registry serves a TLD,
against an in-memory registry and repositories."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portico_kernel.errors import Conflict, Invalid
from services.domains.adapters.registries import Registries, RegistryMisconfigured, key_of, registry_config
from services.domains.adapters.tld_file import tld_catalog
from services.domains.domain import orders
from services.domains.domain.events import InvoicePaid
from services.domains.domain.registry import (
    Availability, DomainCreated, DomainInfo, RegistryRefused, RegistryUnavailable, TransferStatus,
)

ORG, OTHER = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
UTC = timezone.utc


def holder(country="CH", **data) -> dict:
    found = {"kind": "person", "name": "Anna Muster", "email": "anna@example.test",
             "address": {"street": "Gasse 1", "city": "Bern", "postcode": "3000", "country": country}}
    if data:
        found["data"] = data
    return found


class FakeRegistry:
    def __init__(self):
        self.domains: dict[str, dict] = {}
        self.contacts: set[str] = set()
        self.down = False
        self.refuse: RegistryRefused | None = None
        self.transfer = "pending"
        self.creates = 0

    def _reachable(self):
        if self.down:
            raise RegistryUnavailable("connection refused")

    def check_domains(self, names):
        self._reachable()
        return [Availability(n, n not in self.domains, None if n not in self.domains else "in use") for n in names]

    def create_contact(self, contact):
        self._reachable()
        if contact.contact_id in self.contacts:
            raise RegistryRefused(2302, "Object exists")
        self.contacts.add(contact.contact_id)

    def create_domain(self, registration):
        self._reachable()
        if self.refuse:
            raise self.refuse
        if registration.name in self.domains:
            raise RegistryRefused(2302, "Object exists")
        self.creates += 1
        expires = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
        self.domains[registration.name] = {"registrant": registration.registrant, "expires": expires}
        return DomainCreated(registration.name, None, expires)

    def domain_info(self, name, auth_info=None):
        self._reachable()
        record = self.domains[name]
        return DomainInfo(name=name, registry_id="D1", statuses=("ok",), sponsor="portico",
                          registrant=record["registrant"], expires_at=record["expires"])

    def request_transfer(self, name, auth_info, years=None):
        self._reachable()
        if self.refuse:
            raise self.refuse
        return TransferStatus(name, "pending", "portico", None, "other", None)

    def query_transfer(self, name, auth_info=None):
        self._reachable()
        if self.transfer in orders.APPROVED:
            self.domains[name] = {"registrant": "x", "expires": datetime(2028, 1, 1, tzinfo=UTC)}
        return TransferStatus(name, self.transfer, "portico", None, "other", None)


class FakeOrders:
    def __init__(self):
        self.rows: dict[str, orders.DomainOrder] = {}

    def add(self, order):
        if order.open_name and any(o.open_name == order.open_name for o in self.rows.values()):
            raise Conflict("open", problem="domain-order-open")
        self.rows[order.id] = order

    def get(self, order_id):
        return self.rows.get(order_id)

    locked = get

    def open_for(self, name):
        return next((o for o in self.rows.values() if o.open_name == name), None)

    def claim_due(self, now):
        due = [o for o in self.rows.values() if o.status in (orders.PAID, orders.PENDING_TRANSFER_STATE)
               and o.next_attempt_at and o.next_attempt_at <= now]
        return min(due, key=lambda o: o.next_attempt_at) if due else None


class FakeDomains:
    def __init__(self):
        self.rows = {}

    def by_name(self, name):
        return next((d for d in self.rows.values() if d.name == name), None)

    def add(self, domain):
        self.rows[domain.id] = domain

    def remove(self, domain):
        del self.rows[domain.id]


class FakeCurrencies:
    def __init__(self):
        self.rows = {ORG: "CHF"}

    def of(self, org_id):
        return self.rows.get(org_id)

    def put(self, org_id, currency):
        self.rows[org_id] = currency


class FakeDocuments:
    def __init__(self):
        self.rows = {}

    def types_of(self, org_id, ids):
        return {i: t for i, (o, t) in self.rows.items() if i in ids and o == org_id}


class FakeUow:
    def __init__(self, clock):
        self.clock = clock
        self.orders, self.domains = FakeOrders(), FakeDomains()
        self.currencies, self.documents = FakeCurrencies(), FakeDocuments()
        self.emitted = []

    def emit(self, record, org_id=None):
        self.emitted.append(record)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def commit(self):
        pass

    def types(self):
        return [type(e).__name__ for e in self.emitted]


@pytest.fixture
def catalog():
    return tld_catalog()


@pytest.fixture
def uow(clock):
    return FakeUow(clock)


@pytest.fixture
def registry():
    return FakeRegistry()


def paid(uow, order):
    orders.on_invoice_paid(InvoicePaid(invoice_id="i", org_id=order.org_id, reference=f"domain-order:{order.id}"), uow)


def run(uow, registry, catalog):
    return orders.carry_out_due(lambda: uow, lambda tld: registry, catalog)


# --- names and availability -------------------------------------------------------------------------

def test_DO_02_names_are_taken_in_their_ascii_form_and_nonsense_is_refused():
    assert orders.ascii_name(" Zürich.CH. ") == "xn--zrich-kva.ch"
    for wrong in ("", "ch", "a..ch", "-a.ch", "a_b.ch", "www.example.ch", 42, "x" * 64 + ".ch"):
        with pytest.raises(ValueError):
            orders.ascii_name(wrong)


def test_DO_02_many_names_are_checked_at_once_with_prices(catalog, registry):
    registry.domains["taken.ch"] = {"registrant": "x", "expires": None}
    answers = orders.check_availability(catalog, lambda tld: registry, ["free.ch", "taken.ch", "x.example", "bad_.ch"],
                                        "CHF")
    assert [(a["name"], a["available"]) for a in answers] == [("free.ch", True), ("taken.ch", False),
                                                             ("x.example", False), ("bad_.ch", False)]
    assert answers[0]["price"] == {"amount_minor": 1800, "currency": "CHF"} and answers[0]["years"]
    assert "example" in answers[2]["reason"]
    registry.down = True
    assert "registry" in orders.check_availability(catalog, lambda tld: registry, ["free.ch"], "CHF")[0]["reason"]
    with pytest.raises(Invalid):
        orders.check_availability(catalog, lambda tld: registry, ["a.ch"] * 51, "CHF")


# --- placing -----------------------------------------------------------------------------------------

def test_DO_02_missing_tld_requirements_are_listed_each(catalog):
    problems = orders.registrant_problems(catalog.for_tld("fr"), holder("CH"), {})
    assert [p["name"] for p in problems] == ["registrant.data.birth_date"]
    problems = orders.registrant_problems(catalog.for_tld("it"), {"kind": "person", "address": {"country": "US"}}, {})
    names = [p["name"] for p in problems]
    assert {"registrant.name", "registrant.email", "registrant.address.city", "registrant.address.country",
            "registrant.data.entity_type", "registrant.data.nationality"} <= set(names)
    assert orders.registrant_problems(catalog.for_tld("fr"), holder("CH", birth_date="1980-01-01"), {}) == []
    # an uploaded document of the type asked for counts
    with_document = {**holder("FR"), "documents": ["doc-1"]}
    assert orders.registrant_problems(catalog.for_tld("fr"), with_document, {"doc-1": "birth_certificate"}) == []
    assert orders.registrant_problems(catalog.for_tld("fr"), with_document, {"doc-1": "tax_certificate"}) != []
    unknown = orders.registrant_problems(catalog.for_tld("ch"), {**holder(), "documents": ["nope"]}, {})
    assert unknown == [{"name": "registrant.documents", "reason": "no such document: nope"}]


def test_DO_02_an_order_is_priced_in_the_organizations_currency_and_asks_billing(uow, catalog):
    order = orders.place(uow, ORG, catalog, {"domain": "example.ch", "years": 1, "registrant": holder()})
    assert order.status == orders.AWAITING_PAYMENT and order.price() == {"amount_minor": 1800, "currency": "CHF"}
    assert uow.types() == ["DomainOrderPlaced"] and uow.emitted[0].order_id == order.id
    with pytest.raises(Conflict):  # one open order per name
        orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})


def test_DO_02_an_order_is_refused_before_billing_hears_of_it(uow, catalog):
    with pytest.raises(Invalid) as refused:
        orders.place(uow, ORG, catalog, {"domain": "example.ch", "years": 3, "registrant": holder()})
    assert refused.value.extra["invalid_params"][0]["name"] == "years"
    with pytest.raises(Invalid) as refused:
        orders.place(uow, ORG, catalog, {"domain": "example.fr", "registrant": holder()})
    assert refused.value.problem == "tld-requirements"
    assert [p["name"] for p in refused.value.extra["invalid_params"]] == ["registrant.data.birth_date"]
    with pytest.raises(Invalid):
        orders.place(uow, ORG, catalog, {"domain": "example.ch"})  # no registrant
    with pytest.raises(Invalid):
        orders.place(uow, ORG, catalog, {"kind": "transfer", "domain": "example.ch"})  # no auth code
    with pytest.raises(Conflict):
        orders.place(uow, OTHER, catalog, {"domain": "example.ch", "registrant": holder()})  # no currency known
    assert uow.emitted == []


# --- paying and carrying out ----------------------------------------------------------------------------

def test_DO_02_a_paid_order_is_registered_once_even_when_paid_twice(uow, catalog, registry):
    order = orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})
    assert run(uow, registry, catalog) == 0  # unpaid: nothing at the registry
    paid(uow, order)
    paid(uow, order)
    assert run(uow, registry, catalog) == 1
    assert order.status == orders.COMPLETED and registry.creates == 1
    domain = uow.domains.rows[order.domain_id]
    assert domain.status == "active" and domain.expires_at == datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    assert uow.types() == ["DomainOrderPlaced", "DomainStateChanged", "ProductProvisioned"]
    paid(uow, order)
    assert run(uow, registry, catalog) == 0 and registry.creates == 1


def test_DO_02_an_invoice_paid_for_another_organization_or_another_thing_does_nothing(uow, catalog):
    order = orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})
    orders.on_invoice_paid(InvoicePaid(invoice_id="i", org_id=OTHER, reference=f"domain-order:{order.id}"), uow)
    orders.on_invoice_paid(InvoicePaid(invoice_id="i", org_id=ORG, reference="renewal:x:2026-01-01"), uow)
    orders.on_invoice_paid(InvoicePaid(invoice_id="i", org_id=ORG, reference=None), uow)
    assert order.status == orders.AWAITING_PAYMENT


def test_DO_02_a_registry_that_is_down_is_asked_again_later(uow, catalog, registry, clock):
    order = orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})
    paid(uow, order)
    registry.down = True
    run(uow, registry, catalog)
    assert order.status == orders.PAID and order.attempts == 1 and order.next_attempt_at > clock.now()
    assert run(uow, registry, catalog) == 0  # not before its time
    registry.down = False
    clock.advance(minutes=1)
    run(uow, registry, catalog)
    assert order.status == orders.COMPLETED


def test_DO_02_a_create_interrupted_after_the_registry_did_it_is_recognized(uow, catalog, registry, clock):
    order = orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})
    paid(uow, order)
    registry.domains["example.ch"] = {"registrant": orders.contact_id_of(order), "expires": datetime(2027, 1, 1, tzinfo=UTC)}
    registry.contacts.add(orders.contact_id_of(order))
    run(uow, registry, catalog)
    assert order.status == orders.COMPLETED
    assert uow.domains.rows[order.domain_id].expires_at == datetime(2027, 1, 1, tzinfo=UTC)


def test_DO_02_a_refusal_fails_the_order_with_its_reason(uow, catalog, registry):
    order = orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})
    paid(uow, order)
    registry.domains["example.ch"] = {"registrant": "someone", "expires": None}
    run(uow, registry, catalog)
    assert order.status == orders.FAILED and "someone else" in order.reason and order.open_name is None
    assert uow.types()[-1] == "DomainOrderFailed" and uow.emitted[-1].reason == order.reason
    # the name may be ordered again
    orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})


def test_DO_03_a_transfer_waits_for_the_losing_registrar_then_completes(uow, catalog, registry, clock):
    order = orders.place(uow, ORG, catalog, {"kind": "transfer", "domain": "example.com", "auth_code": "Secret-1"})
    assert order.years == 1  # .com adds a year
    paid(uow, order)
    run(uow, registry, catalog)
    assert order.status == orders.PENDING_TRANSFER_STATE and order.auth_code == "Secret-1"
    clock.advance(seconds=10)
    run(uow, registry, catalog)
    assert order.status == orders.PENDING_TRANSFER_STATE
    registry.transfer = "serverApproved"
    clock.advance(seconds=10)
    run(uow, registry, catalog)
    assert order.status == orders.COMPLETED and order.auth_code is None
    assert uow.domains.rows[order.domain_id].expires_at == datetime(2028, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("code, words", [(2202, "auth code is wrong"), (2201, "auth code is wrong"),
                                         (2304, "locked"), (2106, "cannot be transferred yet"),
                                         (2303, "no such domain"), (2400, "registry refused")])
def test_DO_03_a_refused_transfer_says_why(uow, catalog, registry, code, words):
    order = orders.place(uow, ORG, catalog, {"kind": "transfer", "domain": "example.ch", "auth_code": "x"})
    paid(uow, order)
    registry.refuse = RegistryRefused(code, "refused")
    run(uow, registry, catalog)
    assert order.status == orders.FAILED and words in order.reason and order.auth_code is None
    assert type(uow.emitted[-1]).__name__ == "DomainOrderFailed"


def test_DO_03_a_transfer_the_losing_registrar_rejects_fails(uow, catalog, registry, clock):
    order = orders.place(uow, ORG, catalog, {"kind": "transfer", "domain": "example.ch", "auth_code": "x"})
    paid(uow, order)
    run(uow, registry, catalog)
    registry.transfer = "clientRejected"
    clock.advance(seconds=10)
    run(uow, registry, catalog)
    assert order.status == orders.FAILED and "rejected" in order.reason


def test_DO_02_auth_codes_made_for_a_registration_satisfy_the_tld(catalog):
    for tld in catalog.tlds:
        rules = catalog.for_tld(tld)
        assert rules.auth_code.problem(orders.new_auth_code(rules)) is None


# --- which registry serves a TLD ----------------------------------------------------------------------------

def env_of(values):
    return lambda name, default=None: values.get(name, default)


def test_a_registry_is_configured_by_default_and_per_registry():
    assert key_of("Registro.it") == "REGISTRO_IT" and key_of("SWITCH") == "SWITCH"
    values = {"DOMAINS_REGISTRY_URL": "epps://epp.example.test", "DOMAINS_REGISTRY_LOGIN": "us",
              "DOMAINS_REGISTRY_PASSWORD": "secret-1", "DOMAINS_REGISTRY_SWITCH_URL": "epps://epp.switch.test:7000",
              "DOMAINS_REGISTRY_SWITCH_PASSWORD": "secret-2"}
    default = registry_config("Verisign", env_of(values))
    assert (default.host, default.port, default.login, default.password) == ("epp.example.test", 700, "us", "secret-1")
    switch = registry_config("SWITCH", env_of(values))
    assert (switch.host, switch.port, switch.login, switch.password) == ("epp.switch.test", 7000, "us", "secret-2")
    assert "secret" not in repr(switch)
    assert registry_config("SWITCH", env_of({})) is None
    with pytest.raises(RegistryMisconfigured):
        registry_config("SWITCH", env_of({"DOMAINS_REGISTRY_URL": "https://x.test", "DOMAINS_REGISTRY_LOGIN": "a",
                                          "DOMAINS_REGISTRY_PASSWORD": "b"}))
    with pytest.raises(RegistryMisconfigured):
        registry_config("SWITCH", env_of({"DOMAINS_REGISTRY_URL": "epps://x.test"}))


def test_a_tld_gets_its_registrys_client_one_per_registry(catalog):
    made = []
    values = {"DOMAINS_REGISTRY_URL": "epps://epp.example.test", "DOMAINS_REGISTRY_LOGIN": "us",
              "DOMAINS_REGISTRY_PASSWORD": "secret-1"}
    registries = Registries(catalog, env_of(values), client_factory=lambda cfg: made.append(cfg.registry) or object())
    assert registries.registry_for("ch") is registries.registry_for("li")  # both SWITCH
    registries.registry_for("com")
    assert made == ["SWITCH", "Verisign"]
    with pytest.raises(LookupError):
        registries.registry_for("example")
    with pytest.raises(RegistryUnavailable):
        Registries(catalog, env_of({})).registry_for("ch")


def test_DO_02_a_released_name_registered_anew_is_a_new_domain(uow, catalog, registry):
    from services.domains.domain.model import Domain

    old = Domain(id="old", org_id=OTHER, name="example.ch", expires_at=datetime(2020, 1, 1, tzinfo=UTC), status="released")
    uow.domains.add(old)
    order = orders.place(uow, ORG, catalog, {"domain": "example.ch", "registrant": holder()})
    paid(uow, order)
    run(uow, registry, catalog)
    assert order.status == orders.COMPLETED and "old" not in uow.domains.rows
    assert uow.domains.rows[order.domain_id].org_id == ORG
