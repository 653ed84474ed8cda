from __future__ import annotations

from functools import lru_cache

from portico_kernel.service import Service

from .adapters.orm import metadata
from .adapters.unit_of_work import TicketsUnitOfWork
from .adapters.office_hours_file import office_hours, service_levels
from .domain import closure, events, sla_tracking


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("tickets", metadata, uow_class=TicketsUnitOfWork, events=events, handlers={
        "AccountClosureRequested": closure.on_account_closure_requested,
        "ProductProvisioned": sla_tracking.on_product_provisioned,
        "SeatsProvisioned": sla_tracking.on_product_provisioned,
        "ProductRemoved": sla_tracking.on_product_removed,
    })


@lru_cache(maxsize=1)
def sla_rules() -> sla_tracking.Rules:
    """The office hours and service level targets of services/tickets/data/office_hours.yaml (TI-04)."""
    return sla_tracking.Rules(office_hours(), service_levels())
