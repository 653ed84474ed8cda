from __future__ import annotations

from sqlalchemy import select

from portico_kernel.uow import UnitOfWork

from ..domain.model import BillingAccount


class BillingAccounts:
    def __init__(self, session):
        self.session = session

    def add(self, account: BillingAccount) -> None:
        self.session.add(account)

    def of_org(self, org_id: str) -> BillingAccount | None:
        return self.session.scalars(select(BillingAccount).where(BillingAccount.org_id == org_id)).first()


class BillingUnitOfWork(UnitOfWork):
    def __enter__(self):
        super().__enter__()
        self.accounts = BillingAccounts(self.session)
        return self
