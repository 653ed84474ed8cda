from __future__ import annotations

from functools import lru_cache

from portico_kernel.access_model import on_member_access_changed
from portico_kernel.service import Service

from .adapters import hashing
from .adapters.orm import metadata
from .adapters.registries import registry_for
from .adapters.tld_file import tld_catalog
from .adapters.unit_of_work import DomainsUnitOfWork
from .domain import closure, events, manage


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("domains", metadata, uow_class=DomainsUnitOfWork, events=events, handlers={
        "AccountClosureRequested": closure.on_account_closure_requested,
        # DO-01: who may manage a domain, and the organization's contacts and address for registry contacts
        "MemberAccessChanged": on_member_access_changed,
        "ContactAdded": manage.on_contact_added,
        "ContactRemoved": manage.on_contact_removed,
        "OrganizationCreated": manage.on_organization_created,
        "OrganizationDetailsChanged": manage.on_organization_details_changed,
    })


@lru_cache(maxsize=1)
def manage_tools() -> manage.Tools:
    """What managing a domain needs beyond its unit of work (DO-01)."""
    return manage.Tools(registry_for=lambda name: registry_for(name.rstrip(".").rsplit(".", 1)[-1]),
                        rules_for=tld_catalog().for_domain, hash_secret=hashing.hash_secret,
                        verify_secret=hashing.verify_secret, digest=hashing.digest)
