from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .repository import BillingAccounts


class BillingUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.accounts = BillingAccounts(self.session)
        return self
