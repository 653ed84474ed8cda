from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import Documents, DomainOrders, Domains, OrgCurrencies


class DomainsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.domains = Domains(self.session)
        self.orders = DomainOrders(self.session)
        self.currencies = OrgCurrencies(self.session)
        self.documents = Documents(self.session)
        return self
