"""The EPP client over a real TLS connection to a tiny registry on localhost.

The registry here answers from a dictionary, with the same framing and documents
(`adapters/epp/framing.py`, `xml.py`) a registry server uses; no Portico stack is started.
"""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.domains.adapters.epp import framing, xml
from services.domains.adapters.epp.client import EppClient, EppSettings
from services.domains.adapters.epp.xml import CONTACT, DOMAIN, EPP, HOST, RGP
from services.domains.domain.registry import (
    ContactChange, ContactDetails, ContactRole, DomainChange, DomainRegistration, HostAddress,
    HostChange, PostalAddress, RegistryRefused, RegistryUnavailable, RestoreReport,
)

UTC = datetime.timezone.utc
NS = {"e": EPP, "d": DOMAIN}


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "epp.sandbox.test")])
    now = datetime.datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "epp.pem", directory / "epp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Registered:
    expires: datetime.datetime
    registrant: str
    contacts: list[tuple[str, str]]
    nameservers: list[str]
    auth_info: str


@dataclass
class Responder:
    """A registry that keeps domains in a dictionary and can misbehave on demand."""
    context: ssl.SSLContext
    listener: socket.socket
    domains: dict[str, Registered] = field(default_factory=dict)
    received: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    logins: list = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    connections: int = 0
    close_after_next: bool = False      # like an idle timeout right after an answer
    lose_answer_once: set[str] = field(default_factory=set)   # act, then drop the connection unanswered
    closed: threading.Event = field(default_factory=threading.Event)
    # (verb, object namespace or None) -> (code, a function building resData, msgQ or None)
    canned: dict = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def serve_forever(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def serve(self, connection: socket.socket) -> None:
        self.connections += 1
        number = 0
        try:
            tls = self.context.wrap_socket(connection, server_side=True)
        except (OSError, ssl.SSLError):
            connection.close()
            return
        with tls:
            framing.write_frame(tls, xml.greeting("Test registry", datetime.datetime.now(UTC)))
            logged_in = False
            while True:
                try:
                    data = framing.read_frame(tls)
                except (EOFError, framing.FrameError, OSError):
                    return
                number += 1
                transaction = f"SV-{self.connections}-{number}"
                try:
                    xml.validate(data)   # every command the client sends meets the RFC schemas
                    command = xml.read_command(data)
                except xml.XmlRefused as refused:
                    self.refused.append(refused.reason)
                    framing.write_frame(tls, xml.response(2001, server_transaction=transaction,
                                                          reason=refused.reason))
                    continue
                if command.verb == "hello":
                    framing.write_frame(tls, xml.greeting("Test registry", datetime.datetime.now(UTC)))
                    continue
                self.received.append((command.verb, command.object_ns, command.client_transaction))
                if command.verb == "login":
                    self.logins.append(command.element)
                    ok = (command.element.findtext("e:clID", namespaces=NS) == "portico"
                          and command.element.findtext("e:pw", namespaces=NS) == "s3cret-pw")
                    logged_in = ok
                    framing.write_frame(tls, xml.response(1000 if ok else 2200, server_transaction=transaction,
                                                          client_transaction=command.client_transaction))
                    continue
                if command.verb == "logout":
                    framing.write_frame(tls, xml.response(1500, server_transaction=transaction,
                                                          client_transaction=command.client_transaction))
                    return
                queue = None
                if not logged_in:
                    code, data_element = 2002, None
                elif (command.verb, command.object_ns) in self.canned:
                    code, build, queue = self.canned[(command.verb, command.object_ns)]
                    data_element = build(command) if build else None
                else:
                    code, data_element = self.act(command)
                name = command.element.findtext("d:name", namespaces=NS)
                if name in self.lose_answer_once:
                    self.lose_answer_once.discard(name)
                    return
                framing.write_frame(tls, xml.response(code, server_transaction=transaction,
                                                      client_transaction=command.client_transaction,
                                                      data=data_element, queue=queue))
                if code in (2500, 2501, 2502):
                    return
                if self.close_after_next:
                    self.close_after_next = False
                    tls.close()
                    self.closed.set()
                    return

    def act(self, command: xml.Command):
        element = command.element
        name = element.findtext("d:name", namespaces=NS)
        if command.verb == "check":
            checked = xml.element(DOMAIN, "chkData")
            for asked in element.findall("d:name", NS):
                item = xml.child(checked, DOMAIN, "cd")
                free = asked.text not in self.domains
                xml.child(item, DOMAIN, "name", asked.text, avail="1" if free else "0")
                if not free:
                    xml.child(item, DOMAIN, "reason", "In use")
            return 1000, checked
        if command.verb == "create":
            if name in self.domains:
                return 2302, None
            years = int(element.findtext("d:period", namespaces=NS) or 1)
            now = datetime.datetime.now(UTC).replace(microsecond=0)
            self.domains[name] = Registered(
                expires=now.replace(year=now.year + years),
                registrant=element.findtext("d:registrant", namespaces=NS),
                contacts=[(c.get("type"), c.text) for c in element.findall("d:contact", NS)],
                nameservers=[h.text for h in element.findall("d:ns/d:hostObj", NS)],
                auth_info=element.findtext("d:authInfo/d:pw", namespaces=NS),
            )
            created = xml.element(DOMAIN, "creData")
            xml.child(created, DOMAIN, "name", name)
            xml.child(created, DOMAIN, "crDate", xml.stamp(now))
            xml.child(created, DOMAIN, "exDate", xml.stamp(self.domains[name].expires))
            return 1000, created
        domain = self.domains.get(name)
        if domain is None:
            return 2303, None
        if command.verb == "info":
            info = xml.element(DOMAIN, "infData")
            xml.child(info, DOMAIN, "name", name)
            xml.child(info, DOMAIN, "roid", f"{name.upper().replace('.', '_')}-TEST")
            xml.child(info, DOMAIN, "status", s="ok")
            xml.child(info, DOMAIN, "registrant", domain.registrant)
            for role, contact in domain.contacts:
                xml.child(info, DOMAIN, "contact", contact, type=role)
            servers = xml.child(info, DOMAIN, "ns")
            for server in domain.nameservers:
                xml.child(servers, DOMAIN, "hostObj", server)
            xml.child(info, DOMAIN, "clID", "portico")
            xml.child(info, DOMAIN, "exDate", xml.stamp(domain.expires))
            xml.child(xml.child(info, DOMAIN, "authInfo"), DOMAIN, "pw", domain.auth_info)
            return 1000, info
        if command.verb == "renew":
            if element.findtext("d:curExpDate", namespaces=NS) != domain.expires.date().isoformat():
                return 2306, None
            years = int(element.findtext("d:period", namespaces=NS) or 1)
            domain.expires = domain.expires.replace(year=domain.expires.year + years)
            renewed = xml.element(DOMAIN, "renData")
            xml.child(renewed, DOMAIN, "name", name)
            xml.child(renewed, DOMAIN, "exDate", xml.stamp(domain.expires))
            return 1000, renewed
        return 2101, None


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("epp-tls"))


