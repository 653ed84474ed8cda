"""DO-01: managing a domain: name servers and glue, the transfer auth code per TLD, contacts from the
organization's contacts, the change of owner and its transfer lock. Rules with in-memory fakes and a
fake registry that answers as the port says."""
from __future__ import annotations

import string
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

import pytest

from portico_kernel.clock import FakeClock
from portico_kernel.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from portico_kernel.principal import Principal
from services.domains.adapters.hashing import digest, hash_secret, verify_secret
from services.domains.adapters.tld_file import tld_catalog
from services.domains.domain import auth_codes, manage
from services.domains.domain import nameservers as ns
from services.domains.domain.events import (ContactAdded, ContactRemoved, DomainAuthCodeIssued, DomainOwnerChanged,
                                            DomainOwnerChangeRequested, OrganizationCreated,
                                            OrganizationDetailsChanged)
from services.domains.domain.model import Domain
from services.domains.domain.registry import ContactRole, DomainInfo, HostAddress, HostInfo, Outcome, RegistryRefused, RegistryUnavailable
from services.domains.domain.tld_rules import AuthCodeRule
from tests.unit.fakes import FakeUnitOfWork

CATALOG = tld_catalog()
ORG, OTHER_ORG = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


# --- host names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("ns1.example.net", "ns1.example.net"),
    ("NS1.Example.NET.", "ns1.example.net"),
    ("ns.bücher.ch", "ns.xn--bcher-kva.ch"),
    ("ns1.xn--bcher-kva.ch", "ns1.xn--bcher-kva.ch"),
    ("a" * 63 + ".example.com", "a" * 63 + ".example.com"),
])
def test_do01_host_names_are_taken_in_their_ascii_form(raw, expected):
    assert ns.host_name(raw) == expected


@pytest.mark.parametrize("raw", [
    "", " ", "localhost", "ns1..example.com", "-ns.example.com", "ns-.example.com", "ns_1.example.com",
    "ns 1.example.com", "ns1.example.com\n", "a" * 64 + ".example.com", ".".join(["abcdefghi"] * 26) + ".com",
    "ns1.example.123", "ns1.xn--zz.ch", "ab--cd.example.com", "ns1.exa<mple.com", "ns1.example.com/x", 42, None,
    "ns\u200b.example.com",
])
def test_do01_hostile_or_malformed_host_names_are_refused(raw):
    with pytest.raises(ns.HostNameRefused):
        ns.host_name(raw)


def test_do01_a_name_longer_than_253_characters_is_refused():
    name = ".".join(["a" * 60] * 4) + ".example.com"
    assert len(name) > 253
    with pytest.raises(ns.HostNameRefused, match="253"):
        ns.host_name(name)


def _field(error: Invalid) -> str:
    return error.extra["invalid_params"][0]["name"]


def test_do01_two_to_thirteen_name_servers():
    two = [{"host": "ns1.example.net"}, {"host": "ns2.example.net"}]
    assert len(ns.nameservers(two, "example.ch")) == 2
    thirteen = [{"host": f"ns{i}.example.net"} for i in range(13)]
    assert len(ns.nameservers(thirteen, "example.ch")) == 13
    for wrong in ([], two[:1], thirteen + [{"host": "ns99.example.net"}]):
        with pytest.raises(Invalid) as refused:
            ns.nameservers(wrong, "example.ch")
        assert _field(refused.value) == "nameservers"


def test_do01_a_name_server_listed_twice_is_refused_even_when_spelled_differently():
    with pytest.raises(Invalid) as refused:
        ns.nameservers([{"host": "ns1.example.net"}, {"host": "NS1.example.net."}], "example.ch")
    assert _field(refused.value) == "nameservers[1].host"


def test_do01_glue_is_required_inside_the_zone_and_refused_outside_it():
    servers = ns.nameservers([{"host": "ns1.example.ch", "addresses": ["192.0.2.1", "2001:db8::1"]},
                              {"host": "ns2.example.net"}], "example.ch")
    assert servers[0].addresses == (HostAddress("192.0.2.1", "v4"), HostAddress("2001:db8::1", "v6"))
    assert servers[1].addresses == ()
    with pytest.raises(Invalid) as refused:
        ns.nameservers([{"host": "ns1.example.ch"}, {"host": "ns2.example.net"}], "example.ch")
    assert _field(refused.value) == "nameservers[0].addresses"
    with pytest.raises(Invalid) as refused:
        ns.nameservers([{"host": "ns1.example.net"}, {"host": "ns2.example.net", "addresses": ["192.0.2.1"]}], "example.ch")
    assert _field(refused.value) == "nameservers[1].addresses"


