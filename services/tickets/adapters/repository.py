"""The tickets service's repositories: its queries, over the tables of adapters/orm.py."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portico_kernel.db import fetch_page
from portico_kernel.paging import Page, PageRequest

from ..domain.model import Ticket
from ..domain.sla_tracking import TicketServiceLevel
from ..domain.support_codes import SupportCode, SupportCodeLookup
from . import orm
from .sealing import open_sealed, seal


class Tickets:
    def __init__(self, session):
        self.session = session

    def of_org(self, org_id: str, page: PageRequest, *, status: str | None = None) -> Page[Ticket]:
        """Newest first; with `status`, only the tickets in that state."""
        query = select(Ticket).where(Ticket.org_id == org_id)
        if status is not None:
            query = query.where(Ticket.status == status)
        return fetch_page(self.session, query, (Ticket.opened_at, Ticket.id), page, descending=True)

    def opened_by(self, user_id: str) -> list[Ticket]:
        return list(self.session.scalars(select(Ticket).where(Ticket.opened_by == user_id)))


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

    def emitted(self, ticket_id: str) -> list[str]:
        return list(self.session.scalars(select(orm.service_level_alerts.c.stage)
                                         .where(orm.service_level_alerts.c.ticket_id == ticket_id)))


class PremiumOrgs:
    """BI-18: which organizations have premium support, as billing said."""

    def __init__(self, session, clock_now):
        self.session = session
        self._now = clock_now

    def has(self, org_id: str) -> bool:
        return bool(self.session.scalar(select(orm.premium_orgs.c.premium).where(orm.premium_orgs.c.org_id == org_id)))

    def set(self, org_id: str, premium: bool) -> None:
        table = orm.premium_orgs
        changed = self.session.execute(update(table).where(table.c.org_id == org_id)
                                       .values(premium=premium, changed_at=self._now())).rowcount
        if not changed:
            self.session.execute(insert(table).values(org_id=org_id, premium=premium, changed_at=self._now()))
