"""The sandbox registry that `portico up` starts (sandbox_registry/): an EPP server over TLS that a
registrar's client, Portico's or any other, runs the usual acceptance steps against.

Two kinds of peer: Portico's own `EppClient`, and a hand-written one sending the XML of the RFCs'
examples over a plain `ssl` socket, so nothing of Portico's codec is needed to be understood. The
sandbox's clock is moved with the `clock` fixture (component `sandbox-registry`).
"""
from __future__ import annotations

import datetime
import os
import socket
import ssl
import struct
import uuid
from pathlib import Path

import pytest
from lxml import etree

from services.domains.adapters.epp import xml
from services.domains.adapters.epp.client import EppClient, EppSettings
from services.domains.domain.registry import (
    ContactChange, ContactDetails, ContactRole, DomainChange, DomainRegistration, HostAddress,
    HostChange, PostalAddress, RegistryRefused, RestoreReport,
)
from tests.conftest import SANDBOX_REGISTRY_PORT

UTC = datetime.timezone.utc
EPP_NS = "urn:ietf:params:xml:ns:epp-1.0"
NS = {"e": EPP_NS, "d": "urn:ietf:params:xml:ns:domain-1.0", "c": "urn:ietf:params:xml:ns:contact-1.0",
      "h": "urn:ietf:params:xml:ns:host-1.0", "r": "urn:ietf:params:xml:ns:rgp-1.0"}
PASSWORDS = {"portico": "portico-sandbox", "other": "other-sandbox"}


def certificate_file() -> Path:
    return Path(os.environ["PORTICO_DATA_DIR"]) / "sandbox-registry" / "certificate.pem"


@pytest.fixture(scope="module")
def sandbox(stack) -> Path:
    """The running sandbox's certificate (made on its first start): clients trust it as their CA."""
    path = certificate_file()
    assert path.exists(), "the sandbox registry made no certificate on start"
    return path


def registrar(client_id: str = "portico", password: str | None = None) -> EppClient:
    return EppClient(EppSettings(host="127.0.0.1", port=SANDBOX_REGISTRY_PORT, client_id=client_id,
                                 password=password or PASSWORDS[client_id], ca_file=str(certificate_file()),
                                 server_hostname="localhost", timeout=15))


def unique(tag: str = "t") -> str:
    return f"{tag}{uuid.uuid4().hex[:10]}"


def contact(client: EppClient, country: str = "CH") -> str:
    contact_id = unique("c")
    client.create_contact(ContactDetails(
        contact_id=contact_id, email=f"{contact_id}@example.test", auth_info="Contact-Auth-1",
        postal=PostalAddress(name="Anna Muster", city="Bern", country_code=country, streets=("Gasse 1",),
                             postcode="3000"), voice="+41.311234567"))
    return contact_id


def register(client: EppClient, tld: str = "com", years: int = 1, auth: str = "Secret-Auth-1") -> str:
    holder = contact(client)
    name = f"{unique()}.{tld}"
    client.create_domain(DomainRegistration(name=name, years=years, registrant=holder, auth_info=auth,
                                            contacts=(ContactRole("admin", holder), ContactRole("tech", holder))))
    return name


# --- a peer that is not Portico's: RFC 5734 framing and the RFCs' XML by hand ---------------------