@pytest.fixture
def registry(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    responder = Responder(context=context, listener=listener)
    threading.Thread(target=responder.serve_forever, daemon=True).start()
    yield responder
    listener.close()


def client_for(registry: Responder, certificate, **overrides) -> EppClient:
    settings = dict(host="127.0.0.1", port=registry.port, client_id="portico", password="s3cret-pw",
                    ca_file=str(certificate[0]), timeout=5)
    return EppClient(EppSettings(**{**settings, **overrides}))


REGISTRATION = DomainRegistration(
    name="example.ch", years=2, registrant="REG-1", auth_info="2fooBAR-x",
    contacts=(ContactRole("admin", "ADM-1"), ContactRole("tech", "TEC-1")),
    nameservers=("ns1.example.net", "ns2.example.net"),
)


def test_a_session_greets_logs_in_checks_creates_reads_renews_and_logs_out(registry, certificate):
    with client_for(registry, certificate) as client:
        assert [(a.name, a.available) for a in client.check_domains(["example.ch", "taken.ch"])] == [
            ("example.ch", True), ("taken.ch", True)]
        created = client.create_domain(REGISTRATION)
        assert created.name == "example.ch" and created.expires_at.year == created.created_at.year + 2
        assert client.greeting.server_id == "Test registry"

        checked = client.check_domains(["example.ch"])
        assert (checked[0].available, checked[0].reason) == (False, "In use")

        info = client.domain_info("example.ch")
        assert info.statuses == ("ok",) and info.registrant == "REG-1" and info.sponsor == "portico"
        assert [(c.role, c.contact_id) for c in info.contacts] == [("admin", "ADM-1"), ("tech", "TEC-1")]
        assert info.nameservers == ("ns1.example.net", "ns2.example.net")
        assert info.has_auth_info and info.expires_at == created.expires_at

        renewed = client.renew_domain("example.ch", info.expires_at.date(), 1)
        assert renewed.expires_at.year == info.expires_at.year + 1

    verbs = [(verb, namespace) for verb, namespace, _ in registry.received]
    assert verbs == [("login", None), ("check", DOMAIN), ("create", DOMAIN), ("check", DOMAIN),
                     ("info", DOMAIN), ("renew", DOMAIN), ("logout", None)]
    transactions = [t for _, _, t in registry.received]
    assert len(set(transactions)) == len(transactions) and all(t.startswith("portico-") for t in transactions)
    login = registry.logins[0]
    assert login.xpath("e:svcs/e:objURI/text()", namespaces=NS) == [xml.DOMAIN, xml.CONTACT, xml.HOST]
    assert login.xpath("e:svcs/e:svcExtension/e:extURI/text()", namespaces=NS) == [RGP]
    assert registry.connections == 1 and registry.refused == []


def test_the_registry_refusing_is_registry_refused_with_its_code(registry, certificate):
    with client_for(registry, certificate) as client:
        client.create_domain(REGISTRATION)
        with pytest.raises(RegistryRefused) as exists:
            client.create_domain(REGISTRATION)
        assert (exists.value.code, exists.value.message, exists.value.object_exists) == (2302, "Object exists", True)
        with pytest.raises(RegistryRefused) as missing:
            client.domain_info("nowhere.ch")
        assert missing.value.code == 2303 and missing.value.object_missing
        with pytest.raises(RegistryRefused) as wrong_expiry:
            client.renew_domain("example.ch", datetime.date(1999, 1, 1), 1)
        assert wrong_expiry.value.code == 2306
        # the session goes on after refusals
        assert client.domain_info("example.ch").name == "example.ch"
    assert registry.connections == 1


def test_a_wrong_password_is_refused_at_login(registry, certificate):
    client = client_for(registry, certificate, password="wrong-secret")
    with pytest.raises(RegistryRefused) as refused:
        client.check_domains(["example.ch"])
    assert refused.value.code == 2200 and refused.value.message == "Authentication error"


def test_a_connection_the_registry_closed_is_replaced_before_the_next_command(registry, certificate):
    with client_for(registry, certificate) as client:
        registry.close_after_next = True
        client.check_domains(["example.ch"])
        assert registry.closed.wait(5)
        time.sleep(0.2)   # the close reaches the client's socket
        client.create_domain(REGISTRATION)   # changes something, and is sent once, on a new connection
    assert registry.connections == 2
    assert [verb for verb, _, _ in registry.received].count("create") == 1


def test_a_lost_answer_is_asked_again_for_reads_and_unknown_for_changes(registry, certificate):
    with client_for(registry, certificate) as client:
        client.create_domain(REGISTRATION)
        registry.lose_answer_once.add("example.ch")
        assert client.domain_info("example.ch").name == "example.ch"   # read again on a new connection
        assert registry.connections == 2

        registry.lose_answer_once.add("other.ch")
        with pytest.raises(RegistryUnavailable):
            client.create_domain(DomainRegistration("other.ch", 1, "REG-1", "pw-other"))
        # the registry did create it: the caller finds out by asking
        assert client.domain_info("other.ch").name == "other.ch"
    assert registry.connections == 3


def test_the_certificate_is_verified_unless_a_sandbox_allows_any(registry, certificate):
    with pytest.raises(RegistryUnavailable):
        client_for(registry, certificate, ca_file=None).check_domains(["example.ch"])
    with client_for(registry, certificate, ca_file=None, verify=False) as sandbox:
        assert sandbox.check_domains(["example.ch"])[0].available


def test_a_command_that_cannot_be_built_never_reaches_the_registry(registry, certificate):
    client = client_for(registry, certificate)
    with pytest.raises(ValueError):
        client.update_domain("example.ch", DomainChange())
    with pytest.raises(ValueError):
        client.create_domain(DomainRegistration("example.ch", 100, "REG-1", "2fooBAR"))
    assert registry.connections == 0


def test_an_unreachable_registry_is_unavailable(certificate):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    client = EppClient(EppSettings(host="127.0.0.1", port=port, client_id="portico", password="x",
                                   ca_file=str(certificate[0]), timeout=2))
    with pytest.raises(RegistryUnavailable):
        client.check_domains(["example.ch"])


def test_one_client_serves_several_threads_one_at_a_time(registry, certificate):
    results, errors = [], []

    def check(index: int) -> None:
        try:
            for round_ in range(5):
                name = f"name-{index}-{round_}.ch"
                results.append(client.check_domains([name])[0].name == name)
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    with client_for(registry, certificate) as client:
        threads = [threading.Thread(target=check, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors and results == [True] * 20
    assert registry.connections == 1


def test_hostile_xml_on_the_wire_is_answered_with_2001_and_whitespace_after_a_document_is_fine(registry, certificate):
    from tests.unit.test_epp_protocol import BILLION_LAUGHS, EXTERNAL_ENTITY

    context = ssl.create_default_context(cafile=str(certificate[0]))
    with socket.create_connection(("127.0.0.1", registry.port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        xml.read_greeting(framing.read_frame(tls))
        for hostile in (EXTERNAL_ENTITY, BILLION_LAUGHS):
            framing.write_frame(tls, hostile)
            raw_answer = framing.read_frame(tls)
            assert xml.read_response(raw_answer).code == 2001 and b"root:" not in raw_answer
        framing.write_frame(tls, xml.hello() + b"\r\n\n  ")
        assert xml.read_greeting(framing.read_frame(tls)).server_id == "Test registry"


def transfer_data(command: xml.Command):
    data = xml.element(DOMAIN, "trnData")
    status = {"request": "pending", "query": "pending", "approve": "clientApproved",
              "reject": "clientRejected", "cancel": "clientCancelled"}
    now = datetime.datetime(2026, 3, 2, 9, tzinfo=UTC)
    operation = command.element.getparent().get("op")
    for tag, value in (("name", command.element.findtext("d:name", namespaces=NS)),
                       ("trStatus", status[operation]), ("reID", "portico"), ("reDate", xml.stamp(now)),
                       ("acID", "ClientY"), ("acDate", xml.stamp(now + datetime.timedelta(days=5)))):
        xml.child(data, DOMAIN, tag, value)
    return data


def contact_created(command: xml.Command):
    data = xml.element(CONTACT, "creData")
    xml.child(data, CONTACT, "id", command.element.findtext(f"{{{CONTACT}}}id"))
    xml.child(data, CONTACT, "crDate", "2026-03-02T09:00:00Z")
    return data


def contact_checked(command: xml.Command):
    data = xml.element(CONTACT, "chkData")
    item = xml.child(data, CONTACT, "cd")
    xml.child(item, CONTACT, "id", command.element.findtext(f"{{{CONTACT}}}id"), avail="1")
    return data


def contact_info(command: xml.Command):
    data = xml.element(CONTACT, "infData")
    for tag, value in (("id", "PTC-0001"), ("roid", "PTC0001-TEST")):
        xml.child(data, CONTACT, tag, value)
    xml.child(data, CONTACT, "status", s="ok")
    postal = xml.child(data, CONTACT, "postalInfo", type="int")
    xml.child(postal, CONTACT, "name", "Anna Muster")
    address = xml.child(postal, CONTACT, "addr")
    xml.child(address, CONTACT, "city", "Zürich")
    xml.child(address, CONTACT, "cc", "CH")
    for tag, value in (("email", "anna@example.ch"), ("clID", "portico"), ("crID", "portico"),
                       ("crDate", "2026-03-02T09:00:00Z")):
        xml.child(data, CONTACT, tag, value)
    return data


def host_info(command: xml.Command):
    data = xml.element(HOST, "infData")
    xml.child(data, HOST, "name", command.element.findtext(f"{{{HOST}}}name"))
    xml.child(data, HOST, "roid", "NS1_EXAMPLE_CH-TEST")
    xml.child(data, HOST, "status", s="linked")
    xml.child(data, HOST, "addr", "192.0.2.2", ip="v4")
    for tag, value in (("clID", "portico"), ("crID", "portico"), ("crDate", "2026-03-02T09:00:00Z")):
        xml.child(data, HOST, tag, value)
    return data


def host_checked(command: xml.Command):
    data = xml.element(HOST, "chkData")
    item = xml.child(data, HOST, "cd")
    xml.child(item, HOST, "name", command.element.findtext(f"{{{HOST}}}name"), avail="0")
    xml.child(item, HOST, "reason", "In use")
    return data


def test_transfers_restores_contacts_hosts_and_the_message_queue(registry, certificate):
    queued = xml.MessageQueue(2, "77", datetime.datetime(2026, 3, 2, 9, tzinfo=UTC), "Transfer requested.")
    registry.canned.update({
        ("transfer", DOMAIN): (1001, transfer_data, None),
        ("update", DOMAIN): (1000, None, None),
        ("delete", DOMAIN): (1001, None, None),
        ("check", CONTACT): (1000, contact_checked, None),
        ("create", CONTACT): (1000, contact_created, None),
        ("info", CONTACT): (1000, contact_info, None),
        ("update", CONTACT): (1000, None, None),
        ("delete", CONTACT): (2305, None, None),
        ("check", HOST): (1000, host_checked, None),
        ("create", HOST): (1000, None, None),
        ("info", HOST): (1000, host_info, None),
        ("update", HOST): (1000, None, None),
        ("delete", HOST): (1000, None, None),
        ("poll", None): (1301, transfer_data_for_poll, queued),
    })
    with client_for(registry, certificate) as client:
        assert client.request_transfer("example.ch", "2fooBAR", years=1).status == "pending"
        assert client.query_transfer("example.ch").pending
        assert client.approve_transfer("example.ch").status == "clientApproved"
        assert client.reject_transfer("example.ch").status == "clientRejected"
        assert client.cancel_transfer("example.ch").status == "clientCancelled"
        assert client.update_domain("example.ch", DomainChange(add_statuses=("clientHold",))).code == 1000
        assert client.delete_domain("example.ch").pending
        assert client.request_restore("example.ch").code == 1000
        report = RestoreReport("before", "after", datetime.datetime(2026, 3, 1, tzinfo=UTC),
                               datetime.datetime(2026, 3, 2, tzinfo=UTC), "Registrant error.",
                               ("Not for the registrar's gain.", "True."))
        assert client.report_restore("example.ch", report).code == 1000

        assert client.check_contacts(["PTC-0001"])[0].available
        details = ContactDetails("PTC-0001", PostalAddress("Anna Muster", "Zürich", "CH"), "anna@example.ch", "2fooBAR")
        assert client.create_contact(details).contact_id == "PTC-0001"
        assert client.contact_info("PTC-0001").postal.city == "Zürich"
        assert client.update_contact("PTC-0001", ContactChange(email="new@example.ch")).code == 1000
        with pytest.raises(RegistryRefused) as linked:
            client.delete_contact("PTC-0001")
        assert linked.value.code == 2305

        assert client.check_hosts(["ns1.example.ch"])[0].reason == "In use"
        assert client.create_host("ns1.example.ch", (HostAddress("192.0.2.2"),)).code == 1000
        assert client.host_info("ns1.example.ch").addresses == (HostAddress("192.0.2.2", "v4"),)
        assert client.update_host("ns1.example.ch", HostChange(new_name="ns2.example.ch")).code == 1000
        assert client.delete_host("ns2.example.ch").code == 1000

        message = client.poll()
        assert (message.message_id, message.remaining, message.transfer.name) == ("77", 2, "polled.ch")
        registry.canned[("poll", None)] = (1000, None, xml.MessageQueue(1, "77", None, None))
        assert client.acknowledge("77") == 1
        registry.canned[("poll", None)] = (1300, None, None)
        assert client.poll() is None
        assert client.hello().server_id == "Test registry"
    assert registry.refused == [] and registry.connections == 1


def transfer_data_for_poll(command: xml.Command):
    data = xml.element(DOMAIN, "trnData")
    for tag, value in (("name", "polled.ch"), ("trStatus", "pending"), ("reID", "ClientX"),
                       ("reDate", "2026-03-02T09:00:00Z"), ("acID", "portico"), ("acDate", "2026-03-07T09:00:00Z")):
        xml.child(data, DOMAIN, tag, value)
    return data


def test_after_a_closing_result_the_next_command_opens_a_new_session(registry, certificate):
    registry.canned[("info", DOMAIN)] = (2500, None, None)
    with client_for(registry, certificate) as client:
        with pytest.raises(RegistryRefused) as failed:
            client.domain_info("example.ch")
        assert failed.value.code == 2500
        del registry.canned[("info", DOMAIN)]
        assert client.check_domains(["example.ch"])[0].available
    assert registry.connections == 2
