"""The reference a customer's bank transfer carries, by which an incoming payment finds its invoice
(BI-06, BI-08): written on the invoice, its QR-bill and its direct debit, and read back from the bank's
statement.

- Paid to a Swiss QR-IBAN (institution id 30000-31999): a QR reference, 26 digits and a modulo-10
  recursive check digit, as QR-bills with a QR-IBAN require.
- Paid to any other account: an ISO 11649 creditor reference (`RF` and two check digits).

Both carry the invoice's series and sequence, so a reference names one invoice for ever.
"""
from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.ch import esr

QR_REFERENCE, CREDITOR_REFERENCE = "QRR", "SCOR"

# ISO 4217 numeric codes: the series' currency as digits inside a QR reference.
_CURRENCY_DIGITS = {"CHF": "756", "EUR": "978"}


def is_qr_iban(iban: str) -> bool:
    compact = re.sub(r"\s", "", iban).upper()
    return compact[:2] in ("CH", "LI") and 30000 <= int(compact[4:9]) <= 31999


def kind_for(iban: str) -> str:
    return QR_REFERENCE if is_qr_iban(iban) else CREDITOR_REFERENCE


def reference_for(invoice_number: str, iban: str) -> str:
    """The reference of the invoice `CHF-2026-000042` paid to `iban`."""
    currency, year, sequence = invoice_number.split("-")
    if kind_for(iban) == QR_REFERENCE:
        body = f"{_CURRENCY_DIGITS.get(currency, '000')}{year}{int(sequence):019d}"
        return body + esr.calc_check_digit(body)
    body = f"{currency}{year}{int(sequence)}"
    digits = "".join(str(int(c, 36)) for c in body + "RF00")  # ISO 11649's check digits, mod 97
    return f"RF{98 - int(digits) % 97:02d}{body}"


def normalized(text: str | None) -> str | None:
    """A reference as found on a statement (spaces, lower case) in the form it was issued; None when
    it is not a valid reference of either kind."""
    if not text:
        return None
    compact = re.sub(r"\s", "", text).upper()
    if compact.isdigit() and esr.is_valid(compact) and len(compact) == 27:
        return compact
    if compact.startswith("RF") and iso11649.is_valid(compact):
        return compact
    return None
