from __future__ import annotations

from functools import lru_cache

from portico_kernel.service import Service

from .adapters.orm import metadata
from .adapters.registries import registries
from .adapters.tld_file import tld_catalog
from .adapters.unit_of_work import DomainsUnitOfWork
from .domain import closure, events, orders, renewals
from .domain.registry import Registry


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("domains", metadata, uow_class=DomainsUnitOfWork, events=events, handlers={
        "AccountClosureRequested": closure.on_account_closure_requested,
        "InvoicePaid": on_invoice_paid,  # DO-02, DO-03: a paid order goes to the registry; DO-07: a renewal is renewed
        "BillingAccountOpened": orders.on_billing_account_opened,
    })


def registry_for(tld: str) -> Registry:
    """The registry that serves the TLD, as settings say (adapters/registries.py); LookupError for a
    TLD we do not sell, RegistryUnavailable when no registry is configured for it."""
    return registries().registry_for(tld)


def catalog():
    """The TLD rules (data/tlds.yaml)."""
    return tld_catalog()


def on_invoice_paid(paid, uow) -> None:
    """An invoice names what it bills: a domain order (`domain-order:`) or a renewal (`domain-renewal:`)."""
    orders.on_invoice_paid(paid, uow)
    renewals.on_invoice_paid(paid, uow)
