"""The tickets service's repositories: its queries, over the tables of adapters/orm.py."""
from __future__ import annotations

from sqlalchemy import select

from portico_kernel.db import fetch_page
from portico_kernel.paging import Page, PageRequest

from ..domain.model import Ticket
from . import orm  # noqa: F401 - maps Ticket to its table


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
