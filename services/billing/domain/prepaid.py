"""The prepaid account (BI-10): top up, pay invoices fully or partly from it, withdraw the balance.

The balance is the account's `balance_minor`; it never goes below zero (a rule here, checked again
by the database). Every change of it is a movement the customer sees, and a ledger posting:

| what | debit | credit |
| --- | --- | --- |
| top-up by card | `cash:card` | `prepaid:<org>` |
| paying an invoice from the balance | `prepaid:<org>` | `receivable:<org>` |
| holding a part while a card charge is undecided | `prepaid:<org>` | `held:<org>` |
| … the charge succeeded | `held:<org>` | `receivable:<org>` |
| … the charge was declined or failed | `held:<org>` | `prepaid:<org>` |
| withdrawal (paid back to the customer) | `prepaid:<org>` | `cash:payouts` |
| refund of a paid invoice (its credit note moves revenue and VAT back) | `receivable:<org>` | `prepaid:<org>` |
| a card payment of an invoice | `cash:card` | `receivable:<org>` |

`prepaid:<org>` is what the provider owes the organization, so its ledger balance is the negative of
the account's balance: the ledger check (`ledger_check`) compares them.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from .ledger import Posting, posting
from .money import Money

TOP_UP, INVOICE_PAYMENT, PAYMENT_RETURNED, WITHDRAWAL = "top_up", "invoice_payment", "payment_returned", "withdrawal"
KINDS = (TOP_UP, INVOICE_PAYMENT, PAYMENT_RETURNED, WITHDRAWAL)
MAX_TOP_UP_MINOR = 10_000_000  # 100 000.00 per top-up: a typing error should not become a charge


class BalanceTooLow(ValueError):
    """The balance does not cover the amount; it never goes below zero."""


@dataclass(eq=False)
class PrepaidMovement:
    id: str
    org_id: str
    kind: str
    amount_minor: int  # positive: into the balance; negative: out of it
    currency: str
    balance_after_minor: int
    at: datetime
    invoice_id: str | None = None
    payment_id: str | None = None


def prepaid(org_id: str) -> str:
    return f"prepaid:{org_id}"


def held(org_id: str) -> str:
    return f"held:{org_id}"


def receivable(org_id: str) -> str:
    return f"receivable:{org_id}"


CARD, PAYOUTS = "cash:card", "cash:payouts"


def move(account, kind: str, amount_minor: int, at: datetime, *, invoice_id: str | None = None,
         payment_id: str | None = None) -> PrepaidMovement:
    """Changes the account's balance by `amount_minor` and says how, refusing to go below zero."""
    if kind not in KINDS:
        raise ValueError(f"unknown movement {kind!r}")
    if amount_minor == 0:
        raise ValueError("a movement moves money")
    after = account.balance_minor + amount_minor
    if after < 0:
        raise BalanceTooLow(f"The prepaid balance holds only {Money(account.balance_minor, account.currency)}.")
    account.balance_minor = after
    return PrepaidMovement(str(uuid.uuid4()), account.org_id, kind, amount_minor, account.currency, after, at,
                           invoice_id=invoice_id, payment_id=payment_id)


def entry(reason: str, at: datetime, currency: str, minor: int, *, debit: str, credit: str) -> Posting:
    """A posting of one amount from one account to another."""
    amount = Money(minor, currency)
    return posting(str(uuid.uuid4()), reason, at, debit={debit: amount}, credit={credit: amount})
