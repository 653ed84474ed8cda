"""The notifications service's repositories: its queries, over the tables of adapters/orm.py."""
from __future__ import annotations


from sqlalchemy import delete, func, select, update

from portico_kernel.db import fetch_page, in_period
from portico_kernel.paging import EVER, Page, PageRequest, Period

from ..domain.model import QUEUED, AlertChoices, Contact, Email, InvoicePreferences, Membership, Person, SmtpServer
from . import orm  # noqa: F401 - maps the domain's classes to their tables


class Emails:
    def __init__(self, session):
        self.session = session

    def add(self, email: Email) -> None:
        self.session.add(email)

    def get(self, email_id: str) -> Email | None:
        return self.session.get(Email, email_id)

    def find(self, page: PageRequest, *, user_id: str | None = None, org_id: str | None = None,
             kind: str | None = None, period: Period = EVER) -> Page[Email]:
        """Newest first."""
        query = select(Email)
        if user_id is not None:
            query = query.where(Email.user_id == user_id)
        if org_id is not None:
            query = query.where(Email.org_id == org_id)
        if kind is not None:
            query = query.where(Email.kind == kind)
        return fetch_page(self.session, in_period(query, Email.created_at, period), (Email.created_at, Email.id), page,
                          descending=True)

    def claim_due(self, now, claimed_until, limit: int) -> list[str]:
        """Ids of due queued emails, pushed to `claimed_until` and counted as an attempt. The rows
        are locked and others' locked rows skipped (PostgreSQL), and each update is conditional on
        the row still being due, so two schedulers never claim the same one."""
        due = (Email.status == QUEUED) & (Email.next_attempt_at <= now)
        query = select(Email.id).where(due).order_by(Email.next_attempt_at).limit(limit)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for email_id in self.session.scalars(query).all():
            result = self.session.execute(
                update(Email).where(Email.id == email_id, due)
                .values(next_attempt_at=claimed_until, attempts=Email.attempts + 1)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                claimed.append(email_id)
        return claimed

    def erase_person(self, user_id: str) -> None:
        self.session.execute(delete(Email).where(Email.user_id == user_id))


class People:
    def __init__(self, session):
        self.session = session

    def add(self, person: Person) -> None:
        self.session.add(person)

    def get(self, user_id: str) -> Person | None:
        return self.session.get(Person, user_id)

    def by_email(self, email: str) -> Person | None:
        """The person whose login email this is, in any letter case."""
        return self.session.scalars(select(Person).where(func.lower(Person.email) == email.lower()).limit(1)).first()

    def erase(self, user_id: str) -> None:
        self.session.execute(delete(Person).where(Person.user_id == user_id))


class Memberships:
    def __init__(self, session):
        self.session = session

    def add(self, membership: Membership) -> None:
        self.session.add(membership)

    def get(self, org_id: str, user_id: str) -> Membership | None:
        return self.session.get(Membership, (org_id, user_id))

    def of_org(self, org_id: str) -> list[Membership]:
        return list(self.session.scalars(select(Membership).where(Membership.org_id == org_id)))

    def remove(self, org_id: str, user_id: str) -> None:
        self.session.execute(delete(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id))

    def erase_person(self, user_id: str) -> None:
        self.session.execute(delete(Membership).where(Membership.user_id == user_id))

    def erase_org(self, org_id: str) -> None:
        self.session.execute(delete(Membership).where(Membership.org_id == org_id))


class SmtpServers:
    def __init__(self, session):
        self.session = session

    def add(self, server: SmtpServer) -> None:
        self.session.add(server)

    def get(self, org_id: str | None) -> SmtpServer | None:
        return self.session.get(SmtpServer, org_id) if org_id else None

    def remove(self, server: SmtpServer) -> None:
        self.session.delete(server)

    def erase_org(self, org_id: str) -> None:
        self.session.execute(delete(SmtpServer).where(SmtpServer.org_id == org_id))

    def with_password(self) -> list[SmtpServer]:
        return list(self.session.scalars(select(SmtpServer).where(SmtpServer.password_encrypted.is_not(None))
                                         .with_for_update()))


class AlertChoicesRepository:
    def __init__(self, session):
        self.session = session

    def add(self, choices: AlertChoices) -> None:
        self.session.add(choices)

    def get(self, user_id: str) -> AlertChoices | None:
        return self.session.get(AlertChoices, user_id)

    def erase(self, user_id: str) -> None:
        self.session.execute(delete(AlertChoices).where(AlertChoices.user_id == user_id))


class Contacts:
    def __init__(self, session):
        self.session = session

    def add(self, contact: Contact) -> None:
        self.session.add(contact)

    def get(self, contact_id: str) -> Contact | None:
        return self.session.get(Contact, contact_id)

    def of_org(self, org_id: str, purposes: list[str] | None = None) -> list[Contact]:
        query = select(Contact).where(Contact.org_id == org_id)
        if purposes is not None:
            query = query.where(Contact.purpose.in_(purposes))
        return list(self.session.scalars(query.order_by(Contact.purpose, Contact.email)))

    def remove(self, contact_id: str) -> None:
        self.session.execute(delete(Contact).where(Contact.id == contact_id))

    def erase_org(self, org_id: str) -> None:
        self.session.execute(delete(Contact).where(Contact.org_id == org_id))


class InvoicePreferencesRepository:
    def __init__(self, session):
        self.session = session

    def add(self, preferences: InvoicePreferences) -> None:
        self.session.add(preferences)

    def get(self, org_id: str) -> InvoicePreferences | None:
        return self.session.get(InvoicePreferences, org_id)

    def erase_org(self, org_id: str) -> None:
        self.session.execute(delete(InvoicePreferences).where(InvoicePreferences.org_id == org_id))
