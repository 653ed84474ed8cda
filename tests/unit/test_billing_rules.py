"""OR-14 / BI-15: an organization's billing account, its currency and who may see it (services/billing/domain)."""
from __future__ import annotations

import pytest

from portico_kernel.errors import Forbidden, NotFound
from portico_kernel.principal import Principal
from services.billing.domain.accounts import account_for
from services.billing.domain.model import BillingAccount, currency_for

from .billing_fakes import FakeMemberAccess
from .fakes import FakeAccounts, FakeUnitOfWork


@pytest.mark.parametrize("country, currency", [("CH", "CHF"), ("DE", "EUR"), ("LI", "CHF"), ("AT", "EUR"), (None, "EUR")])
def test_OR_14_the_postal_address_decides_the_invoice_currency(country, currency):
    assert currency_for(country) == currency
    assert BillingAccount.open_for("o-1", country).currency == currency


def test_OR_14_a_new_account_owes_nothing():
    assert BillingAccount.open_for("o-1", "CH").balance_minor == 0


@pytest.fixture
def uow(clock):
    accounts = FakeAccounts()
    accounts.add(BillingAccount.open_for("o-1", "CH"))
    return FakeUnitOfWork(clock, accounts=accounts, member_access=FakeMemberAccess())


def person(*roles, org="o-1", kind="customer"):
    return Principal(user_id="u-1", kind=kind, org_id=org, roles=roles)


@pytest.mark.parametrize("caller", [person("legal_representative"), person("administrator"),
                                    person("platform:billing-clerk", org=None, kind="staff"),
                                    person(kind="api_key")])
def test_BI_15_who_sees_the_billing_account(uow, caller):
    assert account_for(uow, caller, "o-1").org_id == "o-1"


@pytest.mark.parametrize("caller, refusal", [
    (person("member"), Forbidden),
    (person("platform:support", org=None, kind="staff"), Forbidden),
    (person("administrator", org="o-2"), NotFound),  # to other organizations it does not exist
])
def test_BI_15_who_does_not(uow, caller, refusal):
    with pytest.raises(refusal):
        account_for(uow, caller, "o-1")


def test_OR_14_a_new_organization_gets_one_billing_account_in_its_currency(clock):
    from services.billing.domain.accounts import on_organization_created
    from services.billing.domain.events import BillingAccountOpened, OrganizationCreated

    uow = FakeUnitOfWork(clock, accounts=FakeAccounts())
    created = OrganizationCreated(org_id="o-9", country="CH")
    on_organization_created(created, uow)
    on_organization_created(created, uow)  # a redelivery opens no second account
    assert [account.currency for account in uow.accounts.rows] == ["CHF"]
    [(opened, org_id)] = uow.emitted
    assert isinstance(opened, BillingAccountOpened) and opened.currency == "CHF" and org_id == "o-9"
