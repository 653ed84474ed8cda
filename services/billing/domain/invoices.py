"""Invoices: lines, VAT per rate, totals, states and credit notes (BI-06, BI-13).

- Numbered per series (currency and year) without gaps: `CHF-2026-000042` (`number`). The next
  number of a series is the repository's to take, in the transaction that writes the invoice, so
  that a rolled-back invoice takes none.
- VAT is worked out per rate on the sum of the lines at that rate and rounded once per rate
  (money.py), as the invoice shows it.
- States: open → partially paid → paid; paid → refunded; open → cancelled; open or partly paid →
  cancelled when what it bills will not be delivered (`withdraw`). A cancelled invoice
  keeps its number and is answered by a credit note of its own number.
- Its document (PDF) can be downloaded once it is paid (BI-13).
"""
from __future__ import annotations

from functools import cached_property
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

from .money import Money, rounded
from .vat import Treatment, tax_on

OPEN, PARTIALLY_PAID, PAID, REFUNDED, CANCELLED = "open", "partially_paid", "paid", "refunded", "cancelled"
STATES = (OPEN, PARTIALLY_PAID, PAID, REFUNDED, CANCELLED)


class InvoiceRefused(ValueError):
    """A change the invoice's state does not allow; says why."""


def number(currency: str, year: int, sequence: int) -> str:
    """The invoice number: its series (currency and year) and its place in it."""
    return f"{currency}-{year}-{sequence:06d}"


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    net: Money  # negative on a credit note
    vat_rate: Fraction  # per cent


@dataclass(frozen=True)
class VatLine:
    rate: Fraction
    net: Money
    vat: Money


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str
    org_id: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    issued_on: date
    due_on: date
    treatment: Treatment
    status: str = OPEN
    paid: Money | None = None
    credit_note_of: str | None = None  # the number of the invoice a credit note cancels
    notes: tuple[str, ...] = field(default_factory=tuple)

    @cached_property  # asked for by net, vat, total and outstanding: worked out once per invoice
    def vat_lines(self) -> tuple[VatLine, ...]:
        rates = sorted({line.vat_rate for line in self.lines})
        summary = []
        for rate in rates:
            net = sum(line.net.minor for line in self.lines if line.vat_rate == rate)
            summary.append(VatLine(rate, Money(net, self.currency), Money(rounded(tax_on(net, rate)), self.currency)))
        return tuple(summary)

    @cached_property
    def net(self) -> Money:
        return Money(sum(line.net.minor for line in self.lines), self.currency)

    @cached_property
    def vat(self) -> Money:
        return Money(sum(v.vat.minor for v in self.vat_lines), self.currency)

    @cached_property
    def total(self) -> Money:
        return self.net + self.vat

    @property
    def outstanding(self) -> Money:
        return self.total - (self.paid or Money.zero(self.currency))

    @property
    def downloadable(self) -> bool:
        """BI-13: the document of an invoice is available once it is paid (and stays so)."""
        return self.status in (PAID, REFUNDED) or self.credit_note_of is not None


def issue(id: str, invoice_number: str, org_id: str, currency: str, lines: list[tuple[str, Money]], issued_on: date,
          due_on: date, treatment: Treatment) -> Invoice:
    """An open invoice; every line at the VAT rate of the customer's treatment (vat.py)."""
    if not lines:
        raise InvoiceRefused("An invoice has at least one line.")
    if any(amount.currency != currency for _, amount in lines):
        raise InvoiceRefused(f"Every line of a {currency} invoice is in {currency}.")
    if due_on < issued_on:
        raise InvoiceRefused("An invoice falls due on or after the day it is issued.")
    notes = (treatment.note,) if treatment.note else ()
    return Invoice(id, invoice_number, org_id, currency,
                   tuple(InvoiceLine(description, amount, treatment.rate) for description, amount in lines),
                   issued_on, due_on, treatment, paid=Money.zero(currency), notes=notes)


def pay(invoice: Invoice, amount: Money) -> Invoice:
    """A payment towards an open invoice: partly, or the rest of it; never more than is owed."""
    if invoice.status not in (OPEN, PARTIALLY_PAID):
        raise InvoiceRefused(f"A {invoice.status.replace('_', ' ')} invoice takes no payment.")
    if amount.minor <= 0:
        raise InvoiceRefused("A payment is a positive amount.")
    if invoice.outstanding < amount:
        raise InvoiceRefused(f"Only {invoice.outstanding} is owed on this invoice.")
    paid = invoice.paid + amount
    return replace(invoice, paid=paid, status=PAID if paid == invoice.total else PARTIALLY_PAID)


def cancel(invoice: Invoice, credit_note_id: str, credit_note_number: str, on: date) -> tuple[Invoice, Invoice]:
    """An open invoice is cancelled: it keeps its number, and a credit note of its own number
    answers it line by line."""
    if invoice.status != OPEN:
        raise InvoiceRefused("Only an open invoice without payments is cancelled; a paid one is refunded.")
    return replace(invoice, status=CANCELLED), _credit_note_of(invoice, credit_note_id, credit_note_number, on)


def withdraw(invoice: Invoice, credit_note_id: str, credit_note_number: str, on: date) -> tuple[Invoice, Invoice]:
    """DO-02, DO-03, DO-07: an invoice for something that will not be delivered (a failed domain order,
    a withdrawn renewal), open or partly paid, is cancelled: a credit note of its own number answers it;
    what was paid on it is the organization's again (the caller puts it on the prepaid balance)."""
    if invoice.status not in (OPEN, PARTIALLY_PAID) or invoice.credit_note_of is not None:
        raise InvoiceRefused("Only an open or partly paid invoice is withdrawn; a paid one is refunded.")
    return replace(invoice, status=CANCELLED), _credit_note_of(invoice, credit_note_id, credit_note_number, on)


def refund(invoice: Invoice, credit_note_id: str, credit_note_number: str, on: date) -> tuple[Invoice, Invoice]:
    """A paid invoice is refunded: it keeps its number, and a credit note of its own number answers
    it line by line, as a cancellation does."""
    if invoice.status != PAID:
        raise InvoiceRefused("Only a paid invoice is refunded.")
    return replace(invoice, status=REFUNDED), _credit_note_of(invoice, credit_note_id, credit_note_number, on)


def _credit_note_of(invoice: Invoice, credit_note_id: str, number: str, on: date) -> Invoice:
    return Invoice(credit_note_id, number, invoice.org_id, invoice.currency,
                   tuple(replace(line, net=-line.net) for line in invoice.lines), on, on, invoice.treatment,
                   status=PAID, paid=-invoice.total, credit_note_of=invoice.number, notes=invoice.notes)


def reopen(invoice: Invoice, amount: Money) -> Invoice:
    """BI-08: a payment the bank took back (a returned direct debit): the invoice owes it again,
    partly paid or open."""
    if invoice.status not in (PAID, PARTIALLY_PAID) or invoice.credit_note_of is not None:
        raise InvoiceRefused(f"A {invoice.status.replace('_', ' ')} invoice has no payment to take back.")
    if amount.minor <= 0 or (invoice.paid or Money.zero(invoice.currency)) < amount:
        raise InvoiceRefused(f"Only {invoice.paid} was paid on this invoice.")
    paid = invoice.paid - amount
    return replace(invoice, paid=paid, status=PARTIALLY_PAID if paid.minor else OPEN)