class RawPeer:
    def __init__(self, ca_file: Path, port: int = SANDBOX_REGISTRY_PORT):
        context = ssl.create_default_context(cafile=str(ca_file))
        raw = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.greeting = self.receive()

    def send_bytes(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">I", len(payload) + 4) + payload)

    def receive(self) -> etree._Element:
        header = self._exactly(4)
        (length,) = struct.unpack(">I", header)
        return etree.fromstring(self._exactly(length - 4))

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError("closed")
            data += chunk
        return data

    def ask(self, body: str, trailing: bytes = b"") -> etree._Element:
        self.send_bytes(body.encode() + trailing)
        return self.receive()

    def command(self, inner: str, trailing: bytes = b"") -> etree._Element:
        return self.ask(f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
                        f'<epp xmlns="{EPP_NS}"><command>{inner}<clTRID>RAW-{uuid.uuid4().hex[:8]}</clTRID>'
                        f'</command></epp>', trailing)

    def login(self, client_id: str = "other", password: str | None = None) -> etree._Element:
        return self.command(
            f"<login><clID>{client_id}</clID><pw>{password or PASSWORDS[client_id]}</pw>"
            "<options><version>1.0</version><lang>en</lang></options><svcs>"
            "<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI>"
            "<objURI>urn:ietf:params:xml:ns:contact-1.0</objURI>"
            "<objURI>urn:ietf:params:xml:ns:host-1.0</objURI>"
            "<svcExtension><extURI>urn:ietf:params:xml:ns:rgp-1.0</extURI></svcExtension>"
            "</svcs></login>")

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except (ConnectionError, ssl.SSLError, OSError):
            return True

    def close(self) -> None:
        self.sock.close()


def code(answer: etree._Element) -> int:
    return int(answer.find("e:response/e:result", NS).get("code"))


def valid(answer: etree._Element) -> etree._Element:
    """The response is valid EPP by the RFCs' schemas."""
    xml.validate(etree.tostring(answer))
    return answer


@pytest.fixture
def raw(sandbox):
    peers = []

    def connect() -> RawPeer:
        peers.append(RawPeer(sandbox))
        return peers[-1]

    yield connect
    for peer in peers:
        peer.close()


# --- session ------------------------------------------------------------------------------------

def test_the_sandbox_greets_over_tls_with_its_self_signed_certificate(raw):
    peer = raw()
    greeting = valid(peer.greeting).find("e:greeting", NS)
    assert greeting.findtext("e:svID", namespaces=NS) == "Portico sandbox registry"
    assert {e.text for e in greeting.iterfind("e:svcMenu/e:objURI", NS)} == {NS["d"], NS["c"], NS["h"]}
    assert [e.text for e in greeting.iterfind("e:svcMenu/e:svcExtension/e:extURI", NS)] == [NS["r"]]
    assert peer.sock.version() in ("TLSv1.2", "TLSv1.3")


def test_login_with_a_wrong_password_is_2200_then_the_right_one_works(raw):
    peer = raw()
    assert code(valid(peer.login("other", "not-the-password"))) == 2200
    assert code(valid(peer.login("other"))) == 1000
    assert code(peer.login("other")) == 2002   # already logged in
    answer = valid(peer.command("<logout/>"))
    assert code(answer) == 1500
    assert peer.closed()


def test_three_wrong_passwords_end_the_connection_with_2501(raw):
    peer = raw()
    assert code(peer.login("other", "wrong-one-1")) == 2200
    assert code(peer.login("other", "wrong-one-2")) == 2200
    assert code(peer.login("other", "wrong-one-3")) == 2501
    assert peer.closed()


def test_commands_before_login_are_2002(raw):
    peer = raw()
    answer = peer.command(f'<check><domain:check xmlns:domain="{NS["d"]}"><domain:name>a.com</domain:name>'
                          '</domain:check></check>')
    assert code(valid(answer)) == 2002


def test_an_object_service_not_named_at_login_is_2307(raw):
    peer = raw()
    answer = peer.command(
        "<login><clID>other</clID><pw>other-sandbox</pw><options><version>1.0</version><lang>en</lang>"
        f"</options><svcs><objURI>{NS['c']}</objURI></svcs></login>")
    assert code(answer) == 1000
    answer = peer.command(f'<check><domain:check xmlns:domain="{NS["d"]}"><domain:name>a.com</domain:name>'
                          '</domain:check></check>')
    assert code(answer) == 2307


# --- what any client can do: the acceptance steps with Portico's client ----------------------------

