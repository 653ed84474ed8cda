"""What the notifications service keeps: every email (its history, ID-14, and its delivery), what
it knows of people and organizations from events, and organizations' own SMTP servers (ID-15)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import utcnow

LANGUAGES = ("de", "en", "fr", "it")
DEFAULT_LANGUAGE = "en"
QUEUED, SENT, FAILED = "queued", "sent", "failed"
PROVIDER, ORGANIZATION = "provider", "organization"  # whose mail server sends an email


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(eq=False)
class Email:
    """One email to one recipient: what it said (as rendered for the history, secrets masked), and
    its delivery (queued, sent or failed; attempts and the mail server's last refusal)."""

    id: str
    kind: str  # the template: security-alert, email-change, smtp-test …
    recipient: str
    language: str
    subject: str
    text: str
    html: str
    context: dict  # what the template was rendered from
    user_id: str | None = None  # the person it is for, when it is for a person
    org_id: str | None = None  # the organization it is about, when it is about one
    topic: str | None = None  # e.g. which security alert
    secrets: dict | None = None  # only until it is sent (e.g. a link's secret); never in the history
    attachment_name: str | None = None  # a file sent with it (e.g. invoices as CSV, BI-13): its name stays
    attachment: str | None = None  # its content, only until it is sent
    reply_to: str | None = None  # where an answer goes (a ticket's own address, TI-01)
    security: bool = False  # security mails always go through the provider's server
    via: str = PROVIDER
    event_id: str | None = None
    status: str = QUEUED
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = field(default_factory=utcnow)
    created_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None


@dataclass(eq=False)
class Person:
    """Who receives what: the person's email, name, language and time zone, from identity's events."""

    user_id: str
    email: str
    first_name: str = ""
    language: str = DEFAULT_LANGUAGE
    time_zone: str | None = None


@dataclass(eq=False)
class Membership:
    org_id: str
    user_id: str
    role: str


@dataclass(eq=False)
class SmtpServer:
    """An organization's own mail server (ID-15). The password is kept encrypted only."""

    org_id: str
    sender: str  # the From: address
    host: str
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password_encrypted: str | None = None
    updated_at: datetime = field(default_factory=utcnow)


# ID-04: the security alerts a person may switch off; every other alert (a changed password, login
# email, second factor, recovery contact, a new app password or recovery codes) always goes out: it
# is how the owner learns that someone else may have taken the account.
OPTIONAL_ALERTS = ("new-sign-in-location", "wrong-password")


@dataclass(eq=False)
class AlertChoices:
    """ID-04: which optional security alerts the person wants emailed, as identity last announced."""

    user_id: str
    new_sign_in_location: bool = True
    wrong_password: bool = True
    changed_at: datetime = field(default_factory=utcnow)

    def wants(self, alert: str) -> bool:
        if alert == "new-sign-in-location":
            return self.new_sign_in_location
        if alert == "wrong-password":
            return self.wrong_password
        return True


@dataclass(eq=False)
class Contact:
    """OR-17: a named contact of an organization (from orgs' events), addressed by its purpose."""

    id: str
    org_id: str
    purpose: str  # support, billing, technical, security, data_protection, general
    name: str
    email: str


INVOICE_ISSUED, INVOICE_PAID = "issued", "paid"
INVOICE_KINDS = (INVOICE_ISSUED, INVOICE_PAID)


@dataclass(eq=False)
class InvoicePreferences:
    """BI-16: who of an organization receives its invoice mails, and which. Without a choice the
    legal representatives receive both kinds."""

    org_id: str
    kinds: list = field(default_factory=lambda: list(INVOICE_KINDS))
    legal_representatives: bool = True
    administrators: bool = False
    accounting: bool = False  # members who hold the accounting right on billing (BI-15)
    members: list = field(default_factory=list)  # user ids of members named to receive them
    contacts: list = field(default_factory=list)  # purposes of the organization's contacts (OR-17)
    extra_addresses: list = field(default_factory=list)
    language: str | None = None  # for addresses without an account; else the legal representative's
    updated_at: datetime = field(default_factory=utcnow)
