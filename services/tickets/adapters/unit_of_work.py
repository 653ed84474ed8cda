from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import SupportCodeLookups, SupportCodes, Tickets


class TicketsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.tickets = Tickets(self.session)
        self.support_codes = SupportCodes(self.session)
        self.support_code_lookups = SupportCodeLookups(self.session)
        return self
