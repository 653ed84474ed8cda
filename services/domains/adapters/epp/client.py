"""An EPP client (RFC 5730-5734, RFC 3915) implementing the registry port over TLS.

One client is one registrar account at one registry, on one connection at a time: connect, read the
greeting, log in with the object and extension services both sides know, then commands, each with
its own client transaction id, and a logout at the end. Calls are serialized by a lock, since EPP
answers commands strictly in order on a connection.

A connection the registry closed (idle timeout, restart) is noticed before the next command and
replaced. If it breaks while a command is under way, a command that changes nothing (check, info,
transfer query, poll) is sent again on a new connection; for one that changes something the
outcome is unknown, so it raises `RegistryUnavailable` and the caller looks before trying again.
"""
from __future__ import annotations

import select
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from services.domains.domain.registry import (
    Availability, ContactChange, ContactCreated, ContactDetails, ContactInfo, DomainChange,
    DomainCreated, DomainInfo, DomainRegistration, DomainRenewed, HostAddress, HostChange, HostInfo,
    Outcome, PollMessage, RegistryRefused, RegistryUnavailable, RestoreReport, TransferStatus,
)

from . import codes, framing, xml
from .xml import CONTACT, DOMAIN, HOST


@dataclass(frozen=True)
class EppSettings:
    host: str
    client_id: str
    password: str = field(repr=False)
    port: int = 700
    # the registry's CA (or, for a sandbox, its self-signed certificate itself); None: the system's
    ca_file: str | None = None
    # most registries identify registrars by a client certificate as well as the password
    client_certificate: str | None = None
    client_key: str | None = None
    # False accepts any certificate: only for a local sandbox
    verify: bool = True
    server_hostname: str | None = None
    timeout: float = 30.0
    max_frame: int = framing.MAX_FRAME
    transaction_prefix: str = "portico"


