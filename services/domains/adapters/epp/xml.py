"""EPP documents: building commands and responses, reading them back safely.

Namespaces: EPP itself (RFC 5730), domain (RFC 5731), host (RFC 5732), contact (RFC 5733) and the
redemption grace period extension rgp (RFC 3915). Both sides of the wire use this module: the
client builds commands and reads responses, the sandbox registry reads commands and builds
responses.

Reading is safe against hostile XML: a document type declaration is refused outright (it is where
external entities and entity expansion live, and EPP never needs one), entities are never
resolved, nothing is fetched from the network, and libxml2's size limits stay on. Whatever is
refused raises `XmlRefused`, which a server answers with 2001.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from lxml import etree

from services.domains.domain.registry import (
    Availability, ContactChange, ContactDetails, ContactInfo, ContactRole, DomainChange,
    DomainCreated, DomainInfo, DomainRegistration, DomainRenewed, HostAddress, HostChange, HostInfo,
    PollMessage, PostalAddress, RestoreReport, TransferStatus,
)

from . import codes

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
RGP = "urn:ietf:params:xml:ns:rgp-1.0"
OBJECT_URIS = (DOMAIN, CONTACT, HOST)
EXTENSION_URIS = (RGP,)
PREFIXES = {DOMAIN: "domain", CONTACT: "contact", HOST: "host", RGP: "rgp"}


class XmlRefused(ValueError):
    """Not an EPP document we read: malformed, hostile or of the wrong shape. Answered with 2001."""
    code = codes.Result.SYNTAX_ERROR

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


# --- reading ------------------------------------------------------------------------------------

_parsers = threading.local()   # an lxml parser is not to be shared between threads
_XML_WHITESPACE = b" \t\r\n"
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _parser() -> etree.XMLParser:
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
            dtd_validation=False, attribute_defaults=False, remove_comments=True, remove_pis=True,
            collect_ids=False,
        )
        _parsers.parser = parser
    return parser


def parse(data: bytes) -> etree._Element:
    """The root element of one EPP document, or `XmlRefused`.

    Whitespace around the document is tolerated (some clients end a frame with a newline). The
    checks before parsing refuse a DOCTYPE before libxml2 sees it, so nothing is declared, expanded
    or loaded; the check after parsing is a second line should one slip past the byte scan.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise XmlRefused("an EPP frame is bytes")
    body = bytes(data).strip(_XML_WHITESPACE)
    if not body:
        raise XmlRefused("empty frame")
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:].lstrip(_XML_WHITESPACE)
    # anything but UTF-8 (UTF-16, UTF-32, EBCDIC) would hide a DOCTYPE from the byte scan below
    if not body.startswith(b"<"):
        raise XmlRefused("EPP is UTF-8 and a document starts with '<'")
    if b"\x00" in body:
        raise XmlRefused("EPP is UTF-8: a NUL byte means another encoding or garbage")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise XmlRefused("document type declarations are not accepted")
    if body.startswith(b"<?xml"):
        end = body.find(b"?>")
        declared = _DECLARED_ENCODING.search(body[:end if end > 0 else 200])
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            raise XmlRefused("EPP is UTF-8")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        raise XmlRefused(f"not well-formed XML: {error.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused("document type declarations are not accepted")
    if root.tag != f"{{{EPP}}}epp":
        raise XmlRefused("the root element is not EPP's <epp>")
    return root


SCHEMAS = Path(__file__).with_name("schemas")
_schema_lock = threading.Lock()
_schema: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    """The XML schemas of RFC 5730-5733 and RFC 3915 (in `schemas/`), loaded from the package."""
    global _schema
    with _schema_lock:
        if _schema is None:
            loader = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            _schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "all.xsd"), loader))
        return _schema


