from __future__ import annotations

from functools import lru_cache

from portico_kernel.service import Service

from .adapters.orm import metadata
from .adapters.unit_of_work import OrgsUnitOfWork
from .domain import access, closure, deletion, events, organizations, seats, sign_ups


@lru_cache(maxsize=1)
def bootstrap() -> Service:
    return Service("orgs", metadata, uow_class=OrgsUnitOfWork, events=events, handlers={
        "UserRegistered": sign_ups.on_user_registered,
        "LoginEmailChanged": organizations.on_login_email_changed,
        "PersonRenamed": organizations.on_person_renamed,
        "TwoFactorStatusChanged": organizations.on_two_factor_status_changed,
        "AccountClosureRequested": closure.on_account_closure_requested,
        "ProductProvisioned": access.on_product_provisioned,
        "ProductRemoved": access.on_product_removed,
        "BillingStandingChanged": deletion.on_billing_standing_changed,
        "SeatsProvisioned": seats.on_seats_provisioned,
    })
