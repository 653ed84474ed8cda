from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import Domains


class DomainsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.domains = Domains(self.session)
        return self