def test_do01_a_host_of_another_domain_ending_alike_is_not_in_the_zone():
    assert ns.in_zone("ns1.example.ch", "example.ch")
    assert ns.in_zone("example.ch", "example.ch")
    assert not ns.in_zone("ns1.myexample.ch", "example.ch")


@pytest.mark.parametrize("address", ["10.0.0.1", "127.0.0.1", "192.168.1.1", "172.16.0.1", "0.0.0.0", "224.0.0.1",
                                     "::1", "fe80::1", "fd00::1", "::ffff:192.0.2.1", "999.1.1.1", "1.2.3", "x",
                                     "192.0.2.1; rm -rf /"])
def test_do01_glue_must_be_an_address_on_the_internet(address):
    with pytest.raises(Invalid) as refused:
        ns.nameservers([{"host": "ns1.example.ch", "addresses": [address]}, {"host": "ns2.example.net"}], "example.ch")
    assert _field(refused.value) == "nameservers[0].addresses[0]"


def test_do01_the_same_glue_address_twice_is_refused():
    with pytest.raises(Invalid) as refused:
        ns.nameservers([{"host": "ns1.example.ch", "addresses": ["192.0.2.1", "192.0.2.1"]},
                        {"host": "ns2.example.net"}], "example.ch")
    assert _field(refused.value) == "nameservers[0].addresses[1]"


def test_do01_unknown_fields_of_a_name_server_are_named():
    with pytest.raises(Invalid) as refused:
        ns.nameservers([{"host": "ns1.example.net", "ttl": 5}, {"host": "ns2.example.net"}], "example.ch")
    assert _field(refused.value) == "nameservers[0].ttl"


def test_do01_the_plan_creates_new_in_zone_hosts_readdresses_changed_ones_and_deletes_dropped_ones():
    v4 = lambda a: HostAddress(a, "v4")  # noqa: E731
    current = (ns.NameServer("ns1.example.ch", (v4("192.0.2.1"),)), ns.NameServer("ns2.example.ch", (v4("192.0.2.2"),)),
               ns.NameServer("a.dns.net"))
    wanted = (ns.NameServer("ns1.example.ch", (v4("192.0.2.9"),)), ns.NameServer("ns3.example.ch", (v4("192.0.2.3"),)),
              ns.NameServer("a.dns.net"))
    step = ns.plan(current, wanted, "example.ch")
    assert [h.host for h in step.create_hosts] == ["ns3.example.ch"]
    assert step.readdress_hosts == ((wanted[0], (v4("192.0.2.9"),), (v4("192.0.2.1"),)),)
    assert step.add == ("ns3.example.ch",) and step.remove == ("ns2.example.ch",)
    assert step.delete_hosts == ("ns2.example.ch",) and step.external_hosts == ()
    assert not ns.plan(wanted, wanted, "example.ch").changes_domain


# --- auth codes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("tld", ["ch", "li", "de", "com", "fr", "it"])
def test_do01_auth_codes_meet_each_tlds_rule(tld):
    rule = CATALOG[tld].auth_code
    codes = {auth_codes.new_auth_code(rule) for _ in range(200)}
    assert len(codes) == 200  # never the same twice
    for code in codes:
        assert rule.problem(code) is None, (tld, code)
        assert rule.min_length <= len(code) <= rule.max_length
        assert not set(code) & set("<>&\"' \\")


def test_do01_an_auth_code_is_as_long_as_the_tld_allows_up_to_twenty_characters():
    assert auth_codes.length_for(CATALOG["com"].auth_code) == 20
    assert auth_codes.length_for(CATALOG["de"].auth_code) == 16  # DENIC caps it at 16
    assert auth_codes.length_for(AuthCodeRule(min_length=24, max_length=40)) == 24


def test_do01_auth_codes_use_the_tlds_alphabet_only():
    rule = CATALOG["de"].auth_code
    for _ in range(100):
        assert set(auth_codes.new_auth_code(rule)) <= set(rule.alphabet)


