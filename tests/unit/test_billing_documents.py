"""Billing's documents (BI-07, BI-13, BI-14): an invoice's PDF in the organization's language with the
content the law requires (EU VAT directive art. 226, Swiss VAT act art. 26), pro-forma documents
marked as having no legal value, and a set of invoices as CSV that no spreadsheet runs as formulas."""
from __future__ import annotations

import re
from datetime import date

import pytest

from services.billing.adapters import documents as render
from services.billing.domain import documents
from services.billing.domain.invoices import cancel, issue, number
from services.billing.domain.money import Money
from services.billing.domain.vat import treatment

MAY = date(2026, 5, 4)
SELLER = documents.party_of({"name": "Portico AG", "vat_id": "CHE-116.281.710 MWST", "address": {
    "street": "Technoparkstrasse", "house_number": "1", "postcode": "8005", "town": "Zürich", "country": "CH"}})
BUYER_DE = documents.Party("Müller GmbH", ("Hauptstrasse 5", "10115 Berlin"), "DE", "DE136695976")
BUYER_CH = documents.Party("Bäckerei Beispiel", ("Dorfstrasse 1", "8000 Zürich"), "CH", None)


def text_of(pdf: bytes) -> str:
    """The text a PDF shows, as a reader extracts it (whatever its fonts), spaces normalized."""
    import io

    import pypdf

    assert pdf.startswith(b"%PDF-")
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def an_invoice(country="CH", valid_vat_id=False, currency="CHF"):
    return issue("i-1", number(currency, 2026, 42), "o-1", currency,
                 [("Hosting S, May", Money(990, currency)), ("Domain example.ch", Money(1500, currency))], MAY,
                 date(2026, 6, 3), treatment(country, MAY, valid_vat_id=valid_vat_id))


@pytest.mark.parametrize("language, title, vat", [("de", "Rechnung", "MWST"), ("en", "Invoice", "VAT"),
                                                  ("fr", "Facture", "TVA"), ("it", "Fattura", "IVA")])
def test_BI_13_an_invoice_is_a_pdf_in_the_organizations_language_with_what_the_law_requires(language, title, vat):
    pdf = render.pdf_of(documents.of_invoice(an_invoice(), SELLER, BUYER_CH, language))
    shown = text_of(pdf)
    assert f"{title} CHF-2026-000042" in shown
    for required in (SELLER.name, SELLER.vat_id, "Technoparkstrasse 1", "8005 Zürich", BUYER_CH.name,
                     *BUYER_CH.address, "Hosting S, May", "Domain example.ch"):
        assert required in shown, required
    assert {"de": "Schweiz", "en": "Switzerland", "fr": "Suisse", "it": "Svizzera"}[language] in shown
    assert re.search(r"8[.,]1 %", shown)  # the rate
    assert re.search(r"2[.,]02 CHF", shown)  # VAT on 24.90 at 8.1 %, rounded once
    assert re.search(r"26[.,]92 CHF", shown)  # the total
    assert vat in shown


def test_BI_13_a_reverse_charge_invoice_names_the_customers_vat_id_and_says_who_owes_the_vat():
    pdf = render.pdf_of(documents.of_invoice(an_invoice("DE", True, "EUR"), SELLER, BUYER_DE, "de"))
    shown = text_of(pdf)
    assert "DE136695976" in shown and "Reverse Charge" in shown and "0 %" in shown


def test_BI_13_a_credit_note_names_the_invoice_it_cancels():
    _, note = cancel(an_invoice(), "c-1", number("CHF", 2026, 43), MAY)
    shown = text_of(render.pdf_of(documents.of_invoice(note, SELLER, BUYER_CH, "fr")))
    assert "Note de crédit CHF-2026-000043" in shown and "CHF-2026-000042" in shown


@pytest.mark.parametrize("language, words", [("de", "KEINE RECHNUNG"), ("en", "NOT AN INVOICE"),
                                             ("fr", "PAS UNE FACTURE"), ("it", "NON È UNA FATTURA")])
def test_BI_14_a_pro_forma_is_marked_as_having_no_legal_value_and_has_no_number(language, words):
    line = documents.Line("Hosting M", 2, Money(1990, "CHF"), treatment("CH", MAY, valid_vat_id=False).rate)
    doc = documents.pro_forma([line], MAY, SELLER, BUYER_CH, language)
    assert not doc.legal and doc.number is None
    shown = text_of(render.pdf_of(doc))
    assert shown.count(words) == 2  # at the top and at the end
    assert re.search(r"43[.,]02 CHF", shown)


def test_BI_13_a_character_outside_the_font_prints_as_a_question_mark_not_a_failure():
    buyer = documents.Party("株式会社 Example", ("東京",), "JP")
    shown = text_of(render.pdf_of(documents.of_invoice(an_invoice("JP"), SELLER, buyer, "en")))
    assert "? Example" in shown and "Not subject to VAT (export of services)." in shown


def test_BI_13_the_language_follows_the_choice_or_the_country():
    assert documents.language_for("FR") == "fr" and documents.language_for("IT") == "it"
    assert documents.language_for("CH") == "de" and documents.language_for("US") == "en"
    assert documents.language_for("DE", "it") == "it" and documents.language_for("DE", "xx") == "de"


def test_BI_13_a_set_of_invoices_as_csv_with_amounts_as_decimals_and_no_formulas():
    invoice = an_invoice()
    hostile = issue("i-2", "=HYPERLINK(\"http://evil\")", "o-1", "CHF", [("x", Money(100, "CHF"))], MAY, MAY,
                    treatment("CH", MAY, valid_vat_id=False))
    rows = render.csv_of([invoice, hostile]).decode().splitlines()
    assert rows[0].split(",")[:3] == ["number", "kind", "status"]
    assert rows[1].startswith("CHF-2026-000042,invoice,open,2026-05-04,2026-06-03,CHF,24.90,2.02,26.92,0.00,26.92")
    assert rows[2].startswith("\"'=HYPERLINK")


def test_BI_07_a_quote_expires_after_its_day_and_its_vat_is_rounded_once():
    from datetime import datetime, timezone

    from services.billing.domain.quotes import ACCEPTED, EXPIRED, OPEN, Quote

    quote = Quote(id="q", org_id="o", number="Q-2026-000001", currency="CHF", items=[],
                  lines=[{"description": "a", "net_minor": 990}, {"description": "b", "net_minor": 4900}],
                  vat_rate="81/10", reverse_charge=False, valid_until=date(2026, 5, 31),
                  created_at=datetime(2026, 5, 1, tzinfo=timezone.utc), created_by="clerk", customer={}, supplier={})
    assert quote.net_minor == 5890 and quote.vat_minor == 477  # 8.1 % of 58.90 = 4.7709
    assert quote.status_on(date(2026, 5, 31)) == OPEN and quote.status_on(date(2026, 6, 1)) == EXPIRED
    quote.status = ACCEPTED
    assert quote.status_on(date(2026, 6, 1)) == ACCEPTED
