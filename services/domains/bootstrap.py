from __future__ import annotations

from functools import lru_cache

from portico_kernel.service import Service

from .adapters.orm import metadata
from .adapters.unit_of_work import DomainsUnitOfWork
from .domain import closure, events, renewals


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("domains", metadata, uow_class=DomainsUnitOfWork, events=events, handlers={
        "AccountClosureRequested": closure.on_account_closure_requested,
        "InvoicePaid": renewals.on_invoice_paid,  # DO-07: a domain's renewal is paid
    })
