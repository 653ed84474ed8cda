"""Money: integer minor units with an ISO 4217 currency, never a float.

One rounding rule for the whole of billing, written here once: amounts are worked out exactly (as
fractions of a minor unit) and rounded once, on the final amount, half away from zero to the
minor unit. A daily rate is never rounded on its own: rounding it first gives visibly wrong cents.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational

CURRENCIES = {"CHF": 2, "EUR": 2}  # the currencies Portico invoices in, with their minor-unit digits


class CurrencyMismatch(ValueError):
    pass


def rounded(exact: Rational) -> int:
    """The rounding rule: half away from zero, to a whole minor unit."""
    exact = Fraction(exact)
    whole, rest = divmod(abs(exact.numerator), exact.denominator)
    if 2 * rest >= exact.denominator:
        whole += 1
    return whole if exact >= 0 else -whole


@dataclass(frozen=True, order=False)
class Money:
    minor: int  # cents, Rappen
    currency: str

    def __post_init__(self):
        if self.currency not in CURRENCIES:
            raise ValueError(f"Portico does not invoice in {self.currency!r}")
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("money is a whole number of minor units")

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def of(cls, exact: Rational, currency: str) -> "Money":
        """An exactly worked-out amount of minor units, rounded by the one rule."""
        return cls(rounded(exact), currency)

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise TypeError("money adds only to money")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not add up")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.minor <= other.minor

    def times(self, factor: Rational) -> Fraction:
        """An exact multiple, still unrounded: round it once, when the amount is final."""
        return self.minor * Fraction(factor)

    def __str__(self) -> str:
        digits = CURRENCIES[self.currency]
        sign = "-" if self.minor < 0 else ""
        units, cents = divmod(abs(self.minor), 10 ** digits)
        return f"{sign}{units}.{cents:0{digits}d} {self.currency}"
