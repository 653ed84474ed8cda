from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import PremiumOrgs, ServiceLevels, SupportCodeLookups, SupportCodes, Tickets


class TicketsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.tickets = Tickets(self.session)
        self.support_codes = SupportCodes(self.session)
        self.support_code_lookups = SupportCodeLookups(self.session)
        self.service_levels = ServiceLevels(self.session)
        self.premium_orgs = PremiumOrgs(self.session, lambda: self.clock.now())
        return self
