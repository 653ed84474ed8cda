"""The domains service's repositories: its queries, over the tables of adapters/orm.py."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from portico_kernel.db import fetch_page, is_postgres, upsert
from portico_kernel.errors import Conflict
from portico_kernel.paging import Page, PageRequest

from ..domain.documents import Document
from ..domain.model import Domain
from ..domain.orders import OPEN_STATES, DomainOrder, PAID, PENDING_TRANSFER_STATE
from ..domain.renewals import Renewal
from . import orm
from .orm import domain_notices, domain_renewals


class Domains:
    def __init__(self, session):
        self.session = session

    def of_org(self, org_id: str, page: PageRequest, *, status: str | None = None,
               expires_before: datetime | None = None, expires_after: datetime | None = None) -> Page[Domain]:
        """Newest first; with `status`, only the domains in that state; with `expires_before` /
        `expires_after`, only those expiring before / at or after that moment."""
        query = select(Domain).where(Domain.org_id == org_id)
        if status is not None:
            query = query.where(Domain.status == status)
        if expires_before is not None:
            query = query.where(Domain.expires_at < expires_before)
        if expires_after is not None:
            query = query.where(Domain.expires_at >= expires_after)
        return fetch_page(self.session, query, (Domain.created_at, Domain.id), page, descending=True)

    def get(self, domain_id: str, *, for_update: bool = False) -> Domain | None:
        query = select(Domain).where(Domain.id == domain_id)
        if for_update and is_postgres(self.session.get_bind()):
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def of_org_by_id(self, org_id: str, domain_id: str, *, for_update: bool = False) -> Domain | None:
        """The organization's domain; another organization's is None (a 404, never a 403)."""
        domain = self.get(domain_id, for_update=for_update)
        return domain if domain is not None and domain.org_id == org_id else None

    def claim_due(self, today: date, after: tuple | None, limit: int) -> list[Domain]:
        """DO-04 … DO-07: up to `limit` domains with something due by `today`, by their due day and id,
        after `after` (a due day and an id): a range over the index on (due_on, id), never every row.
        On PostgreSQL their rows are locked and rows another scheduler holds are skipped; SQLite lets
        one writer at a time."""
        query = (select(Domain).where(orm.domains.c.due_on <= today)
                 .order_by(orm.domains.c.due_on, orm.domains.c.id).limit(limit))
        if after is not None:
            day, last_id = after
            query = query.where(or_(orm.domains.c.due_on > day,
                                    and_(orm.domains.c.due_on == day, orm.domains.c.id > last_id)))
        if is_postgres(self.session.get_bind()):
            query = query.with_for_update(skip_locked=True)
        return list(self.session.scalars(query.execution_options(populate_existing=True)))

    def save_all(self, domains: list[Domain]) -> None:
        """The claimed domains are the session's own: their changes are written at the commit."""

    def by_name(self, name: str) -> Domain | None:
        return self.session.scalars(select(Domain).where(Domain.name == name)).first()

    def add(self, domain: Domain) -> None:
        self.session.add(domain)
        self.session.flush()

    def remove(self, domain: Domain) -> None:
        self.session.delete(domain)
        self.session.flush()


class Notices:
    """DO-04: the reminders sent, once per domain, term (expiry) and notice."""

    def __init__(self, session):
        self.session = session

    def sent_for(self, terms: list[tuple[str, date]]) -> dict[tuple[str, date], set[str]]:
        found: dict[tuple[str, date], set[str]] = {}
        for start in range(0, len(terms), 500):
            chunk = terms[start:start + 500]
            rows = self.session.execute(
                select(domain_notices.c.domain_id, domain_notices.c.expires_on, domain_notices.c.notice)
                .where(tuple_(domain_notices.c.domain_id, domain_notices.c.expires_on).in_(chunk)))
            for domain_id, expires_on, notice in rows:
                found.setdefault((domain_id, expires_on), set()).add(notice)
        return found

    def record(self, domain_id: str, expires_on: date, notice: str, at) -> bool:
        """True when this notice is recorded now; False when it was sent before (the unique key)."""
        return bool(self.record_all([(domain_id, expires_on, notice)], at))

    def record_all(self, notices: list[tuple[str, date, str]], at) -> set[tuple[str, date, str]]:
        """Of these (domain, expiry, notice), those recorded now, in one statement; those sent before
        (the unique key) are not."""
        if not notices:
            return set()
        inserted = (upsert(self.session, domain_notices).values([{"domain_id": d, "expires_on": e, "notice": n, "sent_at": at}
                                                   for d, e, n in notices])
                    .on_conflict_do_nothing(index_elements=["domain_id", "expires_on", "notice"])
                    .returning(domain_notices.c.domain_id, domain_notices.c.expires_on, domain_notices.c.notice))
        return {tuple(row) for row in self.session.execute(inserted)}


