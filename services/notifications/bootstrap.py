"""Wires the notifications service together once per process: database, unit of work, the table of
event handlers (the catalogue's emails, the read models, account closure), templates, mail server
and the keys of stored secrets."""
from __future__ import annotations

from functools import lru_cache

from portico_kernel.access_model import on_member_access_changed
from portico_kernel import secrets
from portico_kernel.config import env
from portico_kernel.secrets import Keyring
from portico_kernel.service import Service

from .adapters.orm import metadata
from .adapters.smtp import SmtpMailer
from .adapters.templates import Templates
from .adapters.unit_of_work import NotificationsUnitOfWork
from .domain import events, mailing, people


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("notifications", metadata, uow_class=NotificationsUnitOfWork, events=events, handlers={
        **mailing.handlers(templates(), on_call=env("PORTICO_ONCALL_EMAIL", "oncall@portico.local")),
        "UserRegistered": people.on_user_registered,
        "LoginEmailChanged": people.on_login_email_changed,
        "PersonRenamed": people.on_person_renamed,
        "LanguageOrTimeZoneChanged": people.on_language_or_time_zone_changed,
        "MemberJoined": people.on_member_joined,
        "MemberLeft": people.on_member_left,
        "MemberRoleChanged": people.on_member_role_changed,
        "StaffAccountCreated": people.on_staff_account_created,
        "AlertChoicesChanged": people.on_alert_choices_changed,
        "ContactAdded": people.on_contact_added,
        "ContactRemoved": people.on_contact_removed,
        "MemberAccessChanged": on_member_access_changed,
        "OrganizationDeleted": people.on_organization_deleted,
        "AccountClosureRequested": people.on_account_closure_requested,
    })


@lru_cache(maxsize=1)
def templates() -> Templates:
    return Templates(public_url=env("PORTICO_PUBLIC_URL", "http://127.0.0.1:8080"))


@lru_cache(maxsize=1)
def mailer() -> SmtpMailer:
    return SmtpMailer.from_environment()


def keyring() -> Keyring:
    return secrets.keyring()
