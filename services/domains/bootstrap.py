from __future__ import annotations

from functools import lru_cache

from portico_kernel.access_model import on_member_access_changed
from portico_kernel.service import Service

from .adapters import hashing
from .adapters.orm import metadata
from .adapters.registries import registries
from .adapters.tld_file import tld_catalog
from .adapters.unit_of_work import DomainsUnitOfWork
from .domain import closure, events, manage, orders, renewals
from .domain.registry import Registry


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("domains", metadata, uow_class=DomainsUnitOfWork, events=events, handlers={
        "AccountClosureRequested": closure.on_account_closure_requested,
        "InvoicePaid": on_invoice_paid,  # DO-02, DO-03: a paid order goes to the registry; DO-07: a renewal is renewed
        "BillingAccountOpened": orders.on_billing_account_opened,
        # DO-01: who may manage a domain, and the organization's contacts and address for registry contacts
        "MemberAccessChanged": on_member_access_changed,
        "ContactAdded": manage.on_contact_added,
        "ContactRemoved": manage.on_contact_removed,
        "OrganizationCreated": manage.on_organization_created,
        "OrganizationDetailsChanged": manage.on_organization_details_changed,
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


@lru_cache(maxsize=1)
def manage_tools() -> manage.Tools:
    """What managing a domain needs beyond its unit of work (DO-01)."""
    return manage.Tools(registry_for=lambda name: registry_for(name.rstrip(".").rsplit(".", 1)[-1]),
                        rules_for=tld_catalog().for_domain, hash_secret=hashing.hash_secret,
                        verify_secret=hashing.verify_secret, digest=hashing.digest)