def test_do01_auth_code_characters_are_drawn_uniformly():
    rule = AuthCodeRule(min_length=20, max_length=20, must_contain=("letter", "digit", "special"))
    counts = Counter("".join(auth_codes.new_auth_code(rule) for _ in range(500)))
    assert set(counts) == set(auth_codes.DEFAULT_ALPHABET)  # every character comes up


def test_do01_a_rule_its_alphabet_cannot_meet_is_refused():
    with pytest.raises(auth_codes.NoCodePossible):
        auth_codes.new_auth_code(AuthCodeRule(min_length=8, max_length=8, alphabet=string.ascii_letters,
                                              must_contain=("digit",)))


def test_do01_an_auth_code_holds_for_the_tlds_lifetime():
    assert auth_codes.valid_until(CATALOG["com"].auth_code, NOW) == NOW + timedelta(days=14)
    assert auth_codes.valid_until(CATALOG["de"].auth_code, NOW) == NOW + timedelta(days=30)
    assert auth_codes.valid_until(CATALOG["ch"].auth_code, NOW) is None


def test_do01_auth_codes_are_stored_as_argon2_hashes():
    stored = hash_secret("Ab3$secret-code")
    assert stored.startswith("$argon2id$") and "Ab3$secret-code" not in stored
    assert verify_secret(stored, "Ab3$secret-code") and not verify_secret(stored, "Ab3$other")


# --- use cases with fakes --------------------------------------------------------------------------

class FakeSettings:
    def __init__(self):
        self.servers, self.domain_contacts, self.org_contacts, self.addresses = {}, {}, {}, {}
        self.handles, self.codes, self.changes, self.locks = {}, {}, {}, {}

    def nameservers(self, domain_id): return self.servers.get(domain_id, ())
    def set_nameservers(self, domain_id, servers): self.servers[domain_id] = servers
    def contacts(self, domain_id): return dict(self.domain_contacts.get(domain_id, {}))
    def registrant_of_order(self, domain_id): return None
    def set_contact(self, c): self.domain_contacts.setdefault(c.domain_id, {})[c.role] = c
    def remove_contact(self, domain_id, role): self.domain_contacts.get(domain_id, {}).pop(role, None)
    def org_contact(self, contact_id): return self.org_contacts.get(contact_id)
    def add_org_contact(self, c): self.org_contacts[c.contact_id] = c

    def remove_org_contact(self, contact_id, org_id):
        if contact_id in self.org_contacts and self.org_contacts[contact_id].org_id == org_id:
            del self.org_contacts[contact_id]

    def org_address(self, org_id): return self.addresses.get(org_id)
    def set_org_address(self, a): self.addresses[a.org_id] = a
    def registry_handle(self, registry, source): return self.handles.get((registry, source))
    def add_registry_handle(self, registry, source, handle, org_id): self.handles[(registry, source)] = handle
    def auth_code(self, domain_id): return self.codes.get(domain_id)
    def set_auth_code(self, r): self.codes[r.domain_id] = r
    def owner_change_by_token(self, h): return next((c for c in self.changes.values() if c.token_hash == h), None)

    def pending_owner_change(self, domain_id):
        return next((c for c in self.changes.values() if c.domain_id == domain_id and c.status == "pending"), None)

    def save_owner_change(self, c): self.changes[c.id] = replace(c)
    def transfer_lock(self, domain_id): return self.locks.get(domain_id)
    def set_transfer_lock(self, lock): self.locks[lock.domain_id] = lock


class FakeDomains:
    def __init__(self, *domains):
        self.rows = {d.id: d for d in domains}

    def get(self, domain_id):
        return self.rows.get(domain_id)


class FakeAccess:
    def __init__(self):
        self.grants = {}

    def get(self, org_id, user_id):
        return self.grants.get((org_id, user_id))


@dataclass
class FakeRegistry:
    """Records what was asked; `refuse` maps a method to the error it raises."""
    calls: list = field(default_factory=list)
    hosts: dict = field(default_factory=dict)
    refuse: dict = field(default_factory=dict)
    contacts: list = field(default_factory=lambda: [ContactRole("admin", "pt-registrant"), ContactRole("tech", "pt-registrant")])

    def _call(self, name, *args):
        if name in self.refuse:
            raise self.refuse[name]
        self.calls.append((name, *args))
        return Outcome(1000, "Command completed successfully")

    def create_host(self, name, addresses=()):
        if name in self.hosts:
            raise RegistryRefused(2302, "Object exists")
        self.hosts[name] = addresses
        return self._call("create_host", name, addresses)

    def host_info(self, name):
        return HostInfo(name=name, registry_id="H1", statuses=(), addresses=self.hosts[name], sponsor="portico")

    def update_host(self, name, change): return self._call("update_host", name, change)
    def delete_host(self, name): return self._call("delete_host", name)
    def update_domain(self, name, change):
        answer = self._call("update_domain", name, change)
        self.contacts = [c for c in self.contacts if c not in change.remove_contacts] + list(change.add_contacts)
        return answer

    def domain_info(self, name):
        return DomainInfo(name=name, registry_id="D1", statuses=(), sponsor="portico", contacts=tuple(self.contacts))
    def create_contact(self, contact): return self._call("create_contact", contact)


