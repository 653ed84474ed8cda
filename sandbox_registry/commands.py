"""EPP commands as the sandbox registry answers them (RFC 5730-5733, RFC 3915).

One `Registry` serves every connection; `Session` is one connection's state (who logged in, with
which services). `answer` takes one frame's bytes and gives the response's bytes, and whether the
connection ends with it. Every command is checked against the RFC schemas first (2001 otherwise),
then runs in one database transaction under one lock: the registry does one thing at a time, as
simple as a test registry may be.
"""
from __future__ import annotations

import hmac
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from portico_kernel.clock import Clock
from services.domains.adapters.epp import xml
from services.domains.adapters.epp.codes import Result
from services.domains.adapters.epp.xml import CONTACT, DOMAIN, EPP, HOST, RGP
from services.domains.domain.tld_rules import TldCatalog

from . import rules
from .rules import Domain, Notice, Refused
from .store import Store, Transaction

log = logging.getLogger("sandbox_registry")

SERVER_ID = "Portico sandbox registry"
MAX_FAILED_LOGINS = 3


@dataclass
class Session:
    client: str | None = None
    object_uris: tuple[str, ...] = ()
    extension_uris: tuple[str, ...] = ()
    failed_logins: int = 0


@dataclass(frozen=True)
class Answer:
    payload: bytes
    close: bool = False


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _t(element: etree._Element | None, ns: str, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(_q(ns, tag))
    return None if found is None else (found.text or "").strip()


def _all(element: etree._Element | None, ns: str, tag: str) -> list[etree._Element]:
    return [] if element is None else list(element.iterfind(_q(ns, tag)))


def _texts(element: etree._Element | None, ns: str, tag: str) -> list[str]:
    return [(e.text or "").strip() for e in _all(element, ns, tag)]


def _auth(element: etree._Element | None, ns: str) -> str | None:
    if element is None:
        return None
    found = element.find(f"{_q(ns, 'authInfo')}/{_q(ns, 'pw')}")
    return None if found is None else (found.text or "")


def _stamp(moment: datetime | str | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return xml.stamp(moment)


class Registry:
    def __init__(self, store: Store, catalog: TldCatalog, clock: Clock, clients: dict[str, str], *,
                 transfer_days: int = 5):
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.clients = dict(clients)
        self.transfer_days = transfer_days
        self._lock = threading.Lock()
        self._extensions: tuple[str, ...] = ()   # the running command's session's, under the lock

    # --- the session ---------------------------------------------------------------------------

    def greeting(self) -> bytes:
        return xml.greeting(SERVER_ID, self.clock.now())

    def _reply(self, code: int, cl_trid: str | None = None, *, reason: str | None = None, **parts) -> bytes:
        return xml.response(code, server_transaction=f"SBX-{uuid.uuid4().hex[:24]}",
                            client_transaction=cl_trid, reason=reason, **parts)

    def closing(self, code: int, reason: str) -> bytes:
        """The last answer on a connection the server ends (2500 a frame it cannot take, 2502 too
        many commands)."""
        return self._reply(code, reason=reason)

    def answer(self, session: Session, data: bytes) -> Answer:
        try:
            xml.validate(data)
            command = xml.read_command(data)
        except xml.XmlRefused as refused:
            return Answer(self._reply(Result.SYNTAX_ERROR, reason=refused.reason[:500]))
        if command.verb == "hello":
            return Answer(self.greeting())
        cl_trid = command.client_transaction
        if command.verb == "login":
            return self._login(session, command, cl_trid)
        if session.client is None:
            return Answer(self._reply(Result.USE_ERROR, cl_trid, reason="log in first"))
        if command.verb == "logout":
            session.client = None
            return Answer(self._reply(Result.ENDING_SESSION, cl_trid), close=True)
        if command.object_ns is not None and command.object_ns not in session.object_uris:
            return Answer(self._reply(Result.UNIMPLEMENTED_SERVICE, cl_trid,
                                      reason="the object's service was not named at login"))
        if command.extension is not None:
            for used in command.extension:
                if isinstance(used.tag, str) and etree.QName(used).namespace not in session.extension_uris:
                    return Answer(self._reply(Result.UNIMPLEMENTED_EXTENSION, cl_trid,
                                              reason="the extension was not named at login"))
        handler = getattr(self, f"_{command.verb}_{xml.PREFIXES.get(command.object_ns, '')}".rstrip("_"), None)
        if handler is None:
            return Answer(self._reply(Result.UNIMPLEMENTED_COMMAND, cl_trid))
        with self._lock:
            self._extensions = session.extension_uris
            try:
                with self.store.transaction() as tx:
                    now = self.clock.now()
                    code, parts = handler(tx, session.client, command, now)
            except Refused as refused:
                return Answer(self._reply(refused.code, cl_trid, reason=refused.reason))
            except Exception:   # nothing was changed (the transaction rolled back): say so, go on
                log.exception("%s %s failed", command.verb, command.object_ns or "")
                return Answer(self._reply(Result.COMMAND_FAILED, cl_trid))
        return Answer(self._reply(code, cl_trid, **parts))

    def _login(self, session: Session, command: xml.Command, cl_trid: str | None) -> Answer:
        element = command.element
        if session.client is not None:
            return Answer(self._reply(Result.USE_ERROR, cl_trid, reason="already logged in"))
        client, password = _t(element, EPP, "clID") or "", _t(element, EPP, "pw") or ""
        known = self.clients.get(client)
        if known is None or not hmac.compare_digest(known.encode(), password.encode()):
            session.failed_logins += 1
            if session.failed_logins >= MAX_FAILED_LOGINS:
                return Answer(self._reply(Result.AUTHENTICATION_CLOSING, cl_trid), close=True)
            return Answer(self._reply(Result.AUTHENTICATION_ERROR, cl_trid))
        options = element.find(_q(EPP, "options"))
        if _t(options, EPP, "version") != "1.0":
            return Answer(self._reply(Result.UNIMPLEMENTED_VERSION, cl_trid))
        if _t(options, EPP, "lang") != "en":
            return Answer(self._reply(Result.UNIMPLEMENTED_OPTION, cl_trid, reason="this registry speaks en"))
        services = element.find(_q(EPP, "svcs"))
        objects = tuple(_texts(services, EPP, "objURI"))
        extensions = tuple(_texts(services.find(_q(EPP, "svcExtension")) if services is not None else None,
                                  EPP, "extURI"))
        if any(uri not in xml.OBJECT_URIS for uri in objects):
            return Answer(self._reply(Result.UNIMPLEMENTED_SERVICE, cl_trid))
        if any(uri not in xml.EXTENSION_URIS for uri in extensions):
            return Answer(self._reply(Result.UNIMPLEMENTED_EXTENSION, cl_trid))
        new_password = _t(element, EPP, "newPW")
        if new_password is not None:
            self.clients[client] = new_password   # until the registry restarts
        session.client, session.object_uris, session.extension_uris = client, objects, extensions
        return Answer(self._reply(Result.OK, cl_trid))

    # --- poll ------------------------------------------------------------------------------------

    def _poll(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        operation = command.element.get("op")
        if operation == "ack":
            try:
                message_id = int(command.element.get("msgID") or "")
            except ValueError:
                raise Refused(Result.OBJECT_MISSING, "no such message") from None
            left = tx.acknowledge(client, message_id)
            if left is None:
                raise Refused(Result.OBJECT_MISSING, "no such message in your queue")
            return Result.OK, {"queue": xml.MessageQueue(left, str(message_id), None, None)}
        oldest = tx.oldest_message(client)
        if oldest is None:
            return Result.NO_MESSAGES, {}
        message_id, queued_at, record, count = oldest
        parts = {"queue": xml.MessageQueue(count, str(message_id), queued_at, record["text"])}
        if record.get("transfer"):
            parts["data"] = self._transfer_data(record["domain"], record["transfer"], record.get("expires_at"))
        return Result.ACK_TO_DEQUEUE, parts

    def _notify(self, tx: Transaction, notices: list[Notice], now: datetime) -> None:
        for notice in notices:
            transfer = None
            if notice.transfer is not None:
                t = notice.transfer
                transfer = {"status": t.status, "requested_by": t.requested_by,
                            "requested_at": _stamp(t.requested_at), "act_by": t.act_by,
                            "act_until": _stamp(t.act_until)}
            tx.enqueue(notice.client, now, {"text": notice.text, "domain": notice.domain, "transfer": transfer,
                                             "expires_at": _stamp(notice.expires_at)})

    # --- domains ---------------------------------------------------------------------------------

    def _load(self, tx: Transaction, name: str, now: datetime) -> tuple[Domain, object] | None:
        domain = tx.domain(name)
        if domain is None:
            return None
        tld = self.catalog.for_domain(name)
        self._notify(tx, rules.settle(domain, tld, now), now)
        if rules.deletion_phase(domain, tld, now) == "purged":
            tx.remove_domain(name)
            return None
        tx.save_domain(domain)
        return domain, tld

    def _domain(self, tx: Transaction, name: str, now: datetime) -> tuple[Domain, object]:
        found = self._load(tx, name, now) if self._served(name) else None
        if found is None:
            raise Refused(Result.OBJECT_MISSING, f"{name} is not registered")
        return found

    def _served(self, name: str) -> bool:
        try:
            rules.domain_rules(self.catalog, name)
            return True
        except Refused:
            return False

    def _sponsored(self, tx: Transaction, client: str, name: str, now: datetime) -> tuple[Domain, object]:
        domain, tld = self._domain(tx, name, now)
        if domain.sponsor != client:
            raise Refused(Result.AUTHORIZATION_ERROR, f"{name} is sponsored by another registrar")
        return domain, tld

    def _check_domain(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        result = xml.element(DOMAIN, "chkData")
        for name in _texts(command.element, DOMAIN, "name"):
            name = name.lower()
            reason = None
            try:
                rules.domain_rules(self.catalog, name)
                if self._load(tx, name, now) is not None:
                    reason = "In use"
            except Refused as refused:
                reason = refused.reason
            item = xml.child(result, DOMAIN, "cd")
            xml.child(item, DOMAIN, "name", name, avail="0" if reason else "1")
            if reason:
                xml.child(item, DOMAIN, "reason", reason)
        return Result.OK, {"data": result}

    def _contacts_exist(self, tx: Transaction, ids: list[str]) -> None:
        for contact_id in ids:
            if tx.contact(contact_id) is None:
                raise Refused(Result.OBJECT_MISSING, f"contact {contact_id} does not exist")

    def _hosts_exist(self, tx: Transaction, names: list[str]) -> None:
        for name in names:
            if tx.host(name.lower()) is None:
                raise Refused(Result.OBJECT_MISSING, f"host {name} does not exist")

    @staticmethod
    def _host_objects(element: etree._Element | None) -> list[str]:
        servers = None if element is None else element.find(_q(DOMAIN, "ns"))
        if servers is not None and servers.find(_q(DOMAIN, "hostAttr")) is not None:
            raise Refused(Result.UNIMPLEMENTED_OPTION, "this registry keeps name servers as host objects")
        return [s.lower() for s in _texts(servers, DOMAIN, "hostObj")]

    def _create_domain(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        name = (_t(element, DOMAIN, "name") or "").lower()
        tld = rules.domain_rules(self.catalog, name)
        if self._load(tx, name, now) is not None:
            raise Refused(Result.OBJECT_EXISTS, f"{name} is registered")
        rules.rehearsed_refusal(name)
        period = element.find(_q(DOMAIN, "period"))
        years = rules.create_refusal(tld, rules.period_years(
            None if period is None else period.text, None if period is None else period.get("unit")))
        registrant = _t(element, DOMAIN, "registrant")
        if not registrant:
            raise Refused(Result.PARAMETER_MISSING, "a domain needs a registrant")
        holder = tx.contact(registrant)
        if holder is None:
            raise Refused(Result.OBJECT_MISSING, f"contact {registrant} does not exist")
        country = holder["postal"][0]["cc"]
        if not tld.may_register_from(country):
            raise Refused(Result.POLICY_ERROR, f".{tld.tld} cannot be held from {country}")
        contacts = [(c.get("type"), (c.text or "").strip()) for c in _all(element, DOMAIN, "contact")]
        self._contacts_exist(tx, [c for _, c in contacts])
        servers = self._host_objects(element)
        if len(servers) > rules.MAX_NAMESERVERS:
            raise Refused(Result.POLICY_ERROR, f"at most {rules.MAX_NAMESERVERS} name servers")
        self._hosts_exist(tx, servers)
        auth_info = _auth(element, DOMAIN) or ""
        rules.check_auth_code(tld, auth_info)
        domain = Domain(name=name, roid=f"D{uuid.uuid4().hex[:16].upper()}-SBX", sponsor=client,
                        registrant=registrant, auth_info=auth_info, created_at=now, created_by=client,
                        expires_at=rules.add_years(now, years), contacts=contacts,
                        nameservers=list(dict.fromkeys(servers)))
        tx.add_domain(domain)
        created = xml.element(DOMAIN, "creData")
        xml.child(created, DOMAIN, "name", name)
        xml.child(created, DOMAIN, "crDate", _stamp(now))
        xml.child(created, DOMAIN, "exDate", _stamp(domain.expires_at))
        return Result.OK, {"data": created}

    def _info_domain(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        name = (_t(element, DOMAIN, "name") or "").lower()
        domain, tld = self._domain(tx, name, now)
        auth_info = _auth(element, DOMAIN)
        if auth_info is not None and client != domain.sponsor and auth_info != domain.auth_info:
            raise Refused(Result.INVALID_AUTH_INFO, "the auth info is not the domain's")
        full = client == domain.sponsor or auth_info is not None
        info = xml.element(DOMAIN, "infData")
        xml.child(info, DOMAIN, "name", domain.name)
        xml.child(info, DOMAIN, "roid", domain.roid)
        for status in rules.statuses(domain, tld, now):
            xml.child(info, DOMAIN, "status", s=status)
        if full:
            xml.child(info, DOMAIN, "registrant", domain.registrant)
            for role, contact_id in domain.contacts:
                xml.child(info, DOMAIN, "contact", contact_id, type=role)
            if domain.nameservers:
                servers = xml.child(info, DOMAIN, "ns")
                for server in domain.nameservers:
                    xml.child(servers, DOMAIN, "hostObj", server)
            for host in self._subordinates(tx, domain.name):
                xml.child(info, DOMAIN, "host", host)
        xml.child(info, DOMAIN, "clID", domain.sponsor)
        if full:
            xml.child(info, DOMAIN, "crID", domain.created_by)
        xml.child(info, DOMAIN, "crDate", _stamp(domain.created_at))
        if full and domain.updated_at is not None:
            xml.child(info, DOMAIN, "upID", domain.updated_by)
            xml.child(info, DOMAIN, "upDate", _stamp(domain.updated_at))
        xml.child(info, DOMAIN, "exDate", _stamp(domain.expires_at))
        if full and domain.transferred_at is not None:
            xml.child(info, DOMAIN, "trDate", _stamp(domain.transferred_at))
        if full:
            xml.child(xml.child(info, DOMAIN, "authInfo"), DOMAIN, "pw", domain.auth_info)
        parts = {"data": info}
        grace = rules.grace_statuses(domain, tld, now)
        # RFC 3915 section 4: only to a client that named the extension at login
        if grace and RGP in self._extensions:
            parts["extension"] = self._rgp("infData", grace)
        return Result.OK, parts

    @staticmethod
    def _rgp(tag: str, statuses: list[str]) -> etree._Element:
        data = xml.element(RGP, tag)
        for status in statuses:
            xml.child(data, RGP, "rgpStatus", s=status)
        return data

    @staticmethod
    def _subordinates(tx: Transaction, name: str) -> list[str]:
        return tx.hosts_below(name)

    def _update_domain(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        name = (_t(element, DOMAIN, "name") or "").lower()
        domain, tld = self._sponsored(tx, client, name, now)
        restore = None
        if command.extension is not None:
            restore = command.extension.find(f"{_q(RGP, 'update')}/{_q(RGP, 'restore')}")
        if restore is not None:
            if restore.get("op") == "request":
                rules.request_restore(domain, tld, now)
            else:
                if restore.find(_q(RGP, "report")) is None:
                    raise Refused(Result.PARAMETER_MISSING, "a restore report carries its report")
                rules.report_restore(domain, tld, now)
            tx.save_domain(domain)
            return Result.OK, {"extension": self._rgp("upData", rules.grace_statuses(domain, tld, now) or ["ok"])
                               if domain.deleted_at is not None else None}
        add, remove, change = (element.find(_q(DOMAIN, tag)) for tag in ("add", "rem", "chg"))
        add_statuses = [s.get("s") for s in _all(add, DOMAIN, "status")]
        remove_statuses = [s.get("s") for s in _all(remove, DOMAIN, "status")]
        rules.check_updatable(domain, remove_statuses)
        domain.statuses = rules.change_statuses(domain.statuses, add_statuses, remove_statuses,
                                                rules.CLIENT_STATUSES)
        add_servers, remove_servers = self._host_objects(add), self._host_objects(remove)
        self._hosts_exist(tx, add_servers)
        servers = [s for s in domain.nameservers if s not in remove_servers]
        servers += [s for s in add_servers if s not in servers]
        if len(servers) > rules.MAX_NAMESERVERS:
            raise Refused(Result.POLICY_ERROR, f"at most {rules.MAX_NAMESERVERS} name servers")
        domain.nameservers = servers
        add_contacts = [(c.get("type"), (c.text or "").strip()) for c in _all(add, DOMAIN, "contact")]
        remove_contacts = [(c.get("type"), (c.text or "").strip()) for c in _all(remove, DOMAIN, "contact")]
        self._contacts_exist(tx, [c for _, c in add_contacts])
        contacts = [c for c in domain.contacts if c not in remove_contacts]
        domain.contacts = contacts + [c for c in add_contacts if c not in contacts]
        if change is not None:
            registrant = _t(change, DOMAIN, "registrant")
            if registrant:
                self._contacts_exist(tx, [registrant])
                if registrant != domain.registrant:
                    domain.registrant = registrant
                    domain.owner_changed_at = now
            auth_info = _auth(change, DOMAIN)
            if auth_info is not None:
                rules.check_auth_code(tld, auth_info)
                domain.auth_info = auth_info
        domain.updated_at, domain.updated_by = now, client
        tx.save_domain(domain)
        return Result.OK, {}

    def _renew_domain(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        name = (_t(element, DOMAIN, "name") or "").lower()
        domain, tld = self._sponsored(tx, client, name, now)
        rules.rehearsed_refusal(name)
        try:
            current = date.fromisoformat(_t(element, DOMAIN, "curExpDate") or "")
        except ValueError:
            raise Refused(Result.VALUE_SYNTAX_ERROR, "curExpDate is a date") from None
        period = element.find(_q(DOMAIN, "period"))
        years = rules.period_years(None if period is None else period.text, None if period is None else period.get("unit"))
        rules.renew(domain, tld, current, years, now)
        domain.updated_at, domain.updated_by = now, client
        tx.save_domain(domain)
        renewed = xml.element(DOMAIN, "renData")
        xml.child(renewed, DOMAIN, "name", domain.name)
        xml.child(renewed, DOMAIN, "exDate", _stamp(domain.expires_at))
        return Result.OK, {"data": renewed}

    def _transfer_data(self, name: str, transfer: dict, expires_at: str | None) -> etree._Element:
        data = xml.element(DOMAIN, "trnData")
        xml.child(data, DOMAIN, "name", name)
        xml.child(data, DOMAIN, "trStatus", transfer["status"])
        xml.child(data, DOMAIN, "reID", transfer["requested_by"])
        xml.child(data, DOMAIN, "reDate", _stamp(transfer["requested_at"]))
        xml.child(data, DOMAIN, "acID", transfer["act_by"])
        xml.child(data, DOMAIN, "acDate", _stamp(transfer["act_until"]))
        if expires_at:
            xml.child(data, DOMAIN, "exDate", _stamp(expires_at))
        return data

    def _transfer_domain(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        operation = command.operation
        name = (_t(element, DOMAIN, "name") or "").lower()
        domain, tld = self._domain(tx, name, now)
        auth_info = _auth(element, DOMAIN)
        code = Result.OK
        if operation == "request":
            rules.rehearsed_refusal(name)
            period = element.find(_q(DOMAIN, "period"))
            years = rules.period_years(None if period is None else period.text,
                                       None if period is None else period.get("unit"))
            notices = rules.request_transfer(domain, tld, client, auth_info, years, now, self.transfer_days)
            code = Result.PENDING
        elif operation == "query":
            rules.may_see_transfer(domain, client, auth_info)
            notices = []
        else:
            notices = rules.answer_transfer(domain, tld, client, operation, now)
        self._notify(tx, notices, now)
        tx.save_domain(domain)
        t = domain.transfer
        transfer = {"status": t.status, "requested_by": t.requested_by, "requested_at": t.requested_at,
                    "act_by": t.act_by, "act_until": t.act_until}
        return code, {"data": self._transfer_data(domain.name, transfer, domain.expires_at.isoformat())}

    def _delete_domain(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        name = (_t(command.element, DOMAIN, "name") or "").lower()
        domain, tld = self._sponsored(tx, client, name, now)
        if self._subordinates(tx, name):
            raise Refused(Result.ASSOCIATION_PROHIBITS, "hosts below the domain must be deleted first")
        if rules.delete(domain, tld, now):
            tx.remove_domain(name)
            return Result.OK, {}
        tx.save_domain(domain)
        return Result.PENDING, {}

    # --- contacts --------------------------------------------------------------------------------

    def _check_contact(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        result = xml.element(CONTACT, "chkData")
        for contact_id in _texts(command.element, CONTACT, "id"):
            used = tx.contact(contact_id) is not None
            item = xml.child(result, CONTACT, "cd")
            xml.child(item, CONTACT, "id", contact_id, avail="0" if used else "1")
            if used:
                xml.child(item, CONTACT, "reason", "In use")
        return Result.OK, {"data": result}

    @staticmethod
    def _postal(element: etree._Element) -> list[dict]:
        found = []
        for info in _all(element, CONTACT, "postalInfo"):
            address = info.find(_q(CONTACT, "addr"))
            cc = (_t(address, CONTACT, "cc") or "").upper()
            if len(cc) != 2 or not cc.isalpha():
                raise Refused(Result.VALUE_SYNTAX_ERROR, "cc is a two-letter country code")
            found.append({"type": info.get("type"), "name": _t(info, CONTACT, "name"),
                          "org": _t(info, CONTACT, "org"), "street": _texts(address, CONTACT, "street"),
                          "city": _t(address, CONTACT, "city"), "sp": _t(address, CONTACT, "sp"),
                          "pc": _t(address, CONTACT, "pc"), "cc": cc})
        return found

    def _create_contact(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        contact_id = _t(element, CONTACT, "id") or ""
        problem = rules.contact_id_problem(contact_id)
        if problem:
            raise Refused(Result.VALUE_SYNTAX_ERROR, problem)
        if tx.contact(contact_id) is not None:
            raise Refused(Result.OBJECT_EXISTS, f"contact {contact_id} exists")
        record = {"id": contact_id, "roid": f"C{uuid.uuid4().hex[:16].upper()}-SBX", "sponsor": client,
                  "postal": self._postal(element), "voice": _t(element, CONTACT, "voice"),
                  "fax": _t(element, CONTACT, "fax"), "email": _t(element, CONTACT, "email"),
                  "auth_info": _auth(element, CONTACT) or "", "statuses": [],
                  "created_at": _stamp(now), "created_by": client, "updated_at": None, "updated_by": None}
        tx.put_contact(record, new=True)
        created = xml.element(CONTACT, "creData")
        xml.child(created, CONTACT, "id", contact_id)
        xml.child(created, CONTACT, "crDate", _stamp(now))
        return Result.OK, {"data": created}

    def _contact(self, tx: Transaction, contact_id: str) -> dict:
        record = tx.contact(contact_id)
        if record is None:
            raise Refused(Result.OBJECT_MISSING, f"contact {contact_id} does not exist")
        return record

    def _info_contact(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        record = self._contact(tx, _t(command.element, CONTACT, "id") or "")
        auth_info = _auth(command.element, CONTACT)
        if auth_info is not None and client != record["sponsor"] and auth_info != record["auth_info"]:
            raise Refused(Result.INVALID_AUTH_INFO, "the auth info is not the contact's")
        full = client == record["sponsor"] or auth_info is not None
        info = xml.element(CONTACT, "infData")
        xml.child(info, CONTACT, "id", record["id"])
        xml.child(info, CONTACT, "roid", record["roid"])
        statuses = set(record["statuses"]) | ({"linked"} if tx.linked("contact", record["id"]) else set())
        for status in sorted(statuses) or ["ok"]:
            xml.child(info, CONTACT, "status", s=status)
        for postal in record["postal"]:
            form = xml.child(info, CONTACT, "postalInfo", type=postal["type"])
            xml.child(form, CONTACT, "name", postal["name"])
            if postal["org"]:
                xml.child(form, CONTACT, "org", postal["org"])
            address = xml.child(form, CONTACT, "addr")
            for street in postal["street"]:
                xml.child(address, CONTACT, "street", street)
            xml.child(address, CONTACT, "city", postal["city"])
            for key in ("sp", "pc"):
                if postal[key]:
                    xml.child(address, CONTACT, key, postal[key])
            xml.child(address, CONTACT, "cc", postal["cc"])
        for key in ("voice", "fax"):
            if record[key]:
                xml.child(info, CONTACT, key, record[key])
        xml.child(info, CONTACT, "email", record["email"])
        xml.child(info, CONTACT, "clID", record["sponsor"])
        xml.child(info, CONTACT, "crID", record["created_by"])
        xml.child(info, CONTACT, "crDate", record["created_at"] and _stamp(record["created_at"]))
        if record["updated_at"]:
            xml.child(info, CONTACT, "upID", record["updated_by"])
            xml.child(info, CONTACT, "upDate", _stamp(record["updated_at"]))
        if full:
            xml.child(xml.child(info, CONTACT, "authInfo"), CONTACT, "pw", record["auth_info"])
        return Result.OK, {"data": info}

    def _owned_contact(self, tx: Transaction, client: str, contact_id: str) -> dict:
        record = self._contact(tx, contact_id)
        if record["sponsor"] != client:
            raise Refused(Result.AUTHORIZATION_ERROR, f"contact {contact_id} belongs to another registrar")
        return record

    def _update_contact(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        record = self._owned_contact(tx, client, _t(element, CONTACT, "id") or "")
        add, remove, change = (element.find(_q(CONTACT, tag)) for tag in ("add", "rem", "chg"))
        removing = [s.get("s") for s in _all(remove, CONTACT, "status")]
        if {"clientUpdateProhibited", "serverUpdateProhibited"} & set(record["statuses"]) \
                and "clientUpdateProhibited" not in removing:
            raise Refused(Result.STATUS_PROHIBITS, "the contact may not be updated")
        record["statuses"] = sorted(rules.change_statuses(
            set(record["statuses"]), [s.get("s") for s in _all(add, CONTACT, "status")], removing,
            rules.CONTACT_CLIENT_STATUSES))
        if change is not None:
            postal = self._postal(change)
            if postal:
                by_type = {p["type"]: p for p in record["postal"]}
                by_type.update({p["type"]: p for p in postal})
                record["postal"] = list(by_type.values())
            for key in ("voice", "fax", "email"):
                if change.find(_q(CONTACT, key)) is not None:
                    record[key] = _t(change, CONTACT, key) or None
            auth_info = _auth(change, CONTACT)
            if auth_info is not None:
                record["auth_info"] = auth_info
        record["updated_at"], record["updated_by"] = _stamp(now), client
        tx.put_contact(record, new=False)
        return Result.OK, {}

    def _delete_contact(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        record = self._owned_contact(tx, client, _t(command.element, CONTACT, "id") or "")
        if tx.linked("contact", record["id"]):
            raise Refused(Result.ASSOCIATION_PROHIBITS, "the contact is used by a domain")
        if {"clientDeleteProhibited", "serverDeleteProhibited"} & set(record["statuses"]):
            raise Refused(Result.STATUS_PROHIBITS, "the contact may not be deleted")
        tx.remove_contact(record["id"])
        return Result.OK, {}

    # --- hosts -----------------------------------------------------------------------------------

    def _check_host(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        result = xml.element(HOST, "chkData")
        for name in _texts(command.element, HOST, "name"):
            name = name.lower()
            reason = rules.host_name_problem(name) or ("In use" if tx.host(name) is not None else None)
            item = xml.child(result, HOST, "cd")
            xml.child(item, HOST, "name", name, avail="0" if reason else "1")
            if reason:
                xml.child(item, HOST, "reason", reason)
        return Result.OK, {"data": result}

    @staticmethod
    def _addresses(element: etree._Element | None) -> list[list[str]]:
        found = []
        for address in _all(element, HOST, "addr"):
            value, version = (address.text or "").strip(), address.get("ip", "v4")
            problem = rules.address_problem(value, version)
            if problem:
                raise Refused(Result.VALUE_SYNTAX_ERROR, problem)
            found.append([value, version])
        return found

    def _glue_rule(self, tx: Transaction, client: str, name: str, addresses: list, now: datetime) -> None:
        """A host inside one of this registry's zones lies below a domain of the same registrar and
        has addresses (glue); a host outside has none here."""
        parent = rules.superordinate(name, self.catalog)
        if parent is None:
            if addresses:
                raise Refused(Result.POLICY_ERROR, "addresses are kept only for hosts in this registry's zones")
            return
        domain, _ = self._domain(tx, parent, now)
        if domain.sponsor != client:
            raise Refused(Result.AUTHORIZATION_ERROR, f"{parent} is sponsored by another registrar")
        if domain.deleted_at is not None:
            raise Refused(Result.STATUS_PROHIBITS, f"{parent} is being deleted")
        if not addresses:
            raise Refused(Result.PARAMETER_MISSING, f"a host in {parent} needs an address")

    def _create_host(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        name = (_t(element, HOST, "name") or "").lower()
        problem = rules.host_name_problem(name)
        if problem:
            raise Refused(Result.VALUE_SYNTAX_ERROR, problem)
        if tx.host(name) is not None:
            raise Refused(Result.OBJECT_EXISTS, f"host {name} exists")
        addresses = self._addresses(element)
        self._glue_rule(tx, client, name, addresses, now)
        record = {"name": name, "roid": f"H{uuid.uuid4().hex[:16].upper()}-SBX", "sponsor": client,
                  "addresses": addresses, "statuses": [], "created_at": _stamp(now), "created_by": client,
                  "updated_at": None, "updated_by": None}
        tx.put_host(record, new=True)
        created = xml.element(HOST, "creData")
        xml.child(created, HOST, "name", name)
        xml.child(created, HOST, "crDate", _stamp(now))
        return Result.OK, {"data": created}

    def _host(self, tx: Transaction, name: str) -> dict:
        record = tx.host(name.lower())
        if record is None:
            raise Refused(Result.OBJECT_MISSING, f"host {name} does not exist")
        return record

    def _info_host(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        record = self._host(tx, _t(command.element, HOST, "name") or "")
        info = xml.element(HOST, "infData")
        xml.child(info, HOST, "name", record["name"])
        xml.child(info, HOST, "roid", record["roid"])
        statuses = set(record["statuses"]) | ({"linked"} if tx.linked("host", record["name"]) else set())
        for status in sorted(statuses) or ["ok"]:
            xml.child(info, HOST, "status", s=status)
        for value, version in record["addresses"]:
            xml.child(info, HOST, "addr", value, ip=version)
        xml.child(info, HOST, "clID", record["sponsor"])
        xml.child(info, HOST, "crID", record["created_by"])
        xml.child(info, HOST, "crDate", _stamp(record["created_at"]))
        if record["updated_at"]:
            xml.child(info, HOST, "upID", record["updated_by"])
            xml.child(info, HOST, "upDate", _stamp(record["updated_at"]))
        return Result.OK, {"data": info}

    def _owned_host(self, tx: Transaction, client: str, name: str) -> dict:
        record = self._host(tx, name)
        if record["sponsor"] != client:
            raise Refused(Result.AUTHORIZATION_ERROR, f"host {name} belongs to another registrar")
        return record

    def _update_host(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        element = command.element
        record = self._owned_host(tx, client, _t(element, HOST, "name") or "")
        old_name = record["name"]
        add, remove, change = (element.find(_q(HOST, tag)) for tag in ("add", "rem", "chg"))
        removing = [s.get("s") for s in _all(remove, HOST, "status")]
        if {"clientUpdateProhibited", "serverUpdateProhibited"} & set(record["statuses"]) \
                and "clientUpdateProhibited" not in removing:
            raise Refused(Result.STATUS_PROHIBITS, "the host may not be updated")
        record["statuses"] = sorted(rules.change_statuses(
            set(record["statuses"]), [s.get("s") for s in _all(add, HOST, "status")], removing,
            rules.HOST_CLIENT_STATUSES))
        dropped = self._addresses(remove)
        addresses = [a for a in record["addresses"] if a not in dropped]
        addresses += [a for a in self._addresses(add) if a not in addresses]
        new_name = (_t(change, HOST, "name") or "").lower() or None
        if new_name and new_name != old_name:
            problem = rules.host_name_problem(new_name)
            if problem:
                raise Refused(Result.VALUE_SYNTAX_ERROR, problem)
            if tx.host(new_name) is not None:
                raise Refused(Result.OBJECT_EXISTS, f"host {new_name} exists")
            if tx.linked("host", old_name):
                raise Refused(Result.ASSOCIATION_PROHIBITS, "a host serving domains keeps its name here")
            record["name"] = new_name
        self._glue_rule(tx, client, record["name"], addresses, now)
        record["addresses"] = addresses
        record["updated_at"], record["updated_by"] = _stamp(now), client
        tx.put_host(record, new=False, old_name=old_name)
        return Result.OK, {}

    def _delete_host(self, tx: Transaction, client: str, command: xml.Command, now: datetime):
        record = self._owned_host(tx, client, _t(command.element, HOST, "name") or "")
        if tx.linked("host", record["name"]):
            raise Refused(Result.ASSOCIATION_PROHIBITS, "the host serves a domain")
        if {"clientDeleteProhibited", "serverDeleteProhibited"} & set(record["statuses"]):
            raise Refused(Result.STATUS_PROHIBITS, "the host may not be deleted")
        tx.remove_host(record["name"])
        return Result.OK, {}