def test_contacts_check_create_info_update_and_delete(sandbox):
    with registrar() as client:
        contact_id = contact(client)
        [taken, free] = client.check_contacts([contact_id, unique("c")])
        assert (taken.available, free.available) == (False, True)
        info = client.contact_info(contact_id)
        assert (info.sponsor, info.postal.city, info.postal.country_code, info.email) == \
            ("portico", "Bern", "CH", f"{contact_id}@example.test")
        client.update_contact(contact_id, ContactChange(email="new@example.test",
                                                        add_statuses=("clientDeleteProhibited",)))
        info = client.contact_info(contact_id)
        assert info.email == "new@example.test" and "clientDeleteProhibited" in info.statuses
        with pytest.raises(RegistryRefused) as refused:
            client.delete_contact(contact_id)
        assert refused.value.code == 2304
        client.update_contact(contact_id, ContactChange(remove_statuses=("clientDeleteProhibited",)))
        with pytest.raises(RegistryRefused) as refused:
            client.create_contact(ContactDetails(contact_id=contact_id, email="x@example.test", auth_info="Auth-123",
                                                 postal=PostalAddress(name="X", city="Y", country_code="CH")))
        assert refused.value.code == 2302
        client.delete_contact(contact_id)
        with pytest.raises(RegistryRefused) as refused:
            client.contact_info(contact_id)
        assert refused.value.code == 2303


def test_domains_check_create_info_update_with_hosts(sandbox):
    with registrar() as client:
        holder = contact(client)
        name = f"{unique()}.com"
        outside = f"ns1.{unique()}.example"
        client.create_host(outside)
        [free, bad, foreign] = client.check_domains([name, "-bad-.com", f"{unique()}.invalid"])
        assert free.available and not bad.available and not foreign.available
        assert "not a top-level domain of this registry" in foreign.reason

        with pytest.raises(RegistryRefused) as refused:   # a name server the registry does not know
            client.create_domain(DomainRegistration(name=name, years=1, registrant=holder, auth_info="Secret-Auth-1",
                                                    nameservers=(f"ns.{unique()}.example",)))
        assert refused.value.code == 2303
        with pytest.raises(RegistryRefused) as refused:   # not a host name
            client.create_domain(DomainRegistration(name="-bad-.com", years=1, registrant=holder, auth_info="Secret-Auth-1"))
        assert refused.value.code == 2005
        with pytest.raises(RegistryRefused) as refused:   # a contact the registry does not know
            client.create_domain(DomainRegistration(name=name, years=1, registrant=holder, auth_info="Secret-Auth-1",
                                                    contacts=(ContactRole("tech", unique("c")),)))
        assert refused.value.code == 2303
        with pytest.raises(RegistryRefused) as refused:   # eleven years: .com sells 1 to 10
            client.create_domain(DomainRegistration(name=name, years=11, registrant=holder, auth_info="Secret-Auth-1"))
        assert refused.value.code == 2306
        with pytest.raises(RegistryRefused) as refused:   # .com's auth code wants a letter, a digit and a sign
            client.create_domain(DomainRegistration(name=name, years=1, registrant=holder, auth_info="password"))
        assert refused.value.code == 2306

        created = client.create_domain(DomainRegistration(
            name=name, years=2, registrant=holder, auth_info="Secret-Auth-1",
            contacts=(ContactRole("admin", holder),), nameservers=(outside,)))
        assert created.expires_at.date() == created.created_at.date().replace(year=created.created_at.year + 2)
        assert not client.check_domains([name])[0].available
        with pytest.raises(RegistryRefused) as refused:
            client.create_domain(DomainRegistration(name=name, years=1, registrant=holder, auth_info="Secret-Auth-1"))
        assert refused.value.code == 2302

        # a host inside the domain needs an address (glue)
        inside = f"ns1.{name}"
        with pytest.raises(RegistryRefused) as refused:
            client.create_host(inside)
        assert refused.value.code == 2003
        client.create_host(inside, (HostAddress("192.0.2.53"), HostAddress("2001:db8::53", "v6")))
        assert {a.address for a in client.host_info(inside).addresses} == {"192.0.2.53", "2001:db8::53"}
        client.update_host(inside, HostChange(remove_addresses=(HostAddress("2001:db8::53", "v6"),)))
        client.update_domain(name, DomainChange(add_nameservers=(inside,), remove_nameservers=(outside,),
                                                add_statuses=("clientTransferProhibited",),
                                                auth_info="Other-Auth-2"))
        info = client.domain_info(name)
        assert info.nameservers == (inside,) and info.subordinate_hosts == (inside,)
        assert "clientTransferProhibited" in info.statuses and info.auth_info == "Other-Auth-2"
        assert "addPeriod" in info.grace_statuses
        with pytest.raises(RegistryRefused) as refused:   # server statuses are the registry's
            client.update_domain(name, DomainChange(add_statuses=("serverHold",)))
        assert refused.value.code == 2306
        with pytest.raises(RegistryRefused) as refused:   # used by a domain
            client.delete_host(inside)
        assert refused.value.code == 2305
        with pytest.raises(RegistryRefused) as refused:
            client.delete_contact(holder)
        assert refused.value.code == 2305
        client.delete_host(outside)

    with registrar("other") as rival:
        seen = rival.domain_info(name)
        assert seen.sponsor == "portico" and seen.auth_info is None and not seen.contacts
        with pytest.raises(RegistryRefused) as refused:
            rival.domain_info(name, auth_info="guessed-1!")
        assert refused.value.code == 2202
        assert rival.domain_info(name, auth_info="Other-Auth-2").registrant == holder
        with pytest.raises(RegistryRefused) as refused:
            rival.update_domain(name, DomainChange(auth_info="Stolen-Auth-3"))
        assert refused.value.code == 2201


