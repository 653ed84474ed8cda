"""Billing's repositories: how its aggregates are found and kept."""
from __future__ import annotations

from sqlalchemy import select

from ..domain.model import BillingAccount


class BillingAccounts:
    def __init__(self, session):
        self.session = session

    def add(self, account: BillingAccount) -> None:
        self.session.add(account)

    def of_org(self, org_id: str) -> BillingAccount | None:
        return self.session.scalars(select(BillingAccount).where(BillingAccount.org_id == org_id)).first()
