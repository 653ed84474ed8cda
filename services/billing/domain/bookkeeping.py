"""What every change of what an organization owes or holds tells orgs: `BillingStandingChanged`
(OR-15), from issuing an invoice or credit note (issuing.py) and from every payment, top-up and
withdrawal (paying.py)."""
from __future__ import annotations

from .events import BillingStandingChanged


def announce_standing(uow, org_id: str) -> None:
    """OR-15: orgs learns what the organization owes and holds whenever either changes."""
    uow.flush()
    account = uow.accounts.of_org(org_id)
    if account is None:
        return
    uow.emit(BillingStandingChanged(org_id=org_id, unpaid_invoices=uow.invoices.unpaid_count(org_id),
                                    prepaid_balance_minor=account.balance_minor, currency=account.currency),
             org_id=org_id)
