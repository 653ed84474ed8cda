"""Vouchers and free options (BI-12).

- A voucher code takes a percentage (1 to 100) or an amount off; it may be limited to products, to a
  number of uses and to dates (`valid_from` and `valid_until`, both included). An amount is in one
  currency and only takes off that much of what it applies to, never more.
- An order may carry several codes; each applies to one item of the order, the first of its products
  that no other code took, so two codes never discount the same item.
- A free option is an add-on support granted an organization: it shows at checkout and the first
  booking of it costs nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from .money import Money

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")


class VoucherRefused(ValueError):
    """A code that does not apply; says why."""


@dataclass(frozen=True)
class Voucher:
    code: str
    percent: int | None = None
    amount: Money | None = None
    product_ids: tuple[str, ...] = ()  # none: every product
    max_uses: int | None = None
    uses: int = 0
    valid_from: date | None = None
    valid_until: date | None = None

    def __post_init__(self):
        if not CODE.match(self.code):
            raise VoucherRefused("A code is 3 to 40 capital letters, digits, '-' or '_'.")
        if (self.percent is None) == (self.amount is None):
            raise VoucherRefused("A voucher takes off either a percentage or an amount.")
        if self.percent is not None and not 1 <= self.percent <= 100:
            raise VoucherRefused("A percentage is 1 to 100.")
        if self.amount is not None and self.amount.minor <= 0:
            raise VoucherRefused("An amount off is positive.")
        if self.max_uses is not None and self.max_uses < 1:
            raise VoucherRefused("A voucher can be used at least once.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise VoucherRefused("A voucher ends on or after the day it starts.")

    def covers(self, product_id: str) -> bool:
        return not self.product_ids or product_id in self.product_ids

    def check(self, on: date, currency: str) -> None:
        if self.valid_from and on < self.valid_from:
            raise VoucherRefused(f"The code {self.code} is valid from {self.valid_from.isoformat()}.")
        if self.valid_until and on > self.valid_until:
            raise VoucherRefused(f"The code {self.code} expired on {self.valid_until.isoformat()}.")
        if self.max_uses is not None and self.uses >= self.max_uses:
            raise VoucherRefused(f"The code {self.code} has been used up.")
        if self.amount is not None and self.amount.currency != currency:
            raise VoucherRefused(f"The code {self.code} is for orders in {self.amount.currency}.")

    def discount(self, subtotal: Money) -> Money:
        """What it takes off a subtotal: rounded once, never more than the subtotal."""
        if subtotal.minor <= 0:
            return Money.zero(subtotal.currency)
        if self.percent is not None:
            return Money.of(subtotal.times(Fraction(self.percent, 100)), subtotal.currency)
        return self.amount if self.amount < subtotal else subtotal


def assign(vouchers: list[Voucher], product_ids: list[str]) -> dict[int, Voucher]:
    """Each voucher to one item of an order (by index): the first of its products not taken by an
    earlier code. A code that finds no item is refused."""
    taken: dict[int, Voucher] = {}
    seen: set[str] = set()
    for voucher in vouchers:
        if voucher.code in seen:
            raise VoucherRefused(f"The code {voucher.code} is given twice.")
        seen.add(voucher.code)
        index = next((i for i, product_id in enumerate(product_ids) if i not in taken and voucher.covers(product_id)), None)
        if index is None:
            raise VoucherRefused(f"The code {voucher.code} applies to none of the products ordered.")
        taken[index] = voucher
    return taken


@dataclass(frozen=True)
class FreeOption:
    id: str
    org_id: str
    product_id: str
    add_on_id: str
    granted_by: str
    granted_at: datetime
    used_on: str | None = None  # the subscription it went to
