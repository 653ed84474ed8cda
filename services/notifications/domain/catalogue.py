"""Which events become which emails: adding an email is a template (templates/<language>/<kind>.txt
and .html) and one entry in MAILS, from the event's record to the mails it asks for. Nothing else
changes: queueing, rendering, delivery, retries and the history are the same for every email.

Emails that still wait for their events (invitations OR-03, invoices BI-13, domain reminders DO-04,
ticket replies TI-01 …) are added here once those events exist: a mapping such as

    def invoice_issued(invoice: InvoiceIssued, uow) -> list[Mail]:
        return to_administrators(uow, invoice.org_id, "invoice", {"number": invoice.number, ...})

plus templates/<language>/invoice.txt and .html, the record in events.py and the `receive`
operation in the AsyncAPI document.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import people
from .events import EmailChangeRequested, SecurityAlertRaised


@dataclass(frozen=True)
class Mail:
    """One email an event asks for, before it is rendered."""

    kind: str  # the template's name
    recipient: str
    language: str
    context: dict  # what the template shows
    user_id: str | None = None
    org_id: str | None = None
    topic: str | None = None
    time_zone: str | None = None
    secrets: dict = field(default_factory=dict)  # shown in the mail sent, masked in the history
    security: bool = False  # a security mail always goes through the provider's server (ID-15)


def to_person(uow, user_id: str, kind: str, context: dict, *, org_id: str | None = None,
              topic: str | None = None) -> list[Mail]:
    """A mail to a person the service knows (from identity's events), in their language and zone."""
    person = uow.people.get(user_id)
    if person is None:
        return []
    return [Mail(kind, person.email, person.language, {"first_name": person.first_name, **context},
                 user_id=person.user_id, org_id=org_id, topic=topic, time_zone=person.time_zone)]


def to_administrators(uow, org_id: str, kind: str, context: dict, *, topic: str | None = None) -> list[Mail]:
    """A mail about an organization to each of its legal representatives and administrators (from
    orgs' events), each in their own language; it goes through the organization's own server when
    it has one (ID-15) and is in the organization's history (ID-14)."""
    return [mail for membership in uow.memberships.of_org(org_id) if membership.role in people.ADMINISTRATORS
            for mail in to_person(uow, membership.user_id, kind, context, org_id=org_id, topic=topic)]


def security_alert(alert: SecurityAlertRaised, uow) -> list[Mail]:
    """ID-02, ID-03, ID-04: identity decided the owner wants this alert; it goes to their login email."""
    people.heard_of(uow, alert.user_id, email=alert.email, language=alert.language,
                    first_name=alert.first_name, time_zone=alert.time_zone)
    context = {"alert": alert.alert, "occurred_at": alert.occurred_at, "details": dict(alert.details),
               "first_name": alert.first_name or ""}
    return [Mail("security-alert", alert.email, alert.language, context, user_id=alert.user_id, topic=alert.alert,
                 time_zone=alert.time_zone, security=True)]


def email_change(change: EmailChangeRequested, uow) -> list[Mail]:
    """ID-07: the link that verifies a new login email goes to the new address, never the old one."""
    people.heard_of(uow, change.user_id, language=change.language, first_name=change.first_name,
                    time_zone=change.time_zone)
    context = {"first_name": change.first_name, "expires_at": change.expires_at}
    return [Mail("email-change", change.new_email, change.language, context, user_id=change.user_id,
                 time_zone=change.time_zone, secrets={"token": change.token}, security=True)]


# Event type -> the mails it asks for. Every kind here has a template in every language.
MAILS: dict[str, Callable[..., list[Mail]]] = {
    "SecurityAlertRaised": security_alert,
    "EmailChangeRequested": email_change,
}
# Kinds queued by the service itself rather than by an event.
OWN_KINDS = ("smtp-test",)
KINDS = ("security-alert", "email-change", *OWN_KINDS)
