"""The ledger: every movement of money is a balanced double-entry posting.

A posting moves amounts between accounts in one currency; its debits equal its credits, or it is
refused before anything is written. Accounts are named by what they hold for whom, e.g.
`receivable:<org>` (what an organization owes), `prepaid:<org>` (its prepaid balance, which the
provider owes it back), `revenue`, `vat:CH`, `cash:card`. A debit is positive, a credit negative: a
balanced posting sums to zero, and so does the whole ledger, always.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from .money import Money


class Unbalanced(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    account: str
    amount: Money  # positive: debit; negative: credit


@dataclass(frozen=True)
class Posting:
    id: str
    reason: str  # e.g. "invoice I-CHF-2026-000012", "top-up", "payment of I-…"
    entries: tuple[Entry, ...]
    posted_at: datetime

    def __post_init__(self):
        if len(self.entries) < 2:
            raise Unbalanced("a posting moves money between at least two accounts")
        currencies = {entry.amount.currency for entry in self.entries}
        if len(currencies) != 1:
            raise Unbalanced("a posting is in one currency")
        if sum(entry.amount.minor for entry in self.entries) != 0:
            raise Unbalanced(f"debits and credits of {self.reason!r} differ")


def posting(id: str, reason: str, posted_at: datetime, *, debit: dict[str, Money], credit: dict[str, Money]) -> Posting:
    """A posting from its debits and credits, each given as a positive amount per account."""
    entries = [Entry(account, amount) for account, amount in debit.items() if amount.minor]
    entries += [Entry(account, -amount) for account, amount in credit.items() if amount.minor]
    return Posting(id, reason, tuple(entries), posted_at)


@dataclass
class Ledger:
    """Balances of accounts, kept from postings (an in-memory view of the ledger's table)."""

    postings: list[Posting] = field(default_factory=list)

    def post(self, new: Posting) -> None:
        self.postings.append(new)

    def balance(self, account: str, currency: str) -> Money:
        total = sum(entry.amount.minor for p in self.postings for entry in p.entries
                    if entry.account == account and entry.amount.currency == currency)
        return Money(total, currency)

    def trial_balance(self) -> dict[str, int]:
        """Every currency's sum over all accounts: zero, whatever happened."""
        sums: dict[str, int] = defaultdict(int)
        for p in self.postings:
            for entry in p.entries:
                sums[entry.amount.currency] += entry.amount.minor
        return dict(sums)