def test_renew_checks_the_current_expiry_and_the_tld_periods(sandbox):
    with registrar() as client:
        name = register(client, "com", years=1)
        expires = client.domain_info(name).expires_at
        with pytest.raises(RegistryRefused) as refused:   # a renewal sent twice does not renew twice
            client.renew_domain(name, expires.date() - datetime.timedelta(days=365), 1)
        assert refused.value.code == 2304
        with pytest.raises(RegistryRefused) as refused:   # beyond ten years ahead
            client.renew_domain(name, expires.date(), 10)
        assert refused.value.code == 2306
        renewed = client.renew_domain(name, expires.date(), 3)
        assert renewed.expires_at.date() == expires.date().replace(year=expires.year + 3)
        swiss = register(client, "ch")
        with pytest.raises(RegistryRefused) as refused:   # .ch renews one year at a time
            client.renew_domain(swiss, client.domain_info(swiss).expires_at.date(), 2)
        assert refused.value.code == 2306


def test_rehearsal_names_provoke_a_registry_refusal(sandbox):
    """`refuse-<code>-…` names let a client rehearse what it does when the registry says no."""
    with registrar() as client:
        holder = contact(client)
        for code in (2104, 2306, 2400):
            with pytest.raises(RegistryRefused) as refused:
                client.create_domain(DomainRegistration(name=f"refuse-{code}-{unique()}.com", years=1,
                                                        registrant=holder, auth_info="Secret-Auth-1"))
            assert refused.value.code == code and "rehearsal" in refused.value.reason


