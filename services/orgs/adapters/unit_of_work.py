from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import Members, Organizations


class OrgsUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.organizations = Organizations(self.session)
        self.members = Members(self.session)
        return self
