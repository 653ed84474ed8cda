"""Opening billing accounts, what billing knows of each organization (OR-14), and who may see them (BI-15)."""
from __future__ import annotations

from portico_kernel.errors import NotFound
from portico_kernel.principal import Principal

from .events import BillingAccountOpened, OrganizationCreated, OrganizationDetailsChanged
from .model import BillingAccount, currency_for
from .visibility import ensure_sees_billing

ADDRESS = ("street", "house_number", "postcode", "town")


def on_organization_created(org: OrganizationCreated, uow) -> None:
    """OR-14: every organization gets a billing account, in the currency of its country."""
    if uow.accounts.of_org(org.org_id) is not None:
        return
    account = BillingAccount.open_for(org.org_id, org.country)
    account.name, account.org_type, account.country = org.name, org.type, org.country
    account.language = org.language
    uow.accounts.add(account)
    uow.emit(BillingAccountOpened(account_id=account.id, org_id=account.org_id, currency=account.currency),
             org_id=account.org_id)


def on_organization_details_changed(changed: OrganizationDetailsChanged, uow) -> None:
    """OR-14: the postal address decides the invoice currency; an account that owes or holds
    nothing, and has been invoiced nothing yet, follows a new country. The details are named on the
    invoices issued from now on (issued ones keep theirs)."""
    account = uow.accounts.of_org(changed.org_id)
    if account is None:
        raise LookupError("the organization's account is not open yet")  # retried: OrganizationCreated comes first
    if account.balance_minor == 0 and not uow.invoices.any_of(account.org_id):
        account.currency = currency_for(changed.country)
    account.country = changed.country
    if changed.name is not None:
        account.name, account.org_type = changed.name, changed.type
    if changed.address is not None:
        for field in ADDRESS:
            setattr(account, field, changed.address.get(field))
    if changed.address is not None or changed.vat_id is not None:
        account.vat_id = changed.vat_id


def account_for(uow, caller: Principal, org_id: str) -> BillingAccount:
    """BI-15: see visibility.py."""
    ensure_sees_billing(uow, caller, org_id)
    account = uow.accounts.of_org(org_id)
    if account is None:
        raise NotFound("No billing account for this organization.")
    return account