def test_transfer_wrong_and_right_code_reject_approve_and_the_poll_queue(sandbox):
    with registrar() as losing, registrar("other") as gaining:
        while losing.poll() is not None:   # what earlier tests left
            losing.acknowledge(losing.poll().message_id)
        name = register(losing, "ch", auth="Ch-Auth-code-1")
        with pytest.raises(RegistryRefused) as refused:
            gaining.request_transfer(name, "Wrong-code-9")
        assert refused.value.code == 2202
        pending = gaining.request_transfer(name, "Ch-Auth-code-1")
        assert pending.pending and pending.status == "pending"
        assert (pending.requested_by, pending.act_by) == ("other", "portico")
        with pytest.raises(RegistryRefused) as refused:
            gaining.request_transfer(name, "Ch-Auth-code-1")
        assert refused.value.code == 2300
        assert "pendingTransfer" in losing.domain_info(name).statuses

        message = losing.poll()
        assert message is not None and message.transfer.name == name and message.transfer.status == "pending"
        assert losing.poll().message_id == message.message_id   # the same until acknowledged
        losing.acknowledge(message.message_id)
        with pytest.raises(RegistryRefused) as refused:
            losing.acknowledge(message.message_id)
        assert refused.value.code == 2303

        assert losing.reject_transfer(name).status == "clientRejected"
        while (note := gaining.poll()) is not None and note.transfer.name != name:
            gaining.acknowledge(note.message_id)
        assert note.transfer.status == "clientRejected"
        gaining.acknowledge(note.message_id)

        gaining.request_transfer(name, "Ch-Auth-code-1")
        assert gaining.cancel_transfer(name).status == "clientCancelled"
        assert "pendingTransfer" not in losing.domain_info(name).statuses
        with pytest.raises(RegistryRefused) as refused:
            losing.approve_transfer(name)
        assert refused.value.code == 2301

        gaining.request_transfer(name, "Ch-Auth-code-1")
        with pytest.raises(RegistryRefused) as refused:   # only the losing registrar approves
            gaining.approve_transfer(name)
        assert refused.value.code == 2201
        done = losing.approve_transfer(name)
        assert done.status == "clientApproved"
        info = gaining.domain_info(name)
        assert info.sponsor == "other" and info.transferred_at is not None
        assert gaining.query_transfer(name).status == "clientApproved"


def test_transfers_respect_the_tld_lock_after_registration(sandbox):
    """.com locks a domain for 60 days after registration (ICANN's transfer policy, tlds.yaml)."""
    with registrar() as losing, registrar("other") as gaining:
        name = register(losing, "com", auth="Com-Auth-code-1")
        with pytest.raises(RegistryRefused) as refused:
            gaining.request_transfer(name, "Com-Auth-code-1")
        assert refused.value.code == 2304


def test_an_unanswered_transfer_is_approved_by_the_registry(sandbox, clock):
    with registrar() as losing, registrar("other") as gaining:
        name = register(losing, "ch", auth="Ch-Auth-code-2")
        gaining.request_transfer(name, "Ch-Auth-code-2")
        clock.ahead("sandbox-registry", days=6)
        assert gaining.domain_info(name).sponsor == "other"
        assert gaining.query_transfer(name).status == "serverApproved"


def test_delete_redemption_and_restore(sandbox, clock):
    with registrar() as client:
        quick = register(client, "com")
        assert client.delete_domain(quick).code == 1000   # within the add grace: gone at once
        assert client.check_domains([quick])[0].available

        name = register(client, "com")
        clock.ahead("sandbox-registry", days=6)
        assert client.delete_domain(name).pending
        info = client.domain_info(name)
        assert "pendingDelete" in info.statuses and info.grace_statuses == ("redemptionPeriod",)
        assert not client.check_domains([name])[0].available
        with pytest.raises(RegistryRefused) as refused:
            client.renew_domain(name, info.expires_at.date(), 1)
        assert refused.value.code == 2304
        report = RestoreReport(before_deletion="before", after_restore="after", deleted_at=info.updated_at or info.created_at,
                               restored_at=info.created_at, reason="registrant error",
                               statements=("This registrar has not restored the Registered Name in order to assume the rights to use or sell the Registered Name for itself or for any third party.",
                                           "The information in this report is true to best of this registrar's knowledge."))
        with pytest.raises(RegistryRefused) as refused:   # a report before a request
            client.report_restore(name, report)
        assert refused.value.code == 2304
        client.request_restore(name)
        assert client.domain_info(name).grace_statuses == ("pendingRestore",)
        client.report_restore(name, report)
        info = client.domain_info(name)
        assert "pendingDelete" not in info.statuses and not info.grace_statuses
        with pytest.raises(RegistryRefused) as refused:   # not deleted: nothing to restore
            client.request_restore(name)
        assert refused.value.code == 2304

        # deleted and left alone: redemption (30 days), pending delete (5), then free
        client.delete_domain(name)
        clock.ahead("sandbox-registry", days=31)
        assert client.domain_info(name).grace_statuses == ("pendingDelete",)
        with pytest.raises(RegistryRefused) as refused:
            client.request_restore(name)
        assert refused.value.code == 2304
        clock.ahead("sandbox-registry", days=5)
        assert client.check_domains([name])[0].available