def tls_context(settings: EppSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2   # RFC 5734 as updated by RFC 9325
    if not settings.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.client_certificate:
        context.load_cert_chain(settings.client_certificate, settings.client_key)
    return context


class EppClient:
    """The registry port over EPP. Use as a context manager or call `close()` to log out."""

    def __init__(self, settings: EppSettings, *, context: ssl.SSLContext | None = None):
        self.settings = settings
        self._context = context or tls_context(settings)
        self._lock = threading.Lock()
        self._socket: ssl.SSLSocket | None = None
        self.greeting: xml.Greeting | None = None

    # --- the session ----------------------------------------------------------------------------

    def __enter__(self) -> EppClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _transaction(self) -> str:
        return f"{self.settings.transaction_prefix[:30]}-{uuid.uuid4().hex}"

    def _drop(self) -> None:
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass
        self._socket = None

    def _stale(self) -> bool:
        # between commands a registry sends nothing: anything readable is its close (or garbage)
        sock = self._socket
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not readable and not sock.pending():
            return False
        # readable may be TLS housekeeping (a session ticket) rather than the registry's close
        sock.setblocking(False)
        try:
            sock.recv(1)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True
        finally:
            try:
                sock.settimeout(self.settings.timeout)
            except OSError:
                pass
        return True   # closed, or bytes nobody asked for: out of step either way

    def _round_trip(self, payload: bytes) -> bytes:
        framing.write_frame(self._socket, payload, self.settings.max_frame)
        return framing.read_frame(self._socket, self.settings.max_frame)

    def _open(self) -> None:
        settings = self.settings
        try:
            raw = socket.create_connection((settings.host, settings.port), timeout=settings.timeout)
        except OSError as error:
            raise RegistryUnavailable(f"cannot reach {settings.host}:{settings.port}: {error}") from None
        try:
            self._socket = self._context.wrap_socket(
                raw, server_hostname=settings.server_hostname or settings.host)
            greeting = xml.read_greeting(framing.read_frame(self._socket, settings.max_frame))
            if "1.0" not in greeting.versions:
                raise RegistryUnavailable(f"{greeting.server_id} does not offer EPP 1.0")
            answer = xml.read_response(self._round_trip(xml.login(
                settings.client_id, settings.password, cl_trid=self._transaction(),
                object_uris=[u for u in xml.OBJECT_URIS if u in greeting.object_uris],
                extension_uris=[u for u in xml.EXTENSION_URIS if u in greeting.extension_uris],
            )))
        except (OSError, EOFError, framing.FrameError, xml.XmlRefused) as error:
            self._drop()
            raw.close()
            raise RegistryUnavailable(f"no EPP session with {settings.host}: {error}") from None
        except BaseException:
            self._drop()
            raw.close()
            raise
        if not answer.succeeded:
            self._drop()
            raise RegistryRefused(answer.code, answer.message, answer.reason)
        self.greeting = greeting

    def _exchange(self, build: Callable[[str], bytes], *, changes_nothing: bool) -> xml.Response:
        with self._lock:
            for attempt in (1, 2):
                cl_trid = self._transaction()
                payload = build(cl_trid)   # a command we cannot build opens no connection
                if self._socket is not None and self._stale():
                    self._drop()
                fresh = self._socket is None
                if fresh:
                    self._open()
                try:
                    framing.write_frame(self._socket, payload, self.settings.max_frame)
                except OSError as error:
                    # sendall failed, so the registry cannot hold the whole frame: safe to resend
                    self._drop()
                    if attempt == 1 and not fresh:
                        continue
                    raise RegistryUnavailable(f"sending to the registry failed: {error}") from None
                try:
                    answer = xml.read_response(framing.read_frame(self._socket, self.settings.max_frame))
                except (OSError, EOFError, framing.FrameError, xml.XmlRefused) as error:
                    self._drop()
                    if attempt == 1 and not fresh and changes_nothing:
                        continue
                    raise RegistryUnavailable(f"no answer from the registry: {error}") from None
                if answer.client_transaction is not None and answer.client_transaction != cl_trid:
                    self._drop()
                    raise RegistryUnavailable("the registry answered another transaction")
                if answer.code in codes.CLOSING:
                    self._drop()
                return answer
        raise AssertionError("unreachable")

    def _ask(self, build: Callable[[str], bytes], *, changes_nothing: bool = False) -> xml.Response:
        answer = self._exchange(build, changes_nothing=changes_nothing)
        if not answer.succeeded:
            raise RegistryRefused(answer.code, answer.message, answer.reason)
        return answer

    def hello(self) -> xml.Greeting:
        """Keeps a session alive (RFC 5730 2.3); the answer is a fresh greeting."""
        with self._lock:
            if self._socket is None or self._stale():
                self._drop()
                self._open()
            try:
                return xml.read_greeting(self._round_trip(xml.hello()))
            except (OSError, EOFError, framing.FrameError, xml.XmlRefused) as error:
                self._drop()
                raise RegistryUnavailable(f"no greeting from the registry: {error}") from None

    def close(self) -> None:
        """Logs out (RFC 5730 2.9.1.2) and closes the connection."""
        with self._lock:
            if self._socket is None:
                return
            try:
                self._round_trip(xml.logout(cl_trid=self._transaction()))
            except (OSError, EOFError, framing.FrameError):
                pass
            finally:
                self._drop()

    @staticmethod
    def _outcome(answer: xml.Response) -> Outcome:
        return Outcome(answer.code, answer.message)

    # --- domains --------------------------------------------------------------------------------

    def check_domains(self, names: list[str]) -> list[Availability]:
        answer = self._ask(lambda t: xml.check(DOMAIN, names, cl_trid=t), changes_nothing=True)
        return xml.availability(answer, DOMAIN)

    def create_domain(self, registration: DomainRegistration) -> DomainCreated:
        return xml.domain_created(self._ask(lambda t: xml.domain_create(registration, cl_trid=t)))

    def domain_info(self, name: str, auth_info: str | None = None) -> DomainInfo:
        answer = self._ask(lambda t: xml.domain_info(name, cl_trid=t, auth_info=auth_info),
                           changes_nothing=True)
        return xml.domain_information(answer)

    def renew_domain(self, name: str, current_expiry: date, years: int) -> DomainRenewed:
        return xml.domain_renewed(self._ask(
            lambda t: xml.domain_renew(name, current_expiry, years, cl_trid=t)))

    def _transfer(self, operation: str, name: str, **options) -> TransferStatus:
        answer = self._ask(lambda t: xml.domain_transfer(operation, name, cl_trid=t, **options),
                           changes_nothing=operation == "query")
        return xml.transfer_status(answer)

    def request_transfer(self, name: str, auth_info: str, years: int | None = None) -> TransferStatus:
        return self._transfer("request", name, auth_info=auth_info, years=years)

    def query_transfer(self, name: str, auth_info: str | None = None) -> TransferStatus:
        return self._transfer("query", name, auth_info=auth_info)

    def approve_transfer(self, name: str) -> TransferStatus:
        return self._transfer("approve", name)

    def reject_transfer(self, name: str) -> TransferStatus:
        return self._transfer("reject", name)

    def cancel_transfer(self, name: str) -> TransferStatus:
        return self._transfer("cancel", name)

    def update_domain(self, name: str, change: DomainChange) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.domain_update(name, change, cl_trid=t)))

    def delete_domain(self, name: str) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.domain_delete(name, cl_trid=t)))

    def request_restore(self, name: str) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.restore_request(name, cl_trid=t)))

    def report_restore(self, name: str, report: RestoreReport) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.restore_report(name, report, cl_trid=t)))

    # --- contacts -------------------------------------------------------------------------------

    def check_contacts(self, contact_ids: list[str]) -> list[Availability]:
        answer = self._ask(lambda t: xml.check(CONTACT, contact_ids, cl_trid=t), changes_nothing=True)
        return xml.availability(answer, CONTACT)

    def create_contact(self, contact: ContactDetails) -> ContactCreated:
        contact_id, created_at = xml.contact_created(
            self._ask(lambda t: xml.contact_create(contact, cl_trid=t)))
        return ContactCreated(contact_id=contact_id, created_at=created_at)

    def contact_info(self, contact_id: str, auth_info: str | None = None) -> ContactInfo:
        answer = self._ask(lambda t: xml.contact_info(contact_id, cl_trid=t, auth_info=auth_info),
                           changes_nothing=True)
        return xml.contact_information(answer)

    def update_contact(self, contact_id: str, change: ContactChange) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.contact_update(contact_id, change, cl_trid=t)))

    def delete_contact(self, contact_id: str) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.delete(CONTACT, contact_id, cl_trid=t)))

    # --- hosts ----------------------------------------------------------------------------------

    def check_hosts(self, names: list[str]) -> list[Availability]:
        answer = self._ask(lambda t: xml.check(HOST, names, cl_trid=t), changes_nothing=True)
        return xml.availability(answer, HOST)

    def create_host(self, name: str, addresses: tuple[HostAddress, ...] = ()) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.host_create(name, addresses, cl_trid=t)))

    def host_info(self, name: str) -> HostInfo:
        return xml.host_information(self._ask(lambda t: xml.host_info(name, cl_trid=t),
                                              changes_nothing=True))

    def update_host(self, name: str, change: HostChange) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.host_update(name, change, cl_trid=t)))

    def delete_host(self, name: str) -> Outcome:
        return self._outcome(self._ask(lambda t: xml.delete(HOST, name, cl_trid=t)))

    # --- the message queue ----------------------------------------------------------------------

    def poll(self) -> PollMessage | None:
        # asking again returns the same message until it is acknowledged
        return xml.poll_message(self._ask(lambda t: xml.poll_request(cl_trid=t), changes_nothing=True))

    def acknowledge(self, message_id: str) -> int:
        answer = self._ask(lambda t: xml.poll_ack(message_id, cl_trid=t))
        return answer.queue.count if answer.queue is not None else 0
