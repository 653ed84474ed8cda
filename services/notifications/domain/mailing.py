"""Every email, from the event that asks for it to the mail server that takes it.

The consumer renders and records the email (queued) in the same transaction as the event's inbox
row, so a redelivered event queues nothing twice. The scheduler process sends what is due: each
attempt is claimed atomically (several schedulers may run), a temporary failure (4xx, a refused or
broken connection) is retried with back-off, a permanent one (5xx) or too many failures mark the
email failed, shown in the history (ID-14). Nothing about a mail server reaches the event's handler:
no event is dead-lettered because of an address.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from datetime import timedelta
from typing import Callable, Protocol

from portico_kernel.clock import utcnow

from .catalogue import MAILS, PROVIDER_MAILS, Mail
from .model import FAILED, ORGANIZATION, PROVIDER, QUEUED, SENT, Email, SmtpServer, new_id

# After the first attempt fails, the next ones follow these waits; then the email has failed.
RETRY_WAITS = (timedelta(seconds=5), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
               timedelta(hours=2), timedelta(hours=6))
MAX_ATTEMPTS = len(RETRY_WAITS) + 1
# A claimed email is one scheduler's for this long: one that dies while sending leaves it to the
# others afterwards (the mail may then go out twice, never not at all).
CLAIM = timedelta(minutes=2)
ERROR_LENGTH = 300
IDLE_WAIT = 1.0  # seconds between looks at the table when nothing is due
MASK = "********"


class Renderer(Protocol):
    def render(self, kind: str, language: str, context: dict, time_zone: str | None) -> tuple[str, str, str]:
        """(subject, text, html) in `language`, English where a translation is missing."""


class SendFailed(Exception):
    """The mail server did not take the mail; `permanent` when it refused it for good (5xx)."""

    def __init__(self, reason: str, permanent: bool):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


@dataclass(frozen=True)
class Outgoing:
    """A rendered email on its way, and the server it goes through (None: the provider's)."""

    recipient: str
    subject: str
    text: str
    html: str
    server: SmtpServer | None = None
    password: str | None = None
    attachment: tuple[str, str] | None = None  # (file name, text)
    reply_to: str | None = None


def queue(uow, mail: Mail, renderer: Renderer, *, event_id: str | None = None) -> Email:
    """Renders the email as the history shows it (secrets masked) and queues it."""
    masked = {**mail.context, **{name: MASK for name in mail.secrets}}
    failure = None
    try:
        subject, text, html = renderer.render(mail.kind, mail.language, masked, mail.time_zone)
    except Exception as error:  # a template of ours that cannot say this: recorded, never dead-lettered
        subject, text, html = mail.kind, "", ""
        failure = f"cannot be rendered: {type(error).__name__}: {error}"[:ERROR_LENGTH]
    email = Email(id=new_id(), kind=mail.kind, recipient=mail.recipient, language=mail.language, subject=subject,
                  text=text, html=html, context={**mail.context, "time_zone": mail.time_zone}, user_id=mail.user_id,
                  org_id=mail.org_id, topic=mail.topic, secrets=dict(mail.secrets) or None, security=mail.security,
                  event_id=event_id, attachment_name=mail.attachment[0] if mail.attachment else None,
                  attachment=mail.attachment[1] if mail.attachment else None, reply_to=mail.reply_to)
    if failure is not None:
        email.status, email.last_error, email.next_attempt_at, email.secrets = FAILED, failure, None, None
        email.attachment = None
        email.finished_at = email.created_at
    uow.emails.add(email)
    return email


def handler(mapping: Callable[..., list[Mail]], renderer: Renderer):
    """The consumer's handler for an event of the catalogue: queues the mails it asks for."""
    def handle(record, uow) -> None:
        event_id = uow.received.id if uow.received is not None else None
        for mail in mapping(record, uow):
            queue(uow, mail, renderer, event_id=event_id)
    return handle


def handlers(renderer: Renderer, *, on_call: str | None = None) -> dict:
    """The catalogue's handlers; `on_call`: where emergencies are mailed (TI-03)."""
    provider = {event_type: partial(mapping, on_call=on_call) for event_type, mapping in PROVIDER_MAILS.items()}
    return {event_type: handler(mapping, renderer) for event_type, mapping in {**MAILS, **provider}.items()}


def claim_due(uow, limit: int = 20) -> list[str]:
    """Atomically takes up to `limit` due emails; each claim counts as an attempt, so a mail that
    crashes its sender is still bounded."""
    now = utcnow()
    claimed = uow.emails.claim_due(now, now + CLAIM, limit)
    uow.commit()
    return claimed


def outgoing(uow, email_id: str, renderer: Renderer, decrypt: Callable[[str], str]) -> Outgoing | None:
    """The claimed email as it is sent: rendered again with its secrets when it has any, through the
    organization's own server when it is the organization's mail and not a security mail (ID-15)."""
    email = uow.emails.get(email_id)
    if email is None or email.status != QUEUED:
        return None
    subject, text, html = email.subject, email.text, email.html
    if email.secrets:
        context = {k: v for k, v in email.context.items() if k != "time_zone"}
        subject, text, html = renderer.render(email.kind, email.language, {**context, **email.secrets},
                                              email.context.get("time_zone"))
    server = uow.smtp_servers.get(email.org_id) if email.org_id and not email.security else None
    email.via = ORGANIZATION if server is not None else PROVIDER
    password = decrypt(server.password_encrypted) if server is not None and server.password_encrypted else None
    uow.commit()
    attachment = (email.attachment_name, email.attachment) if email.attachment is not None else None
    return Outgoing(email.recipient, subject, text, html, server, password, attachment, email.reply_to)


def send_due(new_uow, mailer, renderer: Renderer, decrypt: Callable[[str], str]) -> int:
    """One round of the scheduler: claims what is due and sends it, each email on its own (no
    transaction is held while a mail server answers). Returns how many were claimed."""
    with new_uow() as uow:
        claimed = claim_due(uow)
    for email_id in claimed:
        failure = None
        try:
            with new_uow() as uow:
                message = outgoing(uow, email_id, renderer, decrypt)
            if message is None:
                continue
            mailer.send(message)
        except SendFailed as error:
            failure = error
        except Exception as error:  # a fault of ours is retried like a busy server, and visible
            failure = SendFailed(f"{type(error).__name__}: {error}", permanent=False)
        with new_uow() as uow:
            record_outcome(uow, email_id, failure)
    return len(claimed)


def record_outcome(uow, email_id: str, failure: SendFailed | None) -> None:
    email = uow.emails.get(email_id)
    if email is None:
        return
    now = utcnow()
    if failure is None:
        email.status, email.finished_at, email.next_attempt_at, email.last_error = SENT, now, None, None
    else:
        email.last_error = failure.reason[:ERROR_LENGTH]
        if failure.permanent or email.attempts >= MAX_ATTEMPTS:
            email.status, email.finished_at, email.next_attempt_at = FAILED, now, None
        else:
            email.next_attempt_at = now + RETRY_WAITS[email.attempts - 1]
    if email.status != QUEUED:
        email.secrets = None  # a link's secret is kept no longer than it takes to send it
        email.attachment = None  # nor a file's content (its name stays in the history)
    uow.commit()