def test_expiry_moves_a_domain_into_the_auto_renew_grace_of_its_tld(sandbox, clock):
    with registrar() as client:
        com, ch = register(client, "com"), register(client, "ch")
        com_expiry, ch_expiry = client.domain_info(com).expires_at, client.domain_info(ch).expires_at
        clock.ahead("sandbox-registry", days=367)
        info = client.domain_info(com)
        assert info.expires_at.date() == com_expiry.date().replace(year=com_expiry.year + 1)
        assert info.grace_statuses == ("autoRenewPeriod",)   # .com: 45 days
        ch_info = client.domain_info(ch)                      # .ch: renewed, no grace
        assert ch_info.expires_at.date() == ch_expiry.date().replace(year=ch_expiry.year + 1)
        assert ch_info.grace_statuses == ()
        # deleting in the auto-renew grace takes the automatic renewal back
        assert client.delete_domain(com).pending
        assert client.domain_info(com).expires_at.date() == com_expiry.date()
        clock.ahead("sandbox-registry", days=45)
        assert client.domain_info(ch).grace_statuses == ()


# --- the same steps by hand, and what a hostile or careless peer sends ----------------------------

CONTACT_CREATE = """<create><contact:create xmlns:contact="urn:ietf:params:xml:ns:contact-1.0">
  <contact:id>{id}</contact:id>
  <contact:postalInfo type="int"><contact:name>John Doe</contact:name><contact:org>Example Inc.</contact:org>
    <contact:addr><contact:street>123 Example Dr.</contact:street><contact:city>Dulles</contact:city>
      <contact:sp>VA</contact:sp><contact:pc>20166-6503</contact:pc><contact:cc>{cc}</contact:cc></contact:addr>
  </contact:postalInfo>
  <contact:voice x="1234">+1.7035555555</contact:voice><contact:email>jdoe@example.com</contact:email>
  <contact:authInfo><contact:pw>2fooBAR</contact:pw></contact:authInfo>
</contact:create></create>"""

DOMAIN_CREATE = """<create><domain:create xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
  <domain:name>{name}</domain:name><domain:period unit="y">2</domain:period>
  <domain:registrant>{id}</domain:registrant>
  <domain:contact type="admin">{id}</domain:contact><domain:contact type="tech">{id}</domain:contact>
  <domain:authInfo><domain:pw>2fooBAR!9</domain:pw></domain:authInfo>
</domain:create></create>"""


