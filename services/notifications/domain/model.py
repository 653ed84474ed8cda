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
