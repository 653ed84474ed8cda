"""The tickets service's inbound mail: an SMTP server (aiosmtpd) that takes customers' email answers
to tickets (TI-01). A recipient must be a ticket's reply address (reply+<token>@TICKETS_REPLY_DOMAIN),
else it is refused at RCPT; the mail lands in the ticket's thread when its sender (From:, the same
as the envelope's sender) is a member of the ticket's organization, else it is dropped. Every
decision is logged with the ticket's number at most: never an address, a subject or a text.

    python -m services.tickets.entrypoints.inbound_mail    (port TICKETS_MAIL_PORT, default 8026)

In production it sits behind the provider's mail exchanger, which relays the reply domain to it.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import threading
from email import message_from_bytes, policy
from email.utils import getaddresses

from aiosmtpd.controller import Controller

from portico_kernel.service import configure_logging

from ..adapters.mail_settings import inbound_host, inbound_port, reply_domain
from ..bootstrap import bootstrap, sla_rules
from ..domain import ticket_course, tickets
from ..domain.inbound import InboundFile, new_text, token_of
from ..domain.read_models import email_key

log = logging.getLogger("tickets.inbound_mail")
MAX_MESSAGE_BYTES = 2 * 1024 * 1024


def _text_of(mail) -> str:
    part = mail.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, ValueError):
        return ""


def _files_of(mail) -> list[InboundFile]:
    found = []
    for part in mail.iter_attachments():
        try:
            content = part.get_payload(decode=True) or b""
        except Exception:
            continue
        found.append(InboundFile((part.get_filename() or "attachment")[:200], part.get_content_type(), content))
    return found


def deliver(token: str, envelope_sender: str, content: bytes) -> str:
    """Puts the mail into the ticket's thread if it may; answers what was decided (for the log)."""
    mail = message_from_bytes(content, policy=policy.default)
    senders = getaddresses(mail.get_all("From", []))
    if len(senders) != 1 or not senders[0][1] or email_key(senders[0][1]) != email_key(envelope_sender or ""):
        return "dropped: From: names not exactly the envelope's sender"
    with bootstrap().uow() as uow:
        ticket, why = tickets.reply_by_email(uow, token, email_key(senders[0][1]), new_text(_text_of(mail)),
                                             _files_of(mail))
        if ticket is None:
            return f"dropped: {why}"
        ticket_course.answered_by_email(uow, ticket, sla_rules())
        uow.commit()
        return f"accepted into {ticket.number}"


def ticket_exists(token: str) -> bool:
    with bootstrap().uow(reading=True) as uow:
        return uow.tickets.by_reply_token(token) is not None


class InboundHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        token = token_of(address, reply_domain())
        try:
            known = token is not None and not envelope.rcpt_tos and await asyncio.get_running_loop().run_in_executor(
                None, ticket_exists, token)
        except Exception as error:
            log.warning("inbound mail: recipient not checked now (%s)", type(error).__name__)
            return "451 4.3.0 Try again later"
        if not known:
            log.info("inbound mail: a recipient refused (not one ticket's reply address)")
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        token = token_of(envelope.rcpt_tos[0], reply_domain())
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(
                None, deliver, token, envelope.mail_from, envelope.original_content or envelope.content)
        except Exception as error:  # the database is away: the sender's server tries again
            log.warning("inbound mail: not taken now (%s)", type(error).__name__)
            return "451 4.3.0 Try again later"
        log.info("inbound mail: %s", outcome)
        return "250 Message accepted"


def main() -> None:
    configure_logging()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's own log names senders and recipients
    controller = Controller(InboundHandler(), hostname=inbound_host(), port=inbound_port(),
                            data_size_limit=MAX_MESSAGE_BYTES)
    controller.start()
    log.info("tickets inbound mail: listening on %s:%s for reply+…@%s", inbound_host(), inbound_port(), reply_domain())
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
