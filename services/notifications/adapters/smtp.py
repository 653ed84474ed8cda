"""Outgoing email over SMTP: the provider's server (PORTICO_SMTP_*), or an organization's own."""
from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from portico_kernel.config import env

from ..domain.mailing import Outgoing, SendFailed


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False, user: str | None = None,
                 password: str | None = None, timeout: float = 10.0, tls_context: ssl.SSLContext | None = None):
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.user, self.password, self.timeout = starttls, user, password, timeout
        self.tls_context = tls_context

    @classmethod
    def from_environment(cls) -> "SmtpMailer":
        return cls(env("PORTICO_SMTP_HOST", "127.0.0.1"), int(env("PORTICO_SMTP_PORT", "8025")),
                   env("PORTICO_SMTP_SENDER", "Portico <no-reply@portico.local>"),
                   starttls=env("PORTICO_SMTP_STARTTLS", "false") == "true",
                   user=env("PORTICO_SMTP_USER"), password=env("PORTICO_SMTP_PASSWORD"))

    def send(self, mail: Outgoing) -> None:
        """Text and HTML parts. A failure raises SendFailed: permanent when the server refused for
        good (5xx); a refused or broken connection and 4xx answers are temporary."""
        server = mail.server
        if server is None:
            host, port, sender, starttls = self.host, self.port, self.sender, self.starttls
            user, password, context = self.user, self.password, self.tls_context
        else:
            host, port, starttls, user, password = server.host, server.port, server.starttls, server.username, mail.password
            display = parseaddr(self.sender)[0] or "Portico"
            sender, context = formataddr((display, server.sender)), None
            _refuse_inner_addresses(host, port)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, mail.recipient, mail.subject
        message["Message-ID"] = make_msgid(domain="portico.local")
        if mail.reply_to:
            message["Reply-To"] = mail.reply_to
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        if mail.attachment is not None:
            name, content = mail.attachment
            message.add_attachment(content.encode("utf-8"), maintype="text", subtype=name.rsplit(".", 1)[-1] or "plain",
                                   filename=name)
        try:
            with smtplib.SMTP(host, port, timeout=self.timeout) as smtp:
                if starttls:
                    smtp.starttls(context=context or self._context())
                if user:
                    _log_in(smtp, user, password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise SendFailed(_reply(code, reply), permanent=code >= 500) from error
        except smtplib.SMTPResponseException as error:
            raise SendFailed(_reply(error.smtp_code, error.smtp_error), permanent=error.smtp_code >= 500) from error
        except smtplib.SMTPNotSupportedError as error:  # e.g. an international address, and no SMTPUTF8
            raise SendFailed(f"not supported by the mail server: {error}", permanent=True) from error
        except (OSError, smtplib.SMTPException, ValueError) as error:
            raise SendFailed(f"{type(error).__name__}: {error}", permanent=False) from error

    @staticmethod
    def _context() -> ssl.SSLContext:
        """Certificates are checked against the system's authorities, or PORTICO_SMTP_CA_FILE's."""
        return ssl.create_default_context(cafile=env("PORTICO_SMTP_CA_FILE"))


def _refuse_inner_addresses(host: str, port: int) -> None:
    """An organization's server must be on the internet: its settings must not make our scheduler
    reach into the provider's own network (databases, brokers, metadata services) and report what
    answered. PORTICO_SMTP_ALLOW_PRIVATE_HOSTS=true lifts this (test systems on loopback)."""
    if env("PORTICO_SMTP_ALLOW_PRIVATE_HOSTS", "false") == "true":
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except OSError as error:
        raise SendFailed(f"cannot resolve {host}: {error}", permanent=False) from error
    for address in addresses:
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
            raise SendFailed(f"{host} is not a public address; the organization's mail server must be reachable "
                             "on the internet", permanent=True)


def _log_in(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """PLAIN when the server offers it (after STARTTLS), so a refused password is answered 535 once
    rather than by trying every other mechanism in turn; otherwise whatever smtplib chooses."""
    smtp.ehlo_or_helo_if_needed()
    if "PLAIN" in smtp.esmtp_features.get("auth", "").upper().split():
        smtp.user, smtp.password = user, password
        smtp.auth("PLAIN", smtp.auth_plain)
    else:
        smtp.login(user, password)


def _reply(code: int, reply) -> str:
    """The server's answer, as kept with the email (no credentials are ever in it)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}"
