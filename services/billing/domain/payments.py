"""Paying: the payment-provider port, and what a payment attempt is (BI-06, BI-08 card, BI-10).

Portico never sees a card number. The customer's browser hands the card to the provider, which
answers a token; Portico charges the token through the port below. A provider answers at once
(succeeded, declined, temporarily failed) or later (pending: the provider decides in its own time,
and Portico learns it by asking again, `status`).

A payment of an invoice may combine a part from the prepaid balance with a card charge for the
rest. While the card charge is undecided, the prepaid part is held (ledger account
`held:<org>`), and no other payment of that invoice may start: one invoice, one payment under way.
When the charge succeeds both parts pay the invoice; when it is declined or fails the held part
returns to the balance.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# what a provider answers about a charge
SUCCEEDED, DECLINED, FAILED, PENDING = "succeeded", "declined", "failed", "pending"
# methods an invoice may be paid by (BI-06, BI-08: bank transfer and SEPA direct debit are the bank rails')
METHODS = ("bank_transfer", "card", "prepaid", "sepa_direct_debit")


@dataclass(frozen=True)
class Charge:
    """The provider's answer: its reference for the charge, its outcome and, if refused, why."""
    reference: str
    outcome: str  # SUCCEEDED, DECLINED, FAILED (temporarily: try again later) or PENDING
    reason: str = ""


class PaymentProvider(Protocol):
    """The port to a card payment provider. `payment_id` is Portico's id of the attempt: a provider
    charges one id at most once, however often it is asked."""

    def charge(self, token: str, amount_minor: int, currency: str, payment_id: str) -> Charge: ...

    def status(self, reference: str) -> Charge:
        """Asked again about a pending charge (the scheduler polls until it is decided)."""
        ...


@dataclass(eq=False)
class Payment:
    """One attempt to pay an invoice: a card part, a prepaid part, or both."""
    id: str
    org_id: str
    invoice_id: str | None  # None: a top-up of the prepaid balance
    currency: str
    card_minor: int
    prepaid_minor: int
    status: str  # PENDING until decided; then SUCCEEDED, DECLINED or FAILED
    created_at: datetime
    decided_at: datetime | None = None
    provider_reference: str | None = None
    reason: str | None = None
    created_by: str | None = None

    @classmethod
    def start(cls, org_id: str, invoice_id: str | None, currency: str, card_minor: int, prepaid_minor: int,
              at: datetime, by: str | None) -> "Payment":
        return cls(id=str(uuid.uuid4()), org_id=org_id, invoice_id=invoice_id, currency=currency,
                   card_minor=card_minor, prepaid_minor=prepaid_minor, status=PENDING, created_at=at, created_by=by)

    @property
    def total_minor(self) -> int:
        return self.card_minor + self.prepaid_minor

    @property
    def method(self) -> str:
        if self.card_minor and self.prepaid_minor:
            return "prepaid_and_card"
        return "card" if self.card_minor else "prepaid"

    def decide(self, outcome: str, at: datetime, reason: str = "") -> None:
        if self.status != PENDING:
            raise ValueError("a decided payment stays decided")
        self.status, self.decided_at, self.reason = outcome, at, reason or None


@dataclass(frozen=True)
class Split:
    """How much of an invoice's outstanding amount is paid from the balance and by card."""
    prepaid_minor: int
    card_minor: int


def split(outstanding_minor: int, balance_minor: int, *, card: bool, prepaid_minor: int | None,
          use_prepaid: bool) -> Split:
    """BI-10: the part from the prepaid balance (a given amount, or as much as the balance covers),
    and with a card the rest of what is owed. Raises ValueError naming the field when it cannot be."""
    if prepaid_minor is not None:
        if prepaid_minor <= 0:
            raise ValueError(("prepaid_amount_minor", "is a positive amount of minor units"))
        if prepaid_minor > outstanding_minor:
            raise ValueError(("prepaid_amount_minor", f"only {outstanding_minor} is owed on this invoice"))
        if prepaid_minor > balance_minor:
            raise ValueError(("prepaid_amount_minor", f"the prepaid balance holds only {balance_minor}"))
        from_balance = prepaid_minor
    elif use_prepaid:
        from_balance = min(balance_minor, outstanding_minor)
    else:
        from_balance = 0
    if not card and from_balance == 0:
        raise ValueError(("prepaid_amount_minor", "the prepaid balance is empty: pay by card"))
    return Split(prepaid_minor=from_balance, card_minor=(outstanding_minor - from_balance) if card else 0)
