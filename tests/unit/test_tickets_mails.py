"""TI-01: support's answer to a ticket is mailed to the person who opened it, in their language,
with the ticket's own reply address as Reply-To."""
from __future__ import annotations

import asyncio
import socket

from aiosmtpd.controller import Controller

from services.notifications.adapters.smtp import SmtpMailer
from services.notifications.adapters.templates import Templates
from services.notifications.domain import mailing, people
from services.notifications.domain.events import TicketReplied, UserRegistered
from services.notifications.domain.mailing import Outgoing
from tests.unit.test_notifications_rules import ANNA, ORG, Mailer, send_round, uow

REPLY_TO = f"reply+{'ab' * 16}@support.example.test"


def replied(**changes) -> TicketReplied:
    values = dict(ticket_id="33333333-3333-3333-3333-333333333333", org_id=ORG, number="T-000042",
                  subject="Site <down>", department="technical", user_id=ANNA, reply_to=REPLY_TO,
                  body="We restarted the server.\nIt runs again.", attachments=0)
    return TicketReplied(**{**values, **changes})


def test_TI_01_an_answer_is_mailed_in_the_persons_language_with_the_tickets_reply_address():
    work, templates = uow(), Templates("https://portal.example.test")
    people.on_user_registered(UserRegistered(user_id=ANNA, email="anna@example.test", first_name="Anna", language="it"), work)
    mailing.handlers(templates)["TicketReplied"](replied(), work)
    [email] = work.emails.rows
    assert email.language == "it" and email.recipient == "anna@example.test" and email.reply_to == REPLY_TO
    assert email.subject == "[T-000042] Risposta: Site <down>" and "il supporto ha risposto" in email.text
    assert "It runs again." in email.text and "&lt;down&gt;" in email.html
    mailer = Mailer()
    assert send_round(work, mailer) == 1
    assert mailer.sent[0].reply_to == REPLY_TO


def test_TI_01_nobody_unknown_is_mailed():
    work = uow()
    mailing.handlers(Templates("https://portal.example.test"))["TicketReplied"](replied(), work)
    assert work.emails.rows == []


def test_TI_01_the_mail_carries_reply_to():
    received = []

    class Box:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content.decode())
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Box(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        SmtpMailer("127.0.0.1", port, "Portico <no-reply@portico.local>").send(
            Outgoing("anna@example.test", "[T-000042] Re: x", "text", "<p>html</p>", reply_to=REPLY_TO))
    finally:
        controller.stop()
    assert f"Reply-To: {REPLY_TO}" in received[0]
    assert asyncio  # the controller runs its own loop
