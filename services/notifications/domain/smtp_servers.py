"""ID-15: an organization's customer-facing emails can go through its own SMTP server (address,
host, port 587 by default, STARTTLS yes/no, user, password); the provider's server is the default,
and security emails always go through the provider's. Its legal representatives and
administrators set it; the password is kept encrypted and never shown again."""
from __future__ import annotations

import re
from typing import Callable

from email_validator import EmailNotValidError, validate_email

from portico_kernel.clock import utcnow
from portico_kernel.errors import Conflict, NotFound, invalid_field
from portico_kernel.principal import Principal

from .catalogue import Mail
from .history import administered_org
from .mailing import Renderer, queue
from .model import Email, SmtpServer

# A host name (RFC 1123 labels) or an IPv4 address; nothing that could carry another command.
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_PRINTABLE = re.compile(r"^[\x21-\x7e\u00a0-\uffff]+$")  # user names: no spaces, no control characters


def server_of(uow, caller: Principal) -> SmtpServer:
    server = uow.smtp_servers.get(administered_org(uow, caller))
    if server is None:
        raise NotFound("The organization sends through the provider's mail server.", problem="no-smtp-server")
    return server


def set_server(uow, caller: Principal, body: dict, encrypt: Callable[[str], str]) -> SmtpServer:
    org_id = administered_org(uow, caller)
    try:
        sender = validate_email(body["sender"], check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as error:
        raise invalid_field("sender", str(error)[:200]) from error
    host = body["host"].strip().rstrip(".")
    if not _HOST.match(host):
        raise invalid_field("host", "a host name or an IPv4 address")
    port = int(body.get("port", 587))
    username = body.get("username") or None
    if username is not None and not _PRINTABLE.match(username):
        raise invalid_field("username", "no spaces or control characters")
    server = uow.smtp_servers.get(org_id)
    if server is None:
        server = SmtpServer(org_id=org_id, sender=sender, host=host)
        uow.smtp_servers.add(server)
    server.sender, server.host, server.port = sender, host, port
    server.starttls, server.username = bool(body.get("starttls", True)), username
    if "password" in body:  # left out: the password stays as it was
        password = body["password"]
        if password is not None and ("\r" in password or "\n" in password or "\x00" in password):
            raise invalid_field("password", "no line breaks or NUL")
        server.password_encrypted = encrypt(password) if password else None
    server.updated_at = utcnow()
    uow.commit()
    return server


def rotate_passwords(uow, rotate: Callable[[str], str]) -> int:
    """Every stored password re-encrypted with the newest key (an operator's command)."""
    count = 0
    for server in uow.smtp_servers.with_password():
        server.password_encrypted = rotate(server.password_encrypted)
        count += 1
    uow.commit()
    return count


def remove_server(uow, caller: Principal) -> None:
    server = server_of(uow, caller)
    uow.smtp_servers.remove(server)
    uow.commit()


def send_test(uow, caller: Principal, renderer: Renderer) -> Email:
    """'Send a test email': to the caller, through the organization's server, by the scheduler; its
    outcome (sent, or the server's refusal) is in the organization's email history."""
    server = server_of(uow, caller)
    person = uow.people.get(caller.user_id)
    if person is None:
        raise Conflict("Your email address is not known here yet; try again in a moment.", problem="person-not-known-yet")
    context = {"first_name": person.first_name, "host": server.host, "port": server.port,
               "sender": server.sender}
    email = queue(uow, Mail("smtp-test", person.email, person.language, context, user_id=person.user_id,
                            org_id=server.org_id, time_zone=person.time_zone), renderer)
    uow.commit()
    return email
