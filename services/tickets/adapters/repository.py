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

    def of_org(self, org_id: str, page: PageRequest) -> Page[Ticket]:
        """Newest first."""
        return fetch_page(self.session, select(Ticket).where(Ticket.org_id == org_id), (Ticket.opened_at, Ticket.id), page,
                          descending=True)

    def opened_by(self, user_id: str) -> list[Ticket]:
        return list(self.session.scalars(select(Ticket).where(Ticket.opened_by == user_id)))
