"""VAT: rates as data per country, with the dates each applies, and who owes it.

The provider invoices from Switzerland or from an EU country. Rules:
- a customer in Switzerland or Liechtenstein (one VAT territory): the Swiss rate;
- a customer in the EU: a business with a valid VAT ID is invoiced without VAT, the customer owing
  it (reverse charge, EU VAT directive art. 196); anyone else at the rate of the customer's country
  (the one-stop shop since 2021);
- anyone else (outside both): no VAT (an export of services).
Standard rates only: hosting, domains and support are electronically supplied services.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

SWISS_TERRITORY = {"CH", "LI"}

# country -> [(first day it applies, standard rate in per cent)], oldest first
RATES: dict[str, list[tuple[date, Fraction]]] = {
    "CH": [(date(2018, 1, 1), Fraction("7.7")), (date(2024, 1, 1), Fraction("8.1"))],
    "AT": [(date(2016, 1, 1), Fraction(20))],
    "BE": [(date(1996, 1, 1), Fraction(21))],
    "BG": [(date(2007, 1, 1), Fraction(20))],
    "CY": [(date(2014, 1, 13), Fraction(19))],
    "CZ": [(date(2013, 1, 1), Fraction(21))],
    "DE": [(date(2007, 1, 1), Fraction(19)), (date(2020, 7, 1), Fraction(16)), (date(2021, 1, 1), Fraction(19))],
    "DK": [(date(1992, 1, 1), Fraction(25))],
    "EE": [(date(2009, 7, 1), Fraction(20)), (date(2024, 1, 1), Fraction(22)), (date(2025, 7, 1), Fraction(24))],
    "ES": [(date(2012, 9, 1), Fraction(21))],
    "FI": [(date(2013, 1, 1), Fraction(24)), (date(2024, 9, 1), Fraction("25.5"))],
    "FR": [(date(2014, 1, 1), Fraction(20))],
    "GR": [(date(2016, 6, 1), Fraction(24))],
    "HR": [(date(2013, 1, 1), Fraction(25))],
    "HU": [(date(2012, 1, 1), Fraction(27))],
    "IE": [(date(2012, 1, 1), Fraction(23))],
    "IT": [(date(2013, 10, 1), Fraction(22))],
    "LT": [(date(2009, 9, 1), Fraction(21))],
    "LU": [(date(2015, 1, 1), Fraction(17))],
    "LV": [(date(2011, 1, 1), Fraction(21))],
    "MT": [(date(2004, 1, 1), Fraction(18))],
    "NL": [(date(2012, 10, 1), Fraction(21))],
    "PL": [(date(2011, 1, 1), Fraction(23))],
    "PT": [(date(2011, 1, 1), Fraction(23))],
    "RO": [(date(2017, 1, 1), Fraction(19)), (date(2025, 8, 1), Fraction(21))],
    "SE": [(date(1990, 7, 1), Fraction(25))],
    "SI": [(date(2013, 7, 1), Fraction(22))],
    "SK": [(date(2011, 1, 1), Fraction(20)), (date(2025, 1, 1), Fraction(23))],
}
EU = set(RATES) - {"CH"}


class NoRate(LookupError):
    pass


def rate_on(country: str, day: date) -> Fraction:
    """The standard rate, in per cent, of `country` on `day`."""
    applying = [rate for since, rate in RATES.get(country, []) if since <= day]
    if not applying:
        raise NoRate(f"no VAT rate is known for {country} on {day}")
    return applying[-1]


@dataclass(frozen=True)
class Treatment:
    rate: Fraction  # per cent; 0 when no VAT is charged
    reverse_charge: bool = False
    note: str = ""  # what the invoice must say about it


def treatment(customer_country: str, day: date, *, valid_vat_id: bool) -> Treatment:
    """How VAT applies to a customer of `customer_country` invoiced on `day`."""
    if customer_country in SWISS_TERRITORY:
        return Treatment(rate_on("CH", day))
    if customer_country in EU:
        if valid_vat_id:
            return Treatment(Fraction(0), reverse_charge=True, note="Reverse charge: VAT due by the recipient")
        return Treatment(rate_on(customer_country, day))
    return Treatment(Fraction(0), note="Export of services: not subject to VAT")


def tax_on(net_minor: int, rate: Fraction) -> Fraction:
    """The exact VAT on a net amount of minor units, unrounded (rounded once on the invoice's total
    per rate, money.rounded)."""
    return net_minor * rate / 100
