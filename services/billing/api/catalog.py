"""`/v1/billing/catalog`: what can be ordered, at which prices."""
from __future__ import annotations

from portico_kernel.web import principal

from ..bootstrap import bootstrap
from .views import product_view


def get_catalog(currency: str | None = None):
    """In the currency asked for, else the caller's organization's (OR-14), else CHF."""
    with bootstrap().uow(reading=True) as uow:
        if currency is None:
            caller = principal()
            account = uow.accounts.of_org(caller.org_id) if caller.org_id else None
            currency = account.currency if account else "CHF"
        return {"currency": currency, "products": [product_view(p) for p in uow.catalog.in_currency(currency)]}, 200