def test_a_hand_written_client_runs_the_acceptance_steps(raw):
    peer = raw()
    assert code(peer.login("other")) == 1000
    contact_id, name = unique("r"), f"{unique()}.fr"
    american = unique("r")
    assert code(valid(peer.command(CONTACT_CREATE.format(id=american, cc="US")))) == 1000
    answer = valid(peer.command(DOMAIN_CREATE.format(name=name, id=american)))
    assert code(answer) == 2306   # .fr holders live in the EU, EEA or Switzerland (tlds.yaml)
    assert "cannot be held from US" in answer.findtext(".//e:reason", namespaces=NS)
    answer = valid(peer.command(CONTACT_CREATE.format(id=contact_id, cc="FR")))
    assert code(answer) == 1000 and answer.findtext(".//c:id", namespaces=NS) == contact_id
    answer = valid(peer.command(DOMAIN_CREATE.format(name=name, id=contact_id)))
    assert code(answer) == 1000 and answer.findtext(".//d:name", namespaces=NS) == name
    answer = valid(peer.command(f'<info><domain:info xmlns:domain="{NS["d"]}"><domain:name hosts="all">{name}'
                                '</domain:name></domain:info></info>'))
    assert answer.findtext(".//d:registrant", namespaces=NS) == contact_id
    assert answer.findtext(".//d:authInfo/d:pw", namespaces=NS) == "2fooBAR!9"
    assert [s.get("s") for s in answer.iterfind(".//r:rgpStatus", NS)] == []   # .fr: no add grace
    expires = answer.findtext(".//d:exDate", namespaces=NS)[:10]
    answer = valid(peer.command(f'<renew><domain:renew xmlns:domain="{NS["d"]}"><domain:name>{name}</domain:name>'
                                f'<domain:curExpDate>{expires}</domain:curExpDate><domain:period unit="y">1'
                                '</domain:period></domain:renew></renew>'))
    assert code(answer) == 1000
    answer = valid(peer.command(f'<delete><domain:delete xmlns:domain="{NS["d"]}"><domain:name>{name}</domain:name>'
                                '</domain:delete></delete>'))
    assert code(answer) == 1001
    restore = (f'<update><domain:update xmlns:domain="{NS["d"]}"><domain:name>{name}</domain:name><domain:chg/>'
               f'</domain:update></update><extension><rgp:update xmlns:rgp="{NS["r"]}"><rgp:restore op="request"/>'
               '</rgp:update></extension>')
    answer = valid(peer.command(restore))
    assert code(answer) == 1000
    assert [s.get("s") for s in answer.iterfind(".//r:rgpStatus", NS)] == ["pendingRestore"]
    answer = valid(peer.command('<poll op="req"/>'))
    assert code(answer) in (1300, 1301)


def test_frames_whose_xml_is_followed_by_whitespace_are_accepted(raw):
    peer = raw()
    assert code(peer.login("other")) == 1000
    answer = peer.command(f'<check><contact:check xmlns:contact="{NS["c"]}"><contact:id>{unique("w")}</contact:id>'
                          '</contact:check></check>', trailing=b"\r\n  \n\t")
    assert code(valid(answer)) == 1000


XXE = f"""<?xml version="1.0"?>
<!DOCTYPE epp [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<epp xmlns="{EPP_NS}"><command><info><domain:info xmlns:domain="{NS['d']}"><domain:name>&xxe;</domain:name>
</domain:info></info><clTRID>XXE-1</clTRID></command></epp>"""

LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<epp xmlns="{EPP_NS}"><hello/><!-- &lol9; --></epp>"""


@pytest.mark.parametrize("hostile", [XXE, LAUGHS, "<epp><unclosed>", "not xml at all"],
                         ids=["external-entity", "billion-laughs", "malformed", "garbage"])
def test_hostile_or_broken_xml_is_2001_and_the_session_goes_on(raw, hostile):
    peer = raw()
    assert code(peer.login("other")) == 1000
    answer = peer.ask(hostile)
    assert code(valid(answer)) == 2001
    assert b"root:" not in etree.tostring(answer)
    # the connection stays in step and usable
    answer = peer.ask(f'<epp xmlns="{EPP_NS}"><hello/></epp>')
    assert answer.find("e:greeting", NS) is not None
    assert code(peer.command('<poll op="req"/>')) in (1300, 1301)


def sandbox_process(stack):
    import psutil

    for child in psutil.Process(stack.process.pid).children(recursive=True):
        if "sandbox_registry" in " ".join(child.cmdline()):
            return child
    raise AssertionError("no sandbox registry process under the stack")


def test_hostile_xml_reads_no_file_and_grows_no_memory(stack, raw):
    process = sandbox_process(stack)
    peer = raw()
    assert code(peer.login("other")) == 1000
    for _ in range(3):   # warm up: parsers and schemas loaded
        peer.ask(LAUGHS)
    before = process.memory_info().rss
    opened_before = {f.path for f in process.open_files()}
    for _ in range(15):   # within the rate a session may send (below)
        assert code(peer.ask(LAUGHS)) == 2001
        assert code(peer.ask(XXE)) == 2001
    assert process.memory_info().rss - before < 8 * 1024 * 1024
    assert "/etc/passwd" not in {f.path for f in process.open_files()} - opened_before


def test_an_oversize_frame_is_refused_before_it_is_read(raw):
    peer = raw()
    assert code(peer.login("other")) == 1000
    peer.sock.sendall(struct.pack(">I", 50 * 1024 * 1024) + b"<epp")   # announces 50 MiB
    answer = peer.receive()
    assert code(valid(answer)) == 2500
    assert peer.closed()


def test_a_client_sending_too_fast_is_ended_with_2502(raw):
    peer = raw()
    for sent in range(200):
        answer = peer.ask(f'<epp xmlns="{EPP_NS}"><hello/></epp>')
        if answer.find("e:greeting", NS) is None:
            break
    assert code(valid(answer)) == 2502 and sent >= 20
    assert peer.closed()


# --- sessions, on a registry started in the test with short limits --------------------------------

@pytest.fixture
def local_registry(tmp_path):
    """A sandbox registry in this process: an idle limit of half a second, two connections at most."""
    import asyncio
    import threading

    from portico_kernel.clock import SYSTEM
    from sandbox_registry import certificate
    from sandbox_registry.commands import Registry
    from sandbox_registry.server import EppServer, tls_context
    from sandbox_registry.store import Store, engine_for
    from services.domains.adapters.tld_file import tld_catalog

    certificate_path, key_path = certificate.ensure(tmp_path / "tls")
    engine = engine_for(f"sqlite:///{tmp_path / 'sandbox.db'}")
    registry = Registry(Store(engine), tld_catalog(), SYSTEM, {"other": "other-sandbox"})
    server = EppServer(registry, tls_context(str(certificate_path), str(key_path)), idle_seconds=0.5,
                       max_connections=2)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    listening = asyncio.run_coroutine_threadsafe(server.start("127.0.0.1", 0), loop).result(10)
    port = listening.sockets[0].getsockname()[1]
    peers = []

    def connect() -> RawPeer:
        peers.append(RawPeer(certificate_path, port))
        return peers[-1]

    connect.engine = engine
    yield connect
    for peer in peers:
        peer.close()

    async def shut_down():
        listening.close()
        running = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(shut_down(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    engine.dispose()


def test_an_idle_session_is_closed(local_registry):
    import time

    peer = local_registry()
    assert code(peer.login("other")) == 1000
    time.sleep(1.0)
    assert peer.closed()


def test_connections_beyond_the_limit_get_2502(local_registry):
    first, second = local_registry(), local_registry()
    assert first.greeting.find("e:greeting", NS) is not None and second.greeting.find("e:greeting", NS) is not None
    third = local_registry()
    assert code(valid(third.greeting)) == 2502
    assert third.closed()


def test_a_failure_inside_the_registry_is_2400_and_the_session_goes_on(local_registry):
    from sandbox_registry.store import domains

    peer = local_registry()
    assert code(peer.login("other")) == 1000
    domains.drop(local_registry.engine)
    answer = peer.command(f'<check><domain:check xmlns:domain="{NS["d"]}"><domain:name>a.com</domain:name>'
                          '</domain:check></check>')
    assert code(valid(answer)) == 2400
    answer = peer.command(f'<check><contact:check xmlns:contact="{NS["c"]}"><contact:id>abc</contact:id>'
                          '</contact:check></check>')
    assert code(answer) == 1000


def test_an_empty_poll_queue_is_1300(local_registry):
    peer = local_registry()
    assert code(peer.login("other")) == 1000
    answer = valid(peer.command('<poll op="req"/>'))
    assert code(answer) == 1300 and answer.find("e:response/e:msgQ", NS) is None
    assert code(valid(peer.command('<poll op="ack" msgID="12345"/>'))) == 2303