OWNER = Principal(user_id="u-1", kind="customer", org_id=ORG, roles=("legal_representative",))
MEMBER = Principal(user_id="u-2", kind="customer", org_id=ORG, roles=("collaborator",))
STRANGER = Principal(user_id="u-3", kind="customer", org_id=OTHER_ORG, roles=("legal_representative",))


def world(name="example.com", registry=None):
    domain = Domain(id="d-1", org_id=ORG, name=name, expires_at=NOW + timedelta(days=300))
    settings = FakeSettings()
    uow = FakeUnitOfWork(FakeClock(NOW), domains=FakeDomains(domain), settings=settings, member_access=FakeAccess())
    registry = registry or FakeRegistry()
    tools = manage.Tools(registry_for=lambda _: registry, rules_for=CATALOG.for_domain,
                         hash_secret=lambda s: "hashed:" + digest(s), verify_secret=lambda h, s: h == "hashed:" + digest(s),
                         digest=digest)
    manage.on_organization_created(OrganizationCreated(org_id=ORG, name="Acme AG", country="CH", language="de"), uow)
    manage.on_organization_details_changed(OrganizationDetailsChanged(
        org_id=ORG, name="Acme AG", country="CH", address={"street": "Bahnhofstrasse", "house_number": "1",
                                                           "postcode": "8001", "town": "Zürich"}), uow)
    manage.on_contact_added(ContactAdded(contact_id="c-1", org_id=ORG, purpose="technical", name="Tess Tech",
                                         email="tess@acme.test"), uow)
    manage.on_contact_added(ContactAdded(contact_id="c-x", org_id=OTHER_ORG, purpose="technical", name="Eve",
                                         email="eve@other.test"), uow)
    return uow, tools, registry


def test_do01_name_servers_go_to_the_registry_hosts_first_then_the_domain():
    uow, tools, registry = world()
    view = manage.set_nameservers(uow, tools, OWNER, "d-1", [
        {"host": "ns1.example.com", "addresses": ["192.0.2.1"]}, {"host": "ns2.dns.net"}])
    assert [c[:2] for c in registry.calls] == [("create_host", "ns2.dns.net"), ("create_host", "ns1.example.com"),
                                              ("update_domain", "example.com")]
    assert registry.calls[0][2] == ()  # a host outside the zone: no glue
    change = registry.calls[2][2]
    assert change.add_nameservers == ("ns1.example.com", "ns2.dns.net") and change.remove_nameservers == ()
    assert view["nameservers"][0] == {"host": "ns1.example.com", "addresses": ["192.0.2.1"]}
    assert uow.commits == 1


def test_do01_a_registry_refusal_changes_nothing_here():
    uow, tools, registry = world(registry=FakeRegistry(refuse={"update_domain": RegistryRefused(2304, "Object status prohibits operation")}))
    with pytest.raises(Conflict) as refused:
        manage.set_nameservers(uow, tools, OWNER, "d-1", [{"host": "ns1.dns.net"}, {"host": "ns2.dns.net"}])
    assert refused.value.extra["registry_code"] == 2304
    assert uow.settings.nameservers("d-1") == () and uow.commits == 0


def test_do01_an_unreachable_registry_is_a_503_not_a_crash():
    uow, tools, _ = world(registry=FakeRegistry(refuse={"update_domain": RegistryUnavailable("down")}))
    with pytest.raises(manage.RegistryDown):
        manage.set_nameservers(uow, tools, OWNER, "d-1", [{"host": "ns1.dns.net"}, {"host": "ns2.dns.net"}])
    assert uow.commits == 0


