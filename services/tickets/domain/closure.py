"""ID-11: a person closes their account; tickets forgets them and confirms to identity.
The organization keeps its tickets (their history is the organization's), but no longer who opened
them or wrote in them: the person's id, name and email on the tickets and messages are replaced.

An organization deleted (OR-15) is gone for its members at once; its tickets are kept
`RETENTION_DAYS` (a dispute about a fee for a false emergency, BI-17, is settled in that time) and
then deleted with their messages and files by the scheduler (entrypoints/scheduler.py).
"""
from __future__ import annotations

from datetime import timedelta

from .events import AccountClosureRequested, OrganizationDeleted, PersonalDataErased

# Stands in for a person who closed their account.
FORGOTTEN_PERSON = "00000000-0000-0000-0000-000000000000"
RETENTION_DAYS = 90


def on_account_closure_requested(closing: AccountClosureRequested, uow) -> None:
    user_id = closing.user_id
    for ticket in uow.tickets.opened_by(user_id):
        ticket.opened_by = FORGOTTEN_PERSON
    email = uow.people.forget(user_id)
    written = uow.messages.written_by(user_id) + (uow.messages.written_from(email) if email else [])
    for message in written:
        message.author_id = FORGOTTEN_PERSON
        message.author_name = None
        message.author_email = None
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=user_id, service="tickets"))


def on_organization_deleted(deleted: OrganizationDeleted, uow) -> None:
    at = uow.received.occurred_at if uow.received is not None else uow.clock.now()
    uow.deleted_organizations.add(deleted.org_id, at, at + timedelta(days=RETENTION_DAYS))
    uow.sensitive_data.erase_of_org(deleted.org_id, at)  # TI-02: credentials go at once, not after retention


def purge_deleted_organizations(uow) -> int:
    """Deletes the tickets of organizations deleted more than RETENTION_DAYS ago; answers how many."""
    purged = 0
    for org_id in uow.deleted_organizations.due(uow.clock.now()):
        purged += uow.tickets.delete_of_org(org_id)
        uow.sensitive_data.delete_of_org(org_id)
        uow.service_levels.delete_of_org(org_id)
        uow.deleted_organizations.done(org_id)
    return purged