class Renewals:
    """DO-06, DO-07: each term's renewal, once per domain and expiry."""

    def __init__(self, session):
        self.session = session

    def add(self, renewal: Renewal) -> bool:
        """True when the renewal is recorded now; False when the term's renewal was asked for before."""
        return _insert_once(self.session, domain_renewals, _renewal_row(renewal), ["domain_id", "expires_on"])

    def add_all(self, renewals: list[Renewal]) -> set[tuple[str, date]]:
        """Of these renewals, the (domain, expiry) of those recorded now, in one statement."""
        if not renewals:
            return set()
        inserted = (upsert(self.session, domain_renewals).values([_renewal_row(r) for r in renewals])
                    .on_conflict_do_nothing(index_elements=["domain_id", "expires_on"])
                    .returning(domain_renewals.c.domain_id, domain_renewals.c.expires_on))
        return {tuple(row) for row in self.session.execute(inserted)}

    def get(self, domain_id: str, expires_on: date, *, for_update: bool = False) -> Renewal | None:
        query = select(domain_renewals).where(domain_renewals.c.domain_id == domain_id,
                                              domain_renewals.c.expires_on == expires_on)
        if for_update and is_postgres(self.session.get_bind()):
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return Renewal(**row._mapping) if row else None

    def for_terms(self, terms: list[tuple[str, date]]) -> dict[tuple[str, date], Renewal]:
        found = {}
        for start in range(0, len(terms), 500):
            chunk = terms[start:start + 500]
            for row in self.session.execute(select(domain_renewals).where(
                    tuple_(domain_renewals.c.domain_id, domain_renewals.c.expires_on).in_(chunk))):
                renewal = Renewal(**row._mapping)
                found[(renewal.domain_id, renewal.expires_on)] = renewal
        return found

    def save(self, renewal: Renewal) -> None:
        row = _renewal_row(renewal)
        self.session.execute(update(domain_renewals).where(domain_renewals.c.domain_id == renewal.domain_id,
                                                           domain_renewals.c.expires_on == renewal.expires_on)
                             .values({k: v for k, v in row.items() if k not in ("domain_id", "expires_on")}))


def _renewal_row(renewal: Renewal) -> dict:
    return {"domain_id": renewal.domain_id, "expires_on": renewal.expires_on, "org_id": renewal.org_id,
            "years": renewal.years, "amount_minor": renewal.amount_minor, "currency": renewal.currency,
            "reason": renewal.reason, "status": renewal.status, "requested_at": renewal.requested_at,
            "paid_at": renewal.paid_at, "renewed_at": renewal.renewed_at, "renewed_until": renewal.renewed_until,
            "on_warranty": renewal.on_warranty}


def _insert_once(session, table, values: dict, keys: list[str]) -> bool:
    inserted = upsert(session, table).values(**values).on_conflict_do_nothing(index_elements=keys)
    return session.execute(inserted.returning(table.c[keys[0]])).first() is not None


class DomainOrders:
    def __init__(self, session):
        self.session = session

    def add(self, order: DomainOrder) -> None:
        self.session.add(order)
        try:
            self.session.flush()  # a second open order of the name fails here (open_name is unique)
        except IntegrityError:
            self.session.rollback()
            raise Conflict(f"{order.domain} is being ordered already.", problem="domain-order-open") from None

    def get(self, order_id: str) -> DomainOrder | None:
        return self.session.get(DomainOrder, order_id)

    def locked(self, order_id: str) -> DomainOrder | None:
        return self.session.scalars(select(DomainOrder).where(DomainOrder.id == order_id).with_for_update()).first()

    def open_for(self, name: str) -> DomainOrder | None:
        return self.session.scalars(select(DomainOrder).where(DomainOrder.open_name == name)).first()

    def of_org(self, org_id: str, page: PageRequest, *, status: str | None = None) -> Page[DomainOrder]:
        query = select(DomainOrder).where(DomainOrder.org_id == org_id)
        if status is not None:
            query = query.where(DomainOrder.status == status)
        return fetch_page(self.session, query, (DomainOrder.created_at, DomainOrder.id), page, descending=True)

    def claim_due(self, now: datetime) -> DomainOrder | None:
        """The paid order or pending transfer longest due, its row locked (others skip it)."""
        query = (select(DomainOrder)
                 .where(DomainOrder.status.in_((PAID, PENDING_TRANSFER_STATE)), DomainOrder.next_attempt_at <= now)
                 .order_by(DomainOrder.next_attempt_at).limit(1).with_for_update(skip_locked=True))
        return self.session.scalars(query).first()


class OrgCurrencies:
    def __init__(self, session):
        self.session = session

    def of(self, org_id: str) -> str | None:
        return self.session.execute(select(orm.org_currencies.c.currency)
                                    .where(orm.org_currencies.c.org_id == org_id)).scalar()

    def of_orgs(self, org_ids) -> dict[str, str]:
        """The currencies of several organizations (those known), in a statement per thousand."""
        ordered, found = sorted(set(org_ids)), {}
        for start in range(0, len(ordered), 1000):
            found.update(self.session.execute(select(orm.org_currencies.c.org_id, orm.org_currencies.c.currency)
                                              .where(orm.org_currencies.c.org_id.in_(ordered[start:start + 1000]))).all())
        return found

    def put(self, org_id: str, currency: str) -> None:
        statement = upsert(self.session, orm.org_currencies).values(org_id=org_id, currency=currency)
        self.session.execute(statement.on_conflict_do_update(index_elements=["org_id"], set_={"currency": currency}))


class Documents:
    def __init__(self, session):
        self.session = session

    def add(self, document: Document) -> None:
        self.session.add(document)
        self.session.flush()

    def types_of(self, org_id: str, ids: list[str]) -> dict[str, str]:
        """The types of those of the documents that are the organization's, by id."""
        if not ids:
            return {}
        rows = self.session.execute(select(orm.registrant_documents.c.id, orm.registrant_documents.c.type).where(
            orm.registrant_documents.c.org_id == org_id, orm.registrant_documents.c.id.in_(ids)))
        return {row.id: row.type for row in rows}