def test_do01_another_organizations_domain_does_not_exist_for_the_caller():
    uow, tools, _ = world()
    for call in (lambda: manage.set_nameservers(uow, tools, STRANGER, "d-1", []),
                 lambda: manage.nameservers_of(uow, STRANGER, "d-1"),
                 lambda: manage.issue_auth_code(uow, tools, STRANGER, "d-1"),
                 lambda: manage.set_contacts(uow, tools, STRANGER, "d-1", {"admin": "c-1"}),
                 lambda: manage.nameservers_of(uow, OWNER, "no-such-domain")):
        with pytest.raises(NotFound):
            call()


def test_do01_a_member_without_the_manage_right_cannot_change_the_domain():
    uow, tools, _ = world()
    with pytest.raises(Forbidden):
        manage.issue_auth_code(uow, tools, MEMBER, "d-1")
    uow.member_access.grants[(ORG, "u-2")] = [{"scope": "product", "product_type": "domain", "product_id": "d-1",
                                               "rights": ["use", "manage"]}]
    assert manage.issue_auth_code(uow, tools, MEMBER, "d-1")["auth_code"]


def test_do01_contacts_are_chosen_from_the_organizations_contacts_only():
    uow, tools, registry = world()
    view = manage.set_contacts(uow, tools, OWNER, "d-1", {"admin": "c-1", "tech": "c-1"})
    creates = [c for c in registry.calls if c[0] == "create_contact"]
    assert len(creates) == 1  # one registry contact, used for both roles
    contact = creates[0][1]
    assert (contact.postal.city, contact.postal.country_code, contact.email) == ("Zürich", "CH", "tess@acme.test")
    update = [c for c in registry.calls if c[0] == "update_domain"][0][2]
    assert {(r.role, r.contact_id) for r in update.add_contacts} == {("admin", contact.contact_id), ("tech", contact.contact_id)}
    # the registration's admin and tech (the registrant's contact) make way
    assert set(update.remove_contacts) == {ContactRole("admin", "pt-registrant"), ContactRole("tech", "pt-registrant")}
    assert view["admin"]["contact_id"] == "c-1" and view["billing"] is None
    for foreign in ("c-x", "c-unknown"):
        with pytest.raises(Invalid) as refused:
            manage.set_contacts(uow, tools, OWNER, "d-1", {"billing": foreign})
        assert _field(refused.value) == "billing"
    with pytest.raises(Invalid) as refused:
        manage.set_contacts(uow, tools, OWNER, "d-1", {"registrant": "c-1"})
    assert _field(refused.value) == "registrant"


def test_do01_a_removed_contact_of_the_organization_can_no_longer_be_chosen():
    uow, tools, _ = world()
    manage.on_contact_removed(ContactRemoved(contact_id="c-1", org_id=OTHER_ORG), uow)  # not theirs to remove
    assert uow.settings.org_contact("c-1") is not None
    manage.on_contact_removed(ContactRemoved(contact_id="c-1", org_id=ORG), uow)
    with pytest.raises(Invalid):
        manage.set_contacts(uow, tools, OWNER, "d-1", {"admin": "c-1"})


def test_do01_a_contact_needs_the_organizations_town_and_country():
    uow, tools, _ = world()
    manage.on_organization_details_changed(OrganizationDetailsChanged(org_id=ORG, name="Acme AG", country="CH",
                                                                      address={}), uow)
    with pytest.raises(Conflict) as refused:
        manage.set_contacts(uow, tools, OWNER, "d-1", {"admin": "c-1"})
    assert refused.value.extra["missing"] == ["town"]


def test_do01_the_auth_code_is_set_at_the_registry_stored_hashed_and_mailed_once():
    uow, tools, registry = world()
    answer = manage.issue_auth_code(uow, tools, OWNER, "d-1")
    code = answer["auth_code"]
    assert CATALOG["com"].auth_code.problem(code) is None
    assert answer["valid_until"] == NOW + timedelta(days=14)
    assert registry.calls[-1][2].auth_info == code
    stored = uow.settings.auth_code("d-1")
    assert code not in stored.code_hash and tools.verify_secret(stored.code_hash, code)
    (event, org_id), = uow.emitted
    assert isinstance(event, DomainAuthCodeIssued) and event.auth_code == code and org_id == ORG
    assert code not in repr(event)  # never in a log line
    status = manage.auth_code_status(uow, OWNER, "d-1")
    assert code not in str(status) and status["auth_code"]["valid"]
    uow.clock.advance(days=15)
    assert not manage.auth_code_status(uow, OWNER, "d-1")["auth_code"]["valid"]


