from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.web import principal

from ..bootstrap import bootstrap
from ..domain import accounts
from ..domain.issuing import customer_of


def get_billing_account(org_id: str):
    with bootstrap().uow(reading=True) as uow:
        account = accounts.account_for(uow, principal(), org_id)
        return {
            "id": account.id, "org_id": account.org_id, "currency": account.currency,
            "balance": {"amount_minor": account.balance_minor, "currency": account.currency},
            "opened_at": iso_utc(account.opened_at), "invoiced_to": customer_of(account),
        }, 200
