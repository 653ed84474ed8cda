"""The domains service's repositories: its queries, over the tables of adapters/orm.py."""
from __future__ import annotations

from sqlalchemy import select

from portico_kernel.db import fetch_page
from portico_kernel.paging import Page, PageRequest

from ..domain.model import Domain
from . import orm  # noqa: F401 - maps Domain to its table


class Domains:
    def __init__(self, session):
        self.session = session

    def of_org(self, org_id: str, page: PageRequest, *, status: str | None = None) -> Page[Domain]:
        """Newest first; with `status`, only the domains in that state."""
        query = select(Domain).where(Domain.org_id == org_id)
        if status is not None:
            query = query.where(Domain.status == status)
        return fetch_page(self.session, query, (Domain.created_at, Domain.id), page, descending=True)

    def get(self, domain_id: str) -> Domain | None:
        return self.session.get(Domain, domain_id)
