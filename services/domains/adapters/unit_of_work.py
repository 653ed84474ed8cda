from __future__ import annotations

from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork

from .orm import member_access
from .repository import Documents, DomainOrders, Domains, OrgCurrencies
from .settings_repository import DomainSettings


class DomainsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.domains = Domains(self.session)
        self.settings = DomainSettings(self.session)  # name servers, contacts, auth codes, owner changes (DO-01)
        self.member_access = MemberAccess(self.session, member_access)
        self.orders = DomainOrders(self.session)
        self.currencies = OrgCurrencies(self.session)
        self.documents = Documents(self.session)
        return self
