from __future__ import annotations

from functools import lru_cache

from portico_kernel.access_model import on_member_access_changed
from portico_kernel.service import Service

from .adapters.card_sandbox import CardSandbox
from .adapters.orm import metadata
from .adapters.unit_of_work import BillingUnitOfWork
from .domain import accounts, closure, domain_orders, events, renewals, tickets


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("billing", metadata, uow_class=BillingUnitOfWork, events=events, handlers={
        "OrganizationCreated": accounts.on_organization_created,
        "OrganizationDetailsChanged": accounts.on_organization_details_changed,
        "MemberAccessChanged": on_member_access_changed,
        "FalseEmergencyReported": tickets.on_false_emergency_reported,
        "AccountClosureRequested": closure.on_account_closure_requested,
        "DomainRenewalRequested": renewals.on_domain_renewal_requested,  # DO-07
        "DomainOrderPlaced": domain_orders.on_domain_order_placed,  # DO-02, DO-03
        "DomainOrderFailed": domain_orders.on_domain_order_failed,
    })


@lru_cache(maxsize=1)
def payment_provider():
    """The card payment provider: the sandbox (adapters/card_sandbox.py) until a real one is wired."""
    return CardSandbox()
