"""Opening billing accounts, and who may see them (BI-15)."""
from __future__ import annotations

from portico_kernel.principal import Principal
from portico_kernel.errors import Forbidden, NotFound
from portico_kernel.roles import MANAGING_ROLES

from .events import BillingAccountOpened, OrganizationCreated, OrganizationDetailsChanged
from .model import BillingAccount, currency_for

BILLING_ROLES = MANAGING_ROLES
BILLING_STAFF = ("platform:admin", "platform:billing-clerk")


def on_organization_created(org: OrganizationCreated, uow) -> None:
    """OR-14: every organization gets a billing account, in the currency of its country."""
    if uow.accounts.of_org(org.org_id) is not None:
        return
    account = BillingAccount.open_for(org.org_id, org.country)
    uow.accounts.add(account)
    uow.emit(BillingAccountOpened(account_id=account.id, org_id=account.org_id, currency=account.currency),
             org_id=account.org_id)


def on_organization_details_changed(changed: OrganizationDetailsChanged, uow) -> None:
    """OR-14: the postal address decides the invoice currency; an account that owes or holds
    nothing follows a new country."""
    account = uow.accounts.of_org(changed.org_id)
    if account is not None and account.balance_minor == 0:
        account.currency = currency_for(changed.country)


def account_for(uow, caller: Principal, org_id: str) -> BillingAccount:
    """BI-15: billing is visible to the organization's legal representatives and administrators
    (and to the provider's billing staff), and to the API keys that act for the organization with
    a billing scope (OR-19; the scope was checked with the token); to other organizations it does
    not exist."""
    if caller.is_staff:
        if not caller.has_role(*BILLING_STAFF):
            raise Forbidden("Billing is visible to billing staff only.")
    elif caller.org_id != org_id:
        raise NotFound("No billing account for this organization.")
    elif not caller.is_api_key and not caller.has_role(*BILLING_ROLES):
        raise Forbidden("Billing is visible to legal representatives and administrators.")
    account = uow.accounts.of_org(org_id)
    if account is None:
        raise NotFound("No billing account for this organization.")
    return account