def test_do01_owner_change_waits_for_the_new_registrants_confirmation_then_locks_transfers():
    uow, tools, registry = world()
    asked = manage.request_owner_change(uow, tools, OWNER, "d-1", {"registrant": {
        "name": "Nora New", "email": "nora@new.test", "country": "de", "town": "Berlin"}})
    assert asked["status"] == "pending" and registry.calls == []
    (event, _), = uow.emitted
    assert isinstance(event, DomainOwnerChangeRequested) and event.registrant_email == "nora@new.test"
    assert event.token not in repr(event)
    with pytest.raises(NotFound):
        manage.confirm_owner_change(uow, tools, OWNER, "d-1", "x" * 43)
    done = manage.confirm_owner_change(uow, tools, OWNER, "d-1", event.token)
    assert done["status"] == "confirmed"
    assert done["transfer_locked_until"] == NOW + timedelta(days=60)  # .com: 60 days after a change of owner
    names = [c[0] for c in registry.calls]
    assert names == ["create_contact", "update_domain"]
    change = registry.calls[1][2]
    assert change.registrant == registry.calls[0][1].contact_id and change.add_statuses == ("clientTransferProhibited",)
    assert isinstance(uow.emitted[-1][0], DomainOwnerChanged)
    assert manage.contacts_of(uow, OWNER, "d-1")["registrant"]["email"] == "nora@new.test"
    with pytest.raises(Gone):  # a token works once
        manage.confirm_owner_change(uow, tools, OWNER, "d-1", event.token)
    with pytest.raises(Conflict) as locked:
        manage.issue_auth_code(uow, tools, OWNER, "d-1")
    assert locked.value.extra["refusal"] == "transfer-locked"
    uow.clock.advance(days=60)
    manage.issue_auth_code(uow, tools, OWNER, "d-1")
    assert registry.calls[-1][2].remove_statuses == ("clientTransferProhibited",)


def test_do01_a_tld_without_an_owner_change_lock_locks_nothing():
    uow, tools, registry = world(name="example.ch")
    manage.request_owner_change(uow, tools, OWNER, "d-1", {"contact_id": "c-1"})
    token = uow.emitted[-1][0].token
    done = manage.confirm_owner_change(uow, tools, OWNER, "d-1", token)
    assert done["transfer_locked_until"] is None and registry.calls[-1][2].add_statuses == ()
    assert manage.issue_auth_code(uow, tools, OWNER, "d-1")["valid_until"] is None


def test_do01_an_owner_change_link_expires_and_a_newer_request_withdraws_the_older():
    uow, tools, _ = world()
    manage.request_owner_change(uow, tools, OWNER, "d-1", {"contact_id": "c-1"})
    first = uow.emitted[-1][0].token
    manage.request_owner_change(uow, tools, OWNER, "d-1", {"contact_id": "c-1"})
    second = uow.emitted[-1][0].token
    with pytest.raises(Gone):
        manage.confirm_owner_change(uow, tools, OWNER, "d-1", first)
    uow.clock.advance(days=8)
    with pytest.raises(Gone):
        manage.confirm_owner_change(uow, tools, OWNER, "d-1", second)


@pytest.mark.parametrize("body, field_name", [
    ({}, "contact_id"),
    ({"contact_id": "c-1", "registrant": {}}, "contact_id"),
    ({"contact_id": "c-x"}, "contact_id"),
    ({"registrant": {"name": "N", "email": "not-an-email", "country": "DE", "town": "B"}}, "registrant.email"),
    ({"registrant": {"name": "N", "email": "n@x.test", "country": "Germany", "town": "B"}}, "registrant.country"),
    ({"registrant": {"name": "N\x00", "email": "n@x.test", "country": "DE", "town": "B"}}, "registrant.name"),
    ({"registrant": {"name": "N", "email": "n@x.test", "country": "DE"}}, "registrant.town"),
    ({"registrant": {"name": "N", "email": "n@x.test", "country": "DE", "town": "B", "passport": "1"}}, "registrant.passport"),
])
def test_do01_hostile_owner_changes_are_refused_naming_the_field(body, field_name):
    uow, tools, _ = world()
    with pytest.raises(Invalid) as refused:
        manage.request_owner_change(uow, tools, OWNER, "d-1", body)
    assert _field(refused.value) == field_name
