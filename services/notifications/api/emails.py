"""`/v1/notifications/emails`, `/org-emails`, `/people/{user_id}/emails`: the email history (ID-14)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.web import page_asked, paged, period_asked, principal

from ..bootstrap import bootstrap
from ..domain import history
from ..domain.model import Email


def _iso(value):
    return iso_utc(value) if value is not None else None


def summary(email: Email) -> dict:
    view = {"id": email.id, "kind": email.kind, "subject": email.subject, "recipient": email.recipient,
            "language": email.language, "status": email.status, "attempts": email.attempts,
            "last_error": email.last_error, "next_attempt_at": _iso(email.next_attempt_at),
            "created_at": iso_utc(email.created_at), "finished_at": _iso(email.finished_at),
            "org_id": email.org_id, "via": email.via}
    if email.topic is not None and email.kind == "security-alert":
        view["alert"] = email.topic
    return view


def _filters(kind, since, until) -> history.Filters:
    return history.filters(kind, period_asked(since, until))


def list_own_emails(kind=None, since=None, until=None, limit=None, cursor=None):
    wanted = _filters(kind, since, until)
    with bootstrap().uow(reading=True) as uow:
        return paged(history.own_emails(uow, principal(), wanted, page_asked(limit, cursor)), summary)


def list_org_emails(kind=None, since=None, until=None, limit=None, cursor=None):
    wanted = _filters(kind, since, until)
    with bootstrap().uow(reading=True) as uow:
        return paged(history.org_emails(uow, principal(), wanted, page_asked(limit, cursor)), summary)


def list_person_emails(user_id: str, kind=None, since=None, until=None, limit=None, cursor=None):
    wanted = _filters(kind, since, until)
    with bootstrap().uow(reading=True) as uow:
        return paged(history.emails_of_person(uow, principal(), user_id, wanted, page_asked(limit, cursor)), summary)


def get_email(email_id: str):
    with bootstrap().uow(reading=True) as uow:
        email = history.email(uow, principal(), email_id)
        return {**summary(email), "text": email.text, "html": email.html}
