from __future__ import annotations

from functools import lru_cache

from portico_kernel.access_model import on_member_access_changed
from portico_kernel.service import Service

from .adapters.office_hours_file import office_hours, service_levels
from .adapters.orm import metadata
from .adapters.unit_of_work import TicketsUnitOfWork
from .domain import closure, events, read_models, sla_tracking


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("tickets", metadata, uow_class=TicketsUnitOfWork, events=events, handlers={
        "AccountClosureRequested": closure.on_account_closure_requested,
        "OrganizationDeleted": closure.on_organization_deleted,
        "ProductProvisioned": read_models.on_product_provisioned,
        "ProductRemoved": read_models.on_product_removed,
        "MemberAccessChanged": on_member_access_changed,
        "UserRegistered": read_models.on_user_registered,
        "LoginEmailChanged": read_models.on_login_email_changed,
        "PersonRenamed": read_models.on_person_renamed,
        "MemberJoined": read_models.on_member_joined,
        "MemberLeft": read_models.on_member_left,
        "MemberRemoved": read_models.on_member_left,
    })


@lru_cache(maxsize=1)
def sla_rules() -> sla_tracking.Rules:
    """The office hours and service level targets of services/tickets/data/office_hours.yaml (TI-04)."""
    return sla_tracking.Rules(office_hours(), service_levels())
