from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import Tickets


class TicketsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.tickets = Tickets(self.session)
        return self
