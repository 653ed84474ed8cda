"""The tickets service's repositories: its queries, over the tables of adapters/orm.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, false, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from portico_kernel.db import fetch_page, in_period, upsert
from portico_kernel.paging import Page, PageRequest

from ..domain.filters import TicketFilter
from ..domain.model import Attachment, Message, Ticket
from ..domain.emergencies import Emergency
from ..domain.sensitive_data import Hidden, Reading, SensitiveData
from ..domain.sla_tracking import TicketServiceLevel
from ..domain.support_codes import SupportCode, SupportCodeLookup
from . import orm
from .sealing import open_sealed, seal


class Tickets:
    def __init__(self, session):
        self.session = session

    def add(self, ticket: Ticket) -> None:
        self.session.add(ticket)

    def get(self, ticket_id: str) -> Ticket | None:
        return self.session.get(Ticket, ticket_id)

    def get_for_update(self, ticket_id: str) -> Ticket | None:
        return self.session.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).first()

    def by_reply_token(self, token: str) -> Ticket | None:
        return self.session.scalars(select(Ticket).where(Ticket.reply_token == token)).first()

    def get_for_update_by_token(self, token: str) -> Ticket | None:
        return self.session.scalars(select(Ticket).where(Ticket.reply_token == token).with_for_update()).first()

    def next_number(self) -> int:
        """The next ticket number of the provider's one series; the row lock orders parallel openings."""
        counters = orm.ticket_counters
        self.session.execute(upsert(self.session, counters).values(series="T", value=0)
                             .on_conflict_do_nothing(index_elements=["series"]))
        return self.session.execute(update(counters).where(counters.c.series == "T")
                                    .values(value=counters.c.value + 1).returning(counters.c.value)).scalar_one()

    def find(self, wanted: TicketFilter, page: PageRequest) -> Page[Ticket]:
        """Newest first, narrowed by `wanted` (organization, departments, products, state, …)."""
        query = select(Ticket)
        if wanted.org_id is not None:
            query = query.where(Ticket.org_id == wanted.org_id)
        if wanted.departments is not None:
            query = query.where(Ticket.department.in_(wanted.departments) if wanted.departments else false())
        for name in ("state", "department", "priority", "assignee"):
            value = getattr(wanted, name)
            if value is not None:
                query = query.where(getattr(Ticket, name) == value)
        if wanted.product_id is not None:
            query = query.where(Ticket.product_id == wanted.product_id)
        if wanted.products is not None:  # a member who reaches only some products
            reach = [Ticket.product_id.is_not(None) if wanted.products.everything else false()]
            if wanted.products.general:
                reach.append(Ticket.product_id.is_(None))
            if wanted.products.opener is not None:
                reach.append(Ticket.opened_by == wanted.products.opener)
            if wanted.products.types:
                reach.append(Ticket.product_type.in_(wanted.products.types))
            if wanted.products.items:
                reach.append(tuple_(Ticket.product_type, Ticket.product_id).in_(list(wanted.products.items)))
            query = query.where(or_(*reach))
        query = in_period(query, Ticket.created_at, wanted.period)
        return fetch_page(self.session, query, (Ticket.created_at, Ticket.id), page, descending=True)

    def opened_by(self, user_id: str) -> list[Ticket]:
        return list(self.session.scalars(select(Ticket).where(Ticket.opened_by == user_id)))

    def of_org(self, org_id: str) -> list[Ticket]:
        return list(self.session.scalars(select(Ticket).where(Ticket.org_id == org_id)))

    def delete_of_org(self, org_id: str) -> int:
        """Deletes the organization's tickets with their messages and files; answers how many."""
        self.session.execute(delete(orm.ticket_attachments).where(orm.ticket_attachments.c.org_id == org_id))
        self.session.execute(delete(orm.ticket_messages).where(orm.ticket_messages.c.org_id == org_id))
        return self.session.execute(delete(orm.tickets).where(orm.tickets.c.org_id == org_id)).rowcount