def validate(document: bytes) -> etree._Element:
    """Parses (safely, as `parse`) and checks a document against the EPP schemas; a server
    answers a document that fails with 2001, as RFC 5730 asks."""
    root = parse(document)
    checker = schema()
    with _schema_lock:   # one XMLSchema keeps one error log: one validation at a time
        valid = checker.validate(root)
        problems = "; ".join(f"line {e.line}: {e.message}" for e in checker.error_log)
    if not valid:
        raise XmlRefused(f"not valid EPP: {problems}")
    return root


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _text(element: etree._Element | None, ns: str, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(_q(ns, tag))
    return None if found is None else (found.text or "").strip()


def _texts(element: etree._Element, ns: str, path: str) -> tuple[str, ...]:
    return tuple((e.text or "").strip() for e in element.iterfind(path, {"x": ns}))


_FRACTION = re.compile(r"\.(\d+)")


def when(text: str | None) -> datetime | None:
    """An xsd:dateTime as an aware datetime (UTC when the registry gives Z)."""
    if not text:
        return None
    text = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise XmlRefused(f"not a date and time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    """An aware datetime as xsd:dateTime in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    fraction = f".{moment.microsecond // 1000:03d}" if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


# --- responses ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageQueue:
    count: int
    message_id: str | None
    queued_at: datetime | None
    text: str | None


@dataclass(frozen=True)
class Response:
    code: int
    message: str
    reason: str | None
    client_transaction: str | None
    server_transaction: str | None
    data: etree._Element | None
    extension: etree._Element | None
    queue: MessageQueue | None

    @property
    def succeeded(self) -> bool:
        return codes.succeeded(self.code)


@dataclass(frozen=True)
class Greeting:
    server_id: str
    server_date: datetime | None
    versions: tuple[str, ...]
    languages: tuple[str, ...]
    object_uris: tuple[str, ...]
    extension_uris: tuple[str, ...]


def read_greeting(data: bytes) -> Greeting:
    root = parse(data)
    greeting = root.find(_q(EPP, "greeting"))
    if greeting is None:
        raise XmlRefused("expected a greeting")
    menu = greeting.find(_q(EPP, "svcMenu"))
    if menu is None:
        raise XmlRefused("a greeting without svcMenu")
    return Greeting(
        server_id=_text(greeting, EPP, "svID") or "",
        server_date=when(_text(greeting, EPP, "svDate")),
        versions=_texts(menu, EPP, "x:version"),
        languages=_texts(menu, EPP, "x:lang"),
        object_uris=_texts(menu, EPP, "x:objURI"),
        extension_uris=_texts(menu, EPP, "x:svcExtension/x:extURI"),
    )


def read_response(data: bytes) -> Response:
    root = parse(data)
    response = root.find(_q(EPP, "response"))
    if response is None:
        raise XmlRefused("expected a response")
    # several results are allowed (RFC 5730 2.6); the first one decides
    result = response.find(_q(EPP, "result"))
    if result is None:
        raise XmlRefused("a response without result")
    try:
        code = int(result.get("code", ""))
    except ValueError:
        raise XmlRefused("a result without a numeric code") from None
    if not 1000 <= code <= 2502:
        raise XmlRefused(f"result code {code} is out of EPP's range")
    reasons = [
        (r.text or "").strip()
        for r in result.iterfind("x:extValue/x:reason", {"x": EPP})
    ]
    queue_element = response.find(_q(EPP, "msgQ"))
    queue = None
    if queue_element is not None:
        try:
            count = int(queue_element.get("count", "0"))
        except ValueError:
            raise XmlRefused("msgQ count is not a number") from None
        queue = MessageQueue(
            count=count,
            message_id=queue_element.get("id"),
            queued_at=when(_text(queue_element, EPP, "qDate")),
            text=_text(queue_element, EPP, "msg"),
        )
    transaction = response.find(_q(EPP, "trID"))
    return Response(
        code=code,
        message=_text(result, EPP, "msg") or codes.MESSAGES.get(code, ""),
        reason="; ".join(r for r in reasons if r) or None,
        client_transaction=_text(transaction, EPP, "clTRID"),
        server_transaction=_text(transaction, EPP, "svTRID"),
        data=response.find(_q(EPP, "resData")),
        extension=response.find(_q(EPP, "extension")),
        queue=queue,
    )


# --- building -----------------------------------------------------------------------------------

def _document() -> etree._Element:
    return etree.Element(_q(EPP, "epp"), nsmap={None: EPP})


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False)


def _sub(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attributes) -> etree._Element:
    nsmap = None
    if ns != EPP and parent.nsmap.get(PREFIXES.get(ns)) != ns:
        nsmap = {PREFIXES[ns]: ns}   # declare the object's namespace on its outermost element
    element = etree.SubElement(parent, _q(ns, tag), nsmap=nsmap)
    for key, value in attributes.items():
        if value is not None:
            element.set(key, str(value))
    if text is not None:
        element.text = text
    return element


def _command() -> tuple[etree._Element, etree._Element]:
    root = _document()
    return root, _sub(root, EPP, "command")


def _finish(root: etree._Element, command: etree._Element, cl_trid: str,
            extension: etree._Element | None = None) -> bytes:
    if extension is not None:
        command.append(extension)
    _sub(command, EPP, "clTRID", cl_trid)
    return _serialize(root)


def hello() -> bytes:
    root = _document()
    _sub(root, EPP, "hello")
    return _serialize(root)


def login(client_id: str, password: str, *, cl_trid: str, object_uris=OBJECT_URIS,
          extension_uris=EXTENSION_URIS, new_password: str | None = None, language: str = "en") -> bytes:
    root, command = _command()
    login_element = _sub(command, EPP, "login")
    _sub(login_element, EPP, "clID", client_id)
    _sub(login_element, EPP, "pw", password)
    if new_password is not None:
        _sub(login_element, EPP, "newPW", new_password)
    options = _sub(login_element, EPP, "options")
    _sub(options, EPP, "version", "1.0")
    _sub(options, EPP, "lang", language)
    services = _sub(login_element, EPP, "svcs")
    for uri in object_uris:
        _sub(services, EPP, "objURI", uri)
    if extension_uris:
        extensions = _sub(services, EPP, "svcExtension")
        for uri in extension_uris:
            _sub(extensions, EPP, "extURI", uri)
    return _finish(root, command, cl_trid)


def logout(*, cl_trid: str) -> bytes:
    root, command = _command()
    _sub(command, EPP, "logout")
    return _finish(root, command, cl_trid)


def _object_command(verb: str, ns: str, **verb_attributes):
    root, command = _command()
    verb_element = _sub(command, EPP, verb, **verb_attributes)
    return root, command, _sub(verb_element, ns, verb)


def _auth_info(parent: etree._Element, ns: str, password: str | None) -> None:
    if password is not None:
        _sub(_sub(parent, ns, "authInfo"), ns, "pw", password)


def _period(parent: etree._Element, years: int | None) -> None:
    if years is not None:
        if not 1 <= years <= 99:
            raise ValueError("a registration period is 1 to 99 years")
        _sub(parent, DOMAIN, "period", str(years), unit="y")


def check(ns: str, names: list[str], *, cl_trid: str) -> bytes:
    """domain:check / host:check (by name) or contact:check (by id)."""
    if not names:
        raise ValueError("check at least one name")
    root, command, element = _object_command("check", ns)
    for name in names:
        _sub(element, ns, "id" if ns == CONTACT else "name", name)
    return _finish(root, command, cl_trid)


def domain_create(registration: DomainRegistration, *, cl_trid: str) -> bytes:
    root, command, element = _object_command("create", DOMAIN)
    _sub(element, DOMAIN, "name", registration.name)
    _period(element, registration.years)
    if registration.nameservers:
        servers = _sub(element, DOMAIN, "ns")
        for server in registration.nameservers:
            _sub(servers, DOMAIN, "hostObj", server)
    _sub(element, DOMAIN, "registrant", registration.registrant)
    for contact in registration.contacts:
        _sub(element, DOMAIN, "contact", contact.contact_id, type=contact.role)
    _auth_info(element, DOMAIN, registration.auth_info)
    return _finish(root, command, cl_trid)


def domain_info(name: str, *, cl_trid: str, auth_info: str | None = None, hosts: str = "all") -> bytes:
    root, command, element = _object_command("info", DOMAIN)
    _sub(element, DOMAIN, "name", name, hosts=hosts)
    _auth_info(element, DOMAIN, auth_info)
    return _finish(root, command, cl_trid)


def domain_renew(name: str, current_expiry: date, years: int, *, cl_trid: str) -> bytes:
    root, command, element = _object_command("renew", DOMAIN)
    _sub(element, DOMAIN, "name", name)
    _sub(element, DOMAIN, "curExpDate", current_expiry.isoformat())
    _period(element, years)
    return _finish(root, command, cl_trid)


TRANSFER_OPERATIONS = ("request", "query", "approve", "reject", "cancel")


def domain_transfer(operation: str, name: str, *, cl_trid: str, auth_info: str | None = None,
                    years: int | None = None) -> bytes:
    if operation not in TRANSFER_OPERATIONS:
        raise ValueError(f"transfer operation {operation!r}")
    root, command, element = _object_command("transfer", DOMAIN, op=operation)
    _sub(element, DOMAIN, "name", name)
    if operation == "request":
        _period(element, years)
    _auth_info(element, DOMAIN, auth_info)
    return _finish(root, command, cl_trid)


def _statuses(parent: etree._Element, ns: str, statuses) -> None:
    for status in statuses:
        _sub(parent, ns, "status", s=status)


def domain_update(name: str, change: DomainChange, *, cl_trid: str,
                  extension: etree._Element | None = None) -> bytes:
    root, command, element = _object_command("update", DOMAIN)
    _sub(element, DOMAIN, "name", name)
    for tag, servers, contacts, statuses in (
        ("add", change.add_nameservers, change.add_contacts, change.add_statuses),
        ("rem", change.remove_nameservers, change.remove_contacts, change.remove_statuses),
    ):
        if servers or contacts or statuses:
            part = _sub(element, DOMAIN, tag)
            if servers:
                listed = _sub(part, DOMAIN, "ns")
                for server in servers:
                    _sub(listed, DOMAIN, "hostObj", server)
            for contact in contacts:
                _sub(part, DOMAIN, "contact", contact.contact_id, type=contact.role)
            _statuses(part, DOMAIN, statuses)
    # RFC 3915 sends a restore as an update with an empty <domain:chg/>
    if change.registrant is not None or change.auth_info is not None or extension is not None:
        changed = _sub(element, DOMAIN, "chg")
        if change.registrant is not None:
            _sub(changed, DOMAIN, "registrant", change.registrant)
        _auth_info(changed, DOMAIN, change.auth_info)
    elif change.is_empty():
        raise ValueError("an update changes something")
    return _finish(root, command, cl_trid, extension)


def domain_delete(name: str, *, cl_trid: str) -> bytes:
    root, command, element = _object_command("delete", DOMAIN)
    _sub(element, DOMAIN, "name", name)
    return _finish(root, command, cl_trid)


def _restore_extension(operation: str, report: RestoreReport | None = None) -> etree._Element:
    extension = etree.Element(_q(EPP, "extension"), nsmap={None: EPP})
    update = _sub(extension, RGP, "update")
    restore = _sub(update, RGP, "restore", op=operation)
    if report is not None:
        body = _sub(restore, RGP, "report")
        _sub(body, RGP, "preData", report.before_deletion)
        _sub(body, RGP, "postData", report.after_restore)
        _sub(body, RGP, "delTime", stamp(report.deleted_at))
        _sub(body, RGP, "resTime", stamp(report.restored_at))
        _sub(body, RGP, "resReason", report.reason)
        for statement in report.statements:
            _sub(body, RGP, "statement", statement)
        if report.other:
            _sub(body, RGP, "other", report.other)
    return extension


def restore_request(name: str, *, cl_trid: str) -> bytes:
    return domain_update(name, DomainChange(), cl_trid=cl_trid, extension=_restore_extension("request"))


def restore_report(name: str, report: RestoreReport, *, cl_trid: str) -> bytes:
    return domain_update(name, DomainChange(), cl_trid=cl_trid,
                         extension=_restore_extension("report", report))


def _postal(parent: etree._Element, postal: PostalAddress) -> None:
    info = _sub(parent, CONTACT, "postalInfo", type="int")
    _sub(info, CONTACT, "name", postal.name)
    if postal.organization:
        _sub(info, CONTACT, "org", postal.organization)
    address = _sub(info, CONTACT, "addr")
    if len(postal.streets) > 3:
        raise ValueError("a postal address has at most three street lines")
    for street in postal.streets:
        _sub(address, CONTACT, "street", street)
    _sub(address, CONTACT, "city", postal.city)
    if postal.state:
        _sub(address, CONTACT, "sp", postal.state)
    if postal.postcode:
        _sub(address, CONTACT, "pc", postal.postcode)
    _sub(address, CONTACT, "cc", postal.country_code)


def contact_create(contact: ContactDetails, *, cl_trid: str) -> bytes:
    root, command, element = _object_command("create", CONTACT)
    _sub(element, CONTACT, "id", contact.contact_id)
    _postal(element, contact.postal)
    if contact.voice:
        _sub(element, CONTACT, "voice", contact.voice)
    if contact.fax:
        _sub(element, CONTACT, "fax", contact.fax)
    _sub(element, CONTACT, "email", contact.email)
    _auth_info(element, CONTACT, contact.auth_info)
    return _finish(root, command, cl_trid)


def contact_info(contact_id: str, *, cl_trid: str, auth_info: str | None = None) -> bytes:
    root, command, element = _object_command("info", CONTACT)
    _sub(element, CONTACT, "id", contact_id)
    _auth_info(element, CONTACT, auth_info)
    return _finish(root, command, cl_trid)


def contact_update(contact_id: str, change: ContactChange, *, cl_trid: str) -> bytes:
    root, command, element = _object_command("update", CONTACT)
    _sub(element, CONTACT, "id", contact_id)
    if change.add_statuses:
        _statuses(_sub(element, CONTACT, "add"), CONTACT, change.add_statuses)
    if change.remove_statuses:
        _statuses(_sub(element, CONTACT, "rem"), CONTACT, change.remove_statuses)
    fields = (change.postal, change.voice, change.fax, change.email, change.auth_info)
    if any(value is not None for value in fields):
        changed = _sub(element, CONTACT, "chg")
        if change.postal is not None:
            _postal(changed, change.postal)
        if change.voice is not None:
            _sub(changed, CONTACT, "voice", change.voice)
        if change.fax is not None:
            _sub(changed, CONTACT, "fax", change.fax)
        if change.email is not None:
            _sub(changed, CONTACT, "email", change.email)
        _auth_info(changed, CONTACT, change.auth_info)
    elif not (change.add_statuses or change.remove_statuses):
        raise ValueError("an update changes something")
    return _finish(root, command, cl_trid)


def delete(ns: str, name: str, *, cl_trid: str) -> bytes:
    """contact:delete (by id) or host:delete (by name); domains have `domain_delete`."""
    root, command, element = _object_command("delete", ns)
    _sub(element, ns, "id" if ns == CONTACT else "name", name)
    return _finish(root, command, cl_trid)


def _addresses(parent: etree._Element, addresses) -> None:
    for address in addresses:
        _sub(parent, HOST, "addr", address.address, ip=address.version)


def host_create(name: str, addresses=(), *, cl_trid: str) -> bytes:
    root, command, element = _object_command("create", HOST)
    _sub(element, HOST, "name", name)
    _addresses(element, addresses)
    return _finish(root, command, cl_trid)


def host_info(name: str, *, cl_trid: str) -> bytes:
    root, command, element = _object_command("info", HOST)
    _sub(element, HOST, "name", name)
    return _finish(root, command, cl_trid)


def host_update(name: str, change: HostChange, *, cl_trid: str) -> bytes:
    root, command, element = _object_command("update", HOST)
    _sub(element, HOST, "name", name)
    touched = False
    for tag, addresses, statuses in (
        ("add", change.add_addresses, change.add_statuses),
        ("rem", change.remove_addresses, change.remove_statuses),
    ):
        if addresses or statuses:
            part = _sub(element, HOST, tag)
            _addresses(part, addresses)
            _statuses(part, HOST, statuses)
            touched = True
    if change.new_name is not None:
        _sub(_sub(element, HOST, "chg"), HOST, "name", change.new_name)
        touched = True
    if not touched:
        raise ValueError("an update changes something")
    return _finish(root, command, cl_trid)


def poll_request(*, cl_trid: str) -> bytes:
    root, command = _command()
    _sub(command, EPP, "poll", op="req")
    return _finish(root, command, cl_trid)


def poll_ack(message_id: str, *, cl_trid: str) -> bytes:
    root, command = _command()
    _sub(command, EPP, "poll", op="ack", msgID=message_id)
    return _finish(root, command, cl_trid)


# --- what responses carry, in the port's words --------------------------------------------------

def _data(response: Response, ns: str, tag: str) -> etree._Element:
    element = None if response.data is None else response.data.find(_q(ns, tag))
    if element is None:
        raise XmlRefused(f"the response carries no {PREFIXES.get(ns, ns)}:{tag}")
    return element


def availability(response: Response, ns: str) -> list[Availability]:
    checked = _data(response, ns, "chkData")
    key = "id" if ns == CONTACT else "name"
    results = []
    for item in checked.iterfind("x:cd", {"x": ns}):
        name = item.find(_q(ns, key))
        if name is None:
            raise XmlRefused("a check result without a name")
        results.append(Availability(
            name=(name.text or "").strip(),
            available=name.get("avail") in ("1", "true"),
            reason=_text(item, ns, "reason"),
        ))
    return results


def _roles(element: etree._Element, ns: str) -> tuple[ContactRole, ...]:
    return tuple(ContactRole(role=c.get("type", ""), contact_id=(c.text or "").strip())
                 for c in element.iterfind("x:contact", {"x": ns}))


def _status_values(element: etree._Element, ns: str) -> tuple[str, ...]:
    return tuple(s.get("s", "") for s in element.iterfind("x:status", {"x": ns}))


def domain_information(response: Response) -> DomainInfo:
    info = _data(response, DOMAIN, "infData")
    password = info.find(f"{_q(DOMAIN, 'authInfo')}/{_q(DOMAIN, 'pw')}")
    servers = _texts(info, DOMAIN, "x:ns/x:hostObj") + _texts(info, DOMAIN, "x:ns/x:hostAttr/x:hostName")
    grace: tuple[str, ...] = ()
    if response.extension is not None:
        grace = tuple(s.get("s", "") for s in response.extension.iterfind("r:infData/r:rgpStatus", {"r": RGP}))
    return DomainInfo(
        name=_text(info, DOMAIN, "name") or "",
        registry_id=_text(info, DOMAIN, "roid") or "",
        statuses=_status_values(info, DOMAIN),
        sponsor=_text(info, DOMAIN, "clID") or "",
        registrant=_text(info, DOMAIN, "registrant"),
        contacts=_roles(info, DOMAIN),
        nameservers=servers,
        subordinate_hosts=_texts(info, DOMAIN, "x:host"),
        created_at=when(_text(info, DOMAIN, "crDate")),
        updated_at=when(_text(info, DOMAIN, "upDate")),
        expires_at=when(_text(info, DOMAIN, "exDate")),
        transferred_at=when(_text(info, DOMAIN, "trDate")),
        has_auth_info=info.find(_q(DOMAIN, "authInfo")) is not None,
        auth_info=None if password is None else (password.text or ""),
        grace_statuses=grace,
    )


def domain_created(response: Response) -> DomainCreated:
    created = _data(response, DOMAIN, "creData")
    return DomainCreated(
        name=_text(created, DOMAIN, "name") or "",
        created_at=when(_text(created, DOMAIN, "crDate")),
        expires_at=when(_text(created, DOMAIN, "exDate")),
        pending=response.code == codes.Result.PENDING,
    )


def domain_renewed(response: Response) -> DomainRenewed:
    renewed = _data(response, DOMAIN, "renData")
    return DomainRenewed(
        name=_text(renewed, DOMAIN, "name") or "",
        expires_at=when(_text(renewed, DOMAIN, "exDate")),
        pending=response.code == codes.Result.PENDING,
    )


def _transfer(element: etree._Element, pending: bool) -> TransferStatus:
    return TransferStatus(
        name=_text(element, DOMAIN, "name") or "",
        status=_text(element, DOMAIN, "trStatus") or "",
        requested_by=_text(element, DOMAIN, "reID") or "",
        requested_at=when(_text(element, DOMAIN, "reDate")),
        act_by=_text(element, DOMAIN, "acID") or "",
        act_until=when(_text(element, DOMAIN, "acDate")),
        expires_at=when(_text(element, DOMAIN, "exDate")),
        pending=pending,
    )


def transfer_status(response: Response) -> TransferStatus:
    return _transfer(_data(response, DOMAIN, "trnData"), response.code == codes.Result.PENDING)


def _postal_of(info: etree._Element) -> PostalAddress:
    # prefer the internationalized (ASCII) form when a registry keeps both
    forms = {p.get("type"): p for p in info.iterfind("x:postalInfo", {"x": CONTACT})}
    postal = forms.get("int") if forms.get("int") is not None else forms.get("loc")
    if postal is None:
        raise XmlRefused("a contact without postalInfo")
    address = postal.find(_q(CONTACT, "addr"))
    return PostalAddress(
        name=_text(postal, CONTACT, "name") or "",
        organization=_text(postal, CONTACT, "org"),
        streets=() if address is None else _texts(address, CONTACT, "x:street"),
        city=_text(address, CONTACT, "city") or "",
        state=_text(address, CONTACT, "sp"),
        postcode=_text(address, CONTACT, "pc"),
        country_code=_text(address, CONTACT, "cc") or "",
    )


def contact_information(response: Response) -> ContactInfo:
    info = _data(response, CONTACT, "infData")
    return ContactInfo(
        contact_id=_text(info, CONTACT, "id") or "",
        registry_id=_text(info, CONTACT, "roid") or "",
        statuses=_status_values(info, CONTACT),
        postal=_postal_of(info),
        email=_text(info, CONTACT, "email") or "",
        sponsor=_text(info, CONTACT, "clID") or "",
        voice=_text(info, CONTACT, "voice"),
        fax=_text(info, CONTACT, "fax"),
        created_at=when(_text(info, CONTACT, "crDate")),
        updated_at=when(_text(info, CONTACT, "upDate")),
        has_auth_info=info.find(_q(CONTACT, "authInfo")) is not None,
    )


def contact_created(response: Response) -> tuple[str, datetime | None]:
    created = _data(response, CONTACT, "creData")
    return _text(created, CONTACT, "id") or "", when(_text(created, CONTACT, "crDate"))


def host_information(response: Response) -> HostInfo:
    info = _data(response, HOST, "infData")
    return HostInfo(
        name=_text(info, HOST, "name") or "",
        registry_id=_text(info, HOST, "roid") or "",
        statuses=_status_values(info, HOST),
        addresses=tuple(HostAddress(address=(a.text or "").strip(), version=a.get("ip", "v4"))
                        for a in info.iterfind("x:addr", {"x": HOST})),
        sponsor=_text(info, HOST, "clID") or "",
        created_at=when(_text(info, HOST, "crDate")),
        updated_at=when(_text(info, HOST, "upDate")),
    )


def poll_message(response: Response) -> PollMessage | None:
    if response.code == codes.Result.NO_MESSAGES or response.queue is None:
        return None
    transfer = None
    if response.data is not None:
        found = response.data.find(_q(DOMAIN, "trnData"))
        if found is not None:
            transfer = _transfer(found, False)
    return PollMessage(
        message_id=response.queue.message_id or "",
        remaining=response.queue.count,
        queued_at=response.queue.queued_at,
        text=response.queue.text or "",
        transfer=transfer,
    )


# --- the server's side: reading commands, building greeting and responses -----------------------

@dataclass(frozen=True)
class Command:
    """A command as a server reads it: `verb` is login, logout, poll, check, create, ...;
    `object_ns` the object's namespace for object commands; `element` the object's element
    (e.g. <domain:create>), or the verb's own for login/logout/poll."""
    verb: str
    operation: str | None
    object_ns: str | None
    element: etree._Element
    extension: etree._Element | None
    client_transaction: str | None


def read_command(data: bytes) -> Command:
    root = parse(data)
    if root.find(_q(EPP, "hello")) is not None:
        return Command("hello", None, None, root.find(_q(EPP, "hello")), None, None)
    command = root.find(_q(EPP, "command"))
    if command is None:
        raise XmlRefused("expected hello or command")
    children = [c for c in command if isinstance(c.tag, str)
                and c.tag not in (_q(EPP, "extension"), _q(EPP, "clTRID"))]
    if len(children) != 1 or not children[0].tag.startswith(f"{{{EPP}}}"):
        raise XmlRefused("a command holds exactly one EPP verb")
    verb_element = children[0]
    verb = etree.QName(verb_element).localname
    object_element = next((c for c in verb_element if isinstance(c.tag, str)), None)
    object_ns = None
    element = verb_element
    if verb not in ("login", "logout", "poll"):
        if object_element is None:
            raise XmlRefused(f"<{verb}> without an object")
        object_ns = etree.QName(object_element).namespace
        element = object_element
    cl_trid = _text(command, EPP, "clTRID")
    if cl_trid is not None and not 3 <= len(cl_trid) <= 64:
        raise XmlRefused("clTRID is 3 to 64 characters")
    return Command(verb, verb_element.get("op"), object_ns, element,
                   command.find(_q(EPP, "extension")), cl_trid)


def greeting(server_id: str, now: datetime, *, object_uris=OBJECT_URIS,
             extension_uris=EXTENSION_URIS) -> bytes:
    root = _document()
    element = _sub(root, EPP, "greeting")
    _sub(element, EPP, "svID", server_id)
    _sub(element, EPP, "svDate", stamp(now))
    menu = _sub(element, EPP, "svcMenu")
    _sub(menu, EPP, "version", "1.0")
    _sub(menu, EPP, "lang", "en")
    for uri in object_uris:
        _sub(menu, EPP, "objURI", uri)
    if extension_uris:
        extensions = _sub(menu, EPP, "svcExtension")
        for uri in extension_uris:
            _sub(extensions, EPP, "extURI", uri)
    dcp = _sub(element, EPP, "dcp")
    _sub(_sub(dcp, EPP, "access"), EPP, "all")
    statement = _sub(dcp, EPP, "statement")
    _sub(_sub(statement, EPP, "purpose"), EPP, "admin")
    _sub(_sub(statement, EPP, "recipient"), EPP, "ours")
    _sub(_sub(statement, EPP, "retention"), EPP, "stated")
    return _serialize(root)


def response(code: int, *, server_transaction: str, client_transaction: str | None = None,
             message: str | None = None, reason: str | None = None,
             data: etree._Element | None = None, extension: etree._Element | None = None,
             queue: MessageQueue | None = None) -> bytes:
    """A response document; `data` is the object's element (e.g. <domain:chkData>) to wrap in
    <resData>, `extension` the extension's element (e.g. <rgp:infData>)."""
    root = _document()
    element = _sub(root, EPP, "response")
    result = _sub(element, EPP, "result", code=code)
    _sub(result, EPP, "msg", message or codes.message(code))
    if reason:
        value = _sub(result, EPP, "extValue")
        _sub(_sub(value, EPP, "value"), EPP, "undef")   # the schema wants an element in <value>
        _sub(value, EPP, "reason", reason)
    if queue is not None:
        queued = _sub(element, EPP, "msgQ", count=queue.count, id=queue.message_id)
        if queue.queued_at is not None:
            _sub(queued, EPP, "qDate", stamp(queue.queued_at))
        if queue.text is not None:
            _sub(queued, EPP, "msg", queue.text)
    if data is not None:
        _sub(element, EPP, "resData").append(data)
    if extension is not None:
        _sub(element, EPP, "extension").append(extension)
    transaction = _sub(element, EPP, "trID")
    if client_transaction is not None:
        _sub(transaction, EPP, "clTRID", client_transaction)
    _sub(transaction, EPP, "svTRID", server_transaction)
    return _serialize(root)


def element(ns: str, tag: str, text: str | None = None, **attributes) -> etree._Element:
    """A free-standing element of an object namespace, for a server building resData."""
    built = etree.Element(_q(ns, tag), nsmap={PREFIXES[ns]: ns})
    for key, value in attributes.items():
        if value is not None:
            built.set(key, str(value))
    if text is not None:
        built.text = text
    return built


def child(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attributes) -> etree._Element:
    return _sub(parent, ns, tag, text, **attributes)
