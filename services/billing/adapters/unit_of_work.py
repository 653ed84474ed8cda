from __future__ import annotations

from portico_kernel.uow import UnitOfWork

from .receivables import Receivables
from .repository import BillingAccounts, Ledger, Payments, PrepaidMovements


class BillingUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.accounts = BillingAccounts(self.session)
        self.payments = Payments(self.session)
        self.movements = PrepaidMovements(self.session)
        self.ledger = Ledger(self.session)
        self.receivables = Receivables(self.session)
        return self