class Messages:
    def __init__(self, session):
        self.session = session

    def add(self, message: Message) -> None:
        self.session.add(message)

    def of_ticket(self, ticket_id: str, *, public_only: bool) -> list[Message]:
        query = select(Message).where(Message.ticket_id == ticket_id)
        if public_only:
            query = query.where(Message.visibility == "public")
        return list(self.session.scalars(query.order_by(Message.created_at, Message.id)))

    def page_of(self, ticket_id: str, page: PageRequest, *, public_only: bool) -> Page[Message]:
        query = select(Message).where(Message.ticket_id == ticket_id)
        if public_only:
            query = query.where(Message.visibility == "public")
        return fetch_page(self.session, query, (Message.created_at, Message.id), page)

    def visibility_of(self, message_id: str) -> str | None:
        return self.session.execute(select(Message.visibility).where(Message.id == message_id)).scalar()

    def written_by(self, user_id: str) -> list[Message]:
        return list(self.session.scalars(select(Message).where(Message.author_id == user_id)))

    def written_from(self, email_key: str) -> list[Message]:
        return list(self.session.scalars(select(Message).where(Message.author_email == email_key)))


class Attachments:
    def __init__(self, session):
        self.session = session

    def add(self, attachment: Attachment) -> None:
        self.session.add(attachment)

    def of_messages(self, message_ids: list[str]) -> list[Attachment]:
        if not message_ids:
            return []
        return list(self.session.scalars(select(Attachment).where(Attachment.message_id.in_(message_ids))
                                          .order_by(Attachment.created_at, Attachment.id)))

    def get(self, attachment_id: str) -> Attachment | None:
        return self.session.get(Attachment, attachment_id)


class Products:
    """The organizations' products, as the services that provision them announce them."""

    def __init__(self, session):
        self.session = session

    def add(self, org_id: str, product_type: str, product_id: str) -> None:
        self.session.execute(upsert(self.session, orm.products).values(
            org_id=org_id, product_type=product_type, product_id=product_id).on_conflict_do_nothing())

    def remove(self, org_id: str, product_type: str, product_id: str) -> None:
        t = orm.products
        self.session.execute(delete(t).where(t.c.org_id == org_id, t.c.product_type == product_type,
                                             t.c.product_id == product_id))

    def has_type(self, org_id: str, product_type: str) -> bool:
        """BI-18: whether the organization has a product of this type (premium support)."""
        t = orm.products
        return self.session.execute(select(t.c.product_id).where(
            t.c.org_id == org_id, t.c.product_type == product_type).limit(1)).first() is not None

    def type_of(self, org_id: str, product_id: str) -> str | None:
        t = orm.products
        return self.session.execute(select(t.c.product_type).where(
            t.c.org_id == org_id, t.c.product_id == product_id)).scalars().first()


class People:
    """Who people are and where they belong (identity's and orgs' events): the names on messages,
    and whose email is accepted into a ticket's thread."""

    def __init__(self, session):
        self.session = session

    def put(self, user_id: str, email_key: str | None = None, name: str | None = None) -> None:
        t = orm.people
        values = {k: v for k, v in {"email_key": email_key, "name": name}.items() if v is not None}
        if not values:
            return
        found = self.session.execute(select(t.c.user_id).where(t.c.user_id == user_id)).first()
        if found:
            self.session.execute(update(t).where(t.c.user_id == user_id).values(**values))
        else:
            self.session.execute(upsert(self.session, t).values(
                user_id=user_id, email_key=values.get("email_key", ""), name=values.get("name", ""))
                .on_conflict_do_nothing())

    def forget(self, user_id: str) -> str | None:
        """Forgets the person; answers the email they had."""
        t = orm.people
        email = self.session.execute(select(t.c.email_key).where(t.c.user_id == user_id)).scalar()
        self.session.execute(delete(t).where(t.c.user_id == user_id))
        self.session.execute(delete(orm.memberships).where(orm.memberships.c.user_id == user_id))
        return email

    def name_of(self, user_id: str) -> str | None:
        t = orm.people
        return self.session.execute(select(t.c.name).where(t.c.user_id == user_id)).scalar() or None

    def member_by_email(self, org_id: str, email_key: str) -> str | None:
        """The user id of the organization's member with this email, if there is one."""
        p, m = orm.people, orm.memberships
        return self.session.execute(select(p.c.user_id).join(m, m.c.user_id == p.c.user_id).where(
            p.c.email_key == email_key, m.c.org_id == org_id)).scalars().first()

    def join(self, org_id: str, user_id: str) -> None:
        self.session.execute(upsert(self.session, orm.memberships).values(org_id=org_id, user_id=user_id)
                             .on_conflict_do_nothing())

    def leave(self, org_id: str, user_id: str) -> None:
        m = orm.memberships
        self.session.execute(delete(m).where(m.c.org_id == org_id, m.c.user_id == user_id))


