"""The domains service's repositories: its queries, over the tables of adapters/orm.py."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects import postgresql, sqlite

from portico_kernel.db import fetch_page
from portico_kernel.errors import Conflict
from portico_kernel.paging import Page, PageRequest

from ..domain.documents import Document
from ..domain.model import Domain
from ..domain.orders import OPEN_STATES, DomainOrder, PAID, PENDING_TRANSFER_STATE
from . import orm


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

    def get(self, domain_id: str) -> Domain | None:
        return self.session.get(Domain, domain_id)

    def by_name(self, name: str) -> Domain | None:
        return self.session.scalars(select(Domain).where(Domain.name == name)).first()

    def add(self, domain: Domain) -> None:
        self.session.add(domain)
        self.session.flush()

    def remove(self, domain: Domain) -> None:
        self.session.delete(domain)
        self.session.flush()


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

    def put(self, org_id: str, currency: str) -> None:
        dialect = postgresql if self.session.bind.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(orm.org_currencies).values(org_id=org_id, currency=currency)
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
