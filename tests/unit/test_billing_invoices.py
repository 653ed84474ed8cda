"""Invoices (services/billing/domain/invoices.py): numbers per series, VAT rounded once per rate,
payments in part and in full, cancellation by credit note, the document once paid (BI-06, BI-13)."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from services.billing.domain.invoices import (
    CANCELLED, OPEN, PAID, PARTIALLY_PAID, REFUNDED, InvoiceRefused, cancel, issue, number, pay, refund,
    withdraw,
)
from services.billing.domain.money import Money
from services.billing.domain.vat import treatment

CHF = lambda minor: Money(minor, "CHF")  # noqa: E731
EUR = lambda minor: Money(minor, "EUR")  # noqa: E731
MAY = date(2026, 5, 4)
SWISS = treatment("CH", MAY, valid_vat_id=False)


def an_invoice(lines=(("Hosting S, May", CHF(990)), ("Parallel events", CHF(990)), ("Mailbox", CHF(990))), **kw):
    return issue("inv-1", number("CHF", 2026, 42), "o-1", "CHF", list(lines), MAY, date(2026, 6, 3),
                 kw.pop("treatment", SWISS))


def test_invoice_numbers_run_per_currency_and_year():
    assert number("CHF", 2026, 42) == "CHF-2026-000042"
    assert number("EUR", 2027, 1) == "EUR-2027-000001"


def test_vat_is_rounded_once_per_rate_on_the_invoice():
    invoice = an_invoice()
    assert invoice.net == CHF(2970)
    assert [(v.rate, v.net, v.vat) for v in invoice.vat_lines] == [(Fraction("8.1"), CHF(2970), CHF(241))]
    assert invoice.total == CHF(3211)


def test_an_eu_business_is_invoiced_by_reverse_charge_and_the_invoice_says_so():
    business = issue("inv-2", number("EUR", 2026, 7), "o-2", "EUR", [("Hosting L", EUR(2000))], MAY, MAY,
                     treatment("DE", MAY, valid_vat_id=True))
    assert business.vat == EUR(0) and business.total == EUR(2000)
    assert any("Reverse charge" in note for note in business.notes)


def test_BI_06_an_invoice_is_paid_in_parts_and_never_beyond_what_is_owed():
    invoice = an_invoice()
    part = pay(invoice, CHF(1000))
    assert (part.status, part.outstanding) == (PARTIALLY_PAID, CHF(2211))
    with pytest.raises(InvoiceRefused, match="22.11 CHF"):
        pay(part, CHF(2212))
    paid = pay(part, CHF(2211))
    assert (paid.status, paid.outstanding) == (PAID, CHF(0))
    with pytest.raises(InvoiceRefused):
        pay(paid, CHF(1))


def test_BI_13_the_document_is_downloadable_once_paid():
    invoice = an_invoice()
    assert not invoice.downloadable and not pay(invoice, CHF(1000)).downloadable
    assert pay(invoice, invoice.total).downloadable
    refunded, _ = refund(pay(invoice, invoice.total), "inv-9", number("CHF", 2026, 44), date(2026, 5, 10))
    assert refunded.status == REFUNDED and refunded.downloadable


def test_BI_06_a_refunded_invoice_keeps_its_number_and_gets_a_credit_note_only_once_paid():
    invoice = an_invoice()
    with pytest.raises(InvoiceRefused):
        refund(invoice, "inv-4", number("CHF", 2026, 45), date(2026, 5, 10))
    with pytest.raises(InvoiceRefused):
        refund(pay(invoice, CHF(1000)), "inv-4", number("CHF", 2026, 45), date(2026, 5, 10))
    refunded, credit_note = refund(pay(invoice, invoice.total), "inv-4", number("CHF", 2026, 45), date(2026, 5, 10))
    assert (refunded.status, refunded.number) == (REFUNDED, invoice.number)
    assert credit_note.credit_note_of == invoice.number and credit_note.total == -invoice.total


def test_a_cancelled_invoice_keeps_its_number_and_gets_a_credit_note():
    invoice = an_invoice()
    cancelled, credit_note = cancel(invoice, "inv-3", number("CHF", 2026, 43), date(2026, 5, 10))
    assert (cancelled.status, cancelled.number) == (CANCELLED, "CHF-2026-000042")
    assert credit_note.credit_note_of == "CHF-2026-000042" and credit_note.number == "CHF-2026-000043"
    assert credit_note.total == -invoice.total and credit_note.downloadable
    with pytest.raises(InvoiceRefused):
        cancel(pay(invoice, CHF(100)), "inv-4", number("CHF", 2026, 44), MAY)


def test_DO_02_DO_03_an_open_or_partly_paid_invoice_is_withdrawn_with_a_credit_note_a_paid_one_is_not():
    invoice = an_invoice()
    partly = pay(invoice, CHF(100))
    cancelled, credit_note = withdraw(partly, "inv-5", number("CHF", 2026, 45), date(2026, 5, 10))
    assert (cancelled.status, cancelled.paid) == (CANCELLED, CHF(100))
    assert credit_note.credit_note_of == invoice.number and credit_note.total == -invoice.total
    assert withdraw(invoice, "inv-6", number("CHF", 2026, 46), MAY)[0].status == CANCELLED
    for not_withdrawn in (pay(invoice, invoice.total), cancelled, credit_note):
        with pytest.raises(InvoiceRefused):
            withdraw(not_withdrawn, "inv-7", number("CHF", 2026, 47), MAY)


def test_an_invoice_is_in_one_currency_and_has_lines():
    with pytest.raises(InvoiceRefused):
        an_invoice(lines=(("Hosting", EUR(100)),))
    with pytest.raises(InvoiceRefused):
        an_invoice(lines=())
    assert an_invoice().status == OPEN


@given(st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=20),
       st.lists(st.integers(min_value=1, max_value=10**7), max_size=10))
def test_payments_never_take_an_invoice_beyond_its_total(lines, payments):
    invoice = an_invoice(lines=[(f"line {i}", CHF(net)) for i, net in enumerate(lines)])
    for amount in payments:
        try:
            invoice = pay(invoice, CHF(amount))
        except InvoiceRefused:
            pass
        assert CHF(0) <= invoice.outstanding <= invoice.total
        assert (invoice.status == PAID) == (invoice.outstanding == CHF(0))


def test_bi_06_an_invoice_paid_to_a_qr_iban_carries_a_qr_reference_and_otherwise_a_creditor_reference():
    from stdnum import iso11649
    from stdnum.ch import esr

    from services.billing.domain.payment_reference import normalized, reference_for
    qr = reference_for("CHF-2026-000042", "CH44 3199 9123 0008 8901 2")
    assert len(qr) == 27 and esr.is_valid(qr)
    rf = reference_for("EUR-2026-000042", "DE89370400440532013000")
    assert rf.startswith("RF") and iso11649.is_valid(rf)
    assert reference_for("EUR-2026-000043", "DE89370400440532013000") != rf  # one invoice, one reference
    # as a statement may carry them: spaced, lower case; a mistyped one matches nothing
    assert normalized(" ".join([qr[:2], qr[2:7], qr[7:]])) == qr
    assert normalized(rf.lower()) == rf
    assert normalized(qr[:-1] + str((int(qr[-1]) + 1) % 10)) is None