class DeletedOrganizations:
    def __init__(self, session):
        self.session = session

    def add(self, org_id: str, deleted_at: datetime, purge_after: datetime) -> None:
        self.session.execute(upsert(self.session, orm.deleted_organizations).values(
            org_id=org_id, deleted_at=deleted_at, purge_after=purge_after).on_conflict_do_nothing())

    def due(self, now: datetime, limit: int = 20) -> list[str]:
        """Organizations whose tickets are due for deletion, claimed (skipped by parallel schedulers)."""
        t = orm.deleted_organizations
        query = select(t.c.org_id).where(t.c.purge_after <= now).order_by(t.c.purge_after).limit(limit)
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.session.execute(query).scalars())

    def done(self, org_id: str) -> None:
        t = orm.deleted_organizations
        self.session.execute(delete(t).where(t.c.org_id == org_id))


class SupportCodes:
    """TI-05: the code is sealed with the envelope keys at rest, bound to its organization's row."""

    def __init__(self, session):
        self.session = session

    def _of(self, row) -> SupportCode:
        code = open_sealed(row.code_sealed, "support_codes", row.org_id, "code").reveal()
        return SupportCode(org_id=row.org_id, code=code, digest=row.digest, created_at=row.created_at,
                           created_by=row.created_by)

    def get(self, org_id: str, *, for_update: bool = False) -> SupportCode | None:
        query = select(orm.support_codes).where(orm.support_codes.c.org_id == org_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return None if row is None else self._of(row)

    def by_digests(self, digests) -> SupportCode | None:
        digests = list(digests)
        if not digests:
            return None
        row = self.session.execute(select(orm.support_codes).where(orm.support_codes.c.digest.in_(digests))).first()
        return None if row is None else self._of(row)

    def add(self, code: SupportCode) -> None:
        self.session.execute(insert(orm.support_codes).values(self._values(code)))

    def save(self, code: SupportCode) -> None:
        self.session.execute(update(orm.support_codes).where(orm.support_codes.c.org_id == code.org_id)
                             .values(self._values(code)))

    @staticmethod
    def _values(code: SupportCode) -> dict:
        return {"org_id": code.org_id, "code_sealed": seal(code.code, "support_codes", code.org_id, "code"),
                "digest": code.digest, "created_at": code.created_at, "created_by": code.created_by}


class SupportCodeLookups:
    def __init__(self, session):
        self.session = session

    def add(self, lookup: SupportCodeLookup) -> None:
        self.session.add(lookup)

    def wrong_since(self, staff_id: str, since) -> list:
        return list(self.session.scalars(
            select(SupportCodeLookup.looked_up_at).where(SupportCodeLookup.staff_id == staff_id,
                                                         SupportCodeLookup.result == "wrong",
                                                         SupportCodeLookup.looked_up_at > since)))

    def find(self, page: PageRequest, *, staff_id: str | None = None, org_id: str | None = None) -> Page[SupportCodeLookup]:
        query = select(SupportCodeLookup)
        if staff_id is not None:
            query = query.where(SupportCodeLookup.staff_id == staff_id)
        if org_id is not None:
            query = query.where(SupportCodeLookup.org_id == org_id)
        return fetch_page(self.session, query, (SupportCodeLookup.looked_up_at, SupportCodeLookup.id), page,
                          descending=True)


class ServiceLevels:
    """TI-04: the tickets' service level clocks and the warnings and breaches emitted."""

    def __init__(self, session):
        self.session = session

    def add(self, record: TicketServiceLevel) -> None:
        self.session.add(record)

    def get(self, ticket_id: str, *, for_update: bool = False) -> TicketServiceLevel | None:
        query = select(TicketServiceLevel).where(TicketServiceLevel.ticket_id == ticket_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def due(self, now, batch: int) -> list[TicketServiceLevel]:
        """The clocks whose next moment has come, locked; another scheduler skips them (PostgreSQL)."""
        query = (select(TicketServiceLevel).where(TicketServiceLevel.next_check_at <= now)
                 .order_by(TicketServiceLevel.next_check_at).limit(batch).with_for_update(skip_locked=True))
        return list(self.session.scalars(query))

    def claim(self, ticket_id: str, stage: str, now) -> bool:
        """True once per (ticket, stage): the unique key refuses a second claim."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(orm.service_level_alerts).values(ticket_id=ticket_id, stage=stage, emitted_at=now))
        except IntegrityError:
            return False
        return True

    def delete_of_org(self, org_id: str) -> None:
        ids = select(orm.ticket_service_levels.c.ticket_id).where(orm.ticket_service_levels.c.org_id == org_id)
        self.session.execute(delete(orm.service_level_alerts).where(orm.service_level_alerts.c.ticket_id.in_(ids)))
        self.session.execute(delete(orm.ticket_service_levels).where(orm.ticket_service_levels.c.org_id == org_id))
        self.session.execute(delete(orm.ticket_emergencies).where(orm.ticket_emergencies.c.org_id == org_id))

    def emitted(self, ticket_id: str) -> list[str]:
        return list(self.session.scalars(select(orm.service_level_alerts.c.stage)
                                         .where(orm.service_level_alerts.c.ticket_id == ticket_id)))


class Emergencies:
    def __init__(self, session):
        self.session = session

    def get(self, ticket_id: str) -> Emergency | None:
        return self.session.get(Emergency, ticket_id)

    def add(self, emergency: Emergency) -> None:
        self.session.add(emergency)


class SensitiveDataStore:
    """TI-02: the value is sealed at rest with the envelope keys, bound to its ticket's row; it is
    opened only when read and travels as `Hidden`."""

    def __init__(self, session):
        self.session = session

    def get(self, ticket_id: str) -> SensitiveData | None:
        t = orm.ticket_sensitive_data
        row = self.session.execute(select(t).where(t.c.ticket_id == ticket_id)).first()
        if row is None:
            return None
        value = None
        if row.sealed is not None:
            value = Hidden(open_sealed(row.sealed, "ticket_sensitive_data", row.ticket_id, "value").reveal())
        return SensitiveData(ticket_id=row.ticket_id, org_id=row.org_id, written_by=row.written_by,
                             written_at=row.written_at, value=value, erased_at=row.erased_at)

    def carries(self, ticket_ids) -> set[str]:
        """Which of these tickets carry sensitive data now."""
        t = orm.ticket_sensitive_data
        ids = list(ticket_ids)
        if not ids:
            return set()
        return set(self.session.scalars(select(t.c.ticket_id).where(t.c.ticket_id.in_(ids), t.c.sealed.is_not(None))))

    def _values(self, data: SensitiveData) -> dict:
        sealed = None if data.value is None else seal(data.value.reveal(), "ticket_sensitive_data", data.ticket_id, "value")
        return {"ticket_id": data.ticket_id, "org_id": data.org_id, "written_by": data.written_by,
                "written_at": data.written_at, "sealed": sealed, "erased_at": data.erased_at}

    def add(self, data: SensitiveData) -> None:
        self.session.execute(insert(orm.ticket_sensitive_data).values(self._values(data)))

    def save(self, data: SensitiveData) -> None:
        t = orm.ticket_sensitive_data
        self.session.execute(update(t).where(t.c.ticket_id == data.ticket_id).values(self._values(data)))

    def erase_of_org(self, org_id: str, at) -> None:
        t = orm.ticket_sensitive_data
        self.session.execute(update(t).where(t.c.org_id == org_id, t.c.sealed.is_not(None))
                             .values(sealed=None, erased_at=at))

    def delete_of_org(self, org_id: str) -> None:
        self.session.execute(delete(orm.sensitive_data_readings).where(orm.sensitive_data_readings.c.org_id == org_id))
        self.session.execute(delete(orm.ticket_sensitive_data).where(orm.ticket_sensitive_data.c.org_id == org_id))

    def add_reading(self, reading: Reading) -> None:
        self.session.add(reading)

    def readings(self, ticket_id: str, page: PageRequest) -> Page[Reading]:
        query = select(Reading).where(Reading.ticket_id == ticket_id)
        return fetch_page(self.session, query, (Reading.read_at, Reading.id), page, descending=True)
