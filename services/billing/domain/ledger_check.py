"""Whether the ledger balances, and agrees with what billing's other records say (issue 11 item 1).

Read through billing staff's endpoint, so that tests prove it after every scenario through the API:
- every posting's debits equal its credits, and every currency sums to zero;
- each organization's `prepaid:<org>` account is the negative of its prepaid balance;
- nothing is `held:<org>` unless a payment of that organization is under way;
- each organization's `receivable:<org>` account is what its unpaid invoices still owe.
"""
from __future__ import annotations

from portico_kernel.errors import Forbidden
from portico_kernel.principal import Principal

from .visibility import BILLING_STAFF


def check(uow, caller: Principal) -> dict:
    if not (caller.is_staff and caller.has_role(*BILLING_STAFF)):
        raise Forbidden("The ledger is billing staff's.")
    trial = uow.ledger.trial_balance()
    unbalanced = uow.ledger.unbalanced_postings()
    disagreements = []
    ledger_prepaid = uow.ledger.balances("prepaid:")
    for (org, currency), balance in uow.accounts.balances().items():
        in_ledger = -ledger_prepaid.pop((org, currency), 0)
        if in_ledger != balance:
            disagreements.append(f"prepaid:{org} is {in_ledger} {currency} in the ledger, the balance {balance}")
    for (org, currency), left in ledger_prepaid.items():
        if left:
            disagreements.append(f"prepaid:{org} holds {-left} {currency} in the ledger and no account in {currency}")
    pending = {payment.org_id for payment in uow.payments.pending(limit=10_000)}
    for (org, currency), minor in uow.ledger.balances("held:").items():
        if minor and org not in pending:
            disagreements.append(f"held:{org} holds {-minor} {currency} with no payment under way")
    owed = uow.receivables.outstanding_by_org()
    for (org, currency), minor in uow.ledger.balances("receivable:").items():
        expected = owed.pop((org, currency), 0)
        if minor != expected:
            disagreements.append(f"receivable:{org} is {minor} {currency}; its unpaid invoices owe {expected}")
    for (org, currency), minor in owed.items():
        if minor:
            disagreements.append(f"invoices of {org} owe {minor} {currency} the ledger does not know")
    balanced = unbalanced == 0 and all(v == 0 for v in trial.values()) and not disagreements
    return {"balanced": balanced, "trial_balance": trial, "unbalanced_postings": unbalanced,
            "disagreements": disagreements}
