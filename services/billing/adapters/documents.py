"""Rendering billing's documents: a PDF (fpdf2) in the organization's language, amounts and dates
formatted by Babel; a CSV of a set of invoices (BI-13). What a document says is the domain's
(domain/documents.py); here only how it looks. A CHF invoice carries its Swiss QR-bill (qr_bill.py);
an EUR invoice or credit note to a business is a Factur-X e-invoice (e_invoice.py) (BI-06).

The PDF uses the standard Helvetica font (Latin-1: every letter of German, French and Italian);
a character outside it prints as "?" rather than failing the document. An e-invoice is a PDF/A-3
document, as Factur-X requires: it carries its fonts (DejaVu Sans, `data/fonts/`, in Helvetica's
place) and declares the sRGB colours it is printed in.
"""
from __future__ import annotations

import csv
import functools
import io
import logging
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import OutputIntentSubType
from fpdf.output import PDFICCProfile
from PIL import ImageCms

from ..domain.documents import CREDIT_NOTE, INVOICE, PRO_FORMA, QUOTE, Document, Party
from ..domain.money import CURRENCIES, Money
from . import e_invoice, qr_bill

log = logging.getLogger(__name__)
LOCALES = {"de": "de_CH", "en": "en_GB", "fr": "fr_CH", "it": "it_CH"}

LABELS = {
    "de": {
        INVOICE: "Rechnung", CREDIT_NOTE: "Gutschrift", PRO_FORMA: "Proforma-Rechnung", QUOTE: "Offerte",
        "number": "Nummer", "issued_on": "Datum", "due_on": "Zahlbar bis", "valid_until": "Gültig bis",
        "period": "Leistungszeitraum", "supplied_on": "Leistungsdatum", "refers_to": "Zu Rechnung",
        "seller_vat": "MWST-/USt-Nr.", "buyer_vat": "USt-IdNr. des Kunden", "description": "Leistung",
        "quantity": "Menge", "unit": "Einzelpreis netto", "net": "Netto", "rate": "MWST-Satz", "vat": "MWST",
        "total": "Total", "taxable": "Steuerbarer Betrag", "paid": "Bezahlt", "reverse_charge":
        "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 MwStSystRL).",
        "no_vat": "Nicht steuerbare Leistung (Export von Dienstleistungen).",
        "no_legal_value": "PROFORMA - KEINE RECHNUNG. Dieses Dokument hat keinen rechtlichen Wert und berechtigt "
                          "nicht zum Vorsteuerabzug.",
        "quote_note": "Dies ist ein Angebot und keine Rechnung.",
        "pay_to": "Zahlbar an IBAN", "reference": "Referenz",
    },
    "en": {
        INVOICE: "Invoice", CREDIT_NOTE: "Credit note", PRO_FORMA: "Pro-forma invoice", QUOTE: "Quote",
        "number": "Number", "issued_on": "Date of issue", "due_on": "Due on", "valid_until": "Valid until",
        "period": "Period of supply", "supplied_on": "Date of supply", "refers_to": "Cancels invoice",
        "seller_vat": "VAT number", "buyer_vat": "Customer's VAT ID", "description": "Service",
        "quantity": "Qty", "unit": "Unit price excl. VAT", "net": "Net", "rate": "VAT rate", "vat": "VAT",
        "total": "Total", "taxable": "Taxable amount", "paid": "Paid", "reverse_charge":
        "Reverse charge: VAT is due by the recipient (art. 196 VAT directive).",
        "no_vat": "Not subject to VAT (export of services).",
        "no_legal_value": "PRO-FORMA - NOT AN INVOICE. This document has no legal value and does not entitle "
                          "to deduct input VAT.",
        "quote_note": "This is an offer, not an invoice.",
        "pay_to": "Pay to IBAN", "reference": "Reference",
    },
    "fr": {
        INVOICE: "Facture", CREDIT_NOTE: "Note de crédit", PRO_FORMA: "Facture pro forma", QUOTE: "Offre",
        "number": "Numéro", "issued_on": "Date d'émission", "due_on": "Échéance", "valid_until": "Valable jusqu'au",
        "period": "Période de prestation", "supplied_on": "Date de prestation", "refers_to": "Annule la facture",
        "seller_vat": "N° TVA", "buyer_vat": "N° TVA du client", "description": "Prestation",
        "quantity": "Qté", "unit": "Prix unitaire HT", "net": "HT", "rate": "Taux TVA", "vat": "TVA",
        "total": "Total", "taxable": "Montant imposable", "paid": "Payé", "reverse_charge":
        "Autoliquidation : TVA due par le preneur (art. 196 directive TVA).",
        "no_vat": "Non soumis à la TVA (exportation de services).",
        "no_legal_value": "PRO FORMA - PAS UNE FACTURE. Ce document n'a aucune valeur juridique et ne donne pas "
                          "droit à la déduction de la TVA.",
        "quote_note": "Ceci est une offre et non une facture.",
        "pay_to": "Payable à l'IBAN", "reference": "Référence",
    },
    "it": {
        INVOICE: "Fattura", CREDIT_NOTE: "Nota di credito", PRO_FORMA: "Fattura pro forma", QUOTE: "Offerta",
        "number": "Numero", "issued_on": "Data di emissione", "due_on": "Scadenza", "valid_until": "Valida fino al",
        "period": "Periodo della prestazione", "supplied_on": "Data della prestazione", "refers_to": "Annulla la fattura",
        "seller_vat": "N. IVA", "buyer_vat": "N. IVA del cliente", "description": "Prestazione",
        "quantity": "Qtà", "unit": "Prezzo unitario netto", "net": "Netto", "rate": "Aliquota IVA", "vat": "IVA",
        "total": "Totale", "taxable": "Imponibile", "paid": "Pagato", "reverse_charge":
        "Inversione contabile: IVA dovuta dal destinatario (art. 196 direttiva IVA).",
        "no_vat": "Non soggetto a IVA (esportazione di servizi).",
        "no_legal_value": "PRO FORMA - NON È UNA FATTURA. Questo documento non ha alcun valore legale e non dà "
                          "diritto alla detrazione dell'IVA.",
        "quote_note": "Questa è un'offerta, non una fattura.",
        "pay_to": "Pagabile all'IBAN", "reference": "Riferimento",
    },
}


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def amount(money: Money, language: str) -> str:
    digits = CURRENCIES[money.currency]
    value = Fraction(money.minor, 10 ** digits)
    return f"{format_decimal(Decimal(value.numerator) / Decimal(value.denominator), format='#,##0.00', locale=LOCALES[language])} {money.currency}"


def day(value: date, language: str) -> str:
    return format_date(value, format="long", locale=LOCALES[language])


def address_of(party: Party, language: str) -> list[str]:
    """The party's address lines, its country named in the document's language."""
    country = Locale.parse(LOCALES[language]).territories.get(party.country or "", party.country or "")
    return [*party.address, country] if country else list(party.address)


def rate(value: Fraction, language: str) -> str:
    return format_decimal(Decimal(value.numerator) / Decimal(value.denominator), format="0.##",
                          locale=LOCALES[language]) + " %"


class _Pdf(FPDF):
    footer_text = ""
    typeface = "helvetica"  # a core font; an e-invoice embeds its own (_archival)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pages_without_footer: set[int] = set()  # the page a QR-bill fills to its bottom edge

    def footer(self):
        if self.page in self.pages_without_footer:
            return
        self.set_y(-15)
        self.set_font(self.typeface, size=7)
        self.cell(0, 8, _latin(self.footer_text), align="C")


def pdf_of(doc: Document) -> bytes:
    """The document's PDF: with its QR-bill when it has one, as Factur-X when it is an e-invoice."""
    content = _pdf_of(doc)
    if not doc.is_e_invoice:
        return content
    try:
        return e_invoice.embedded(content, doc)
    except Exception:  # the XML the schema refuses: the customer still gets the invoice, as a plain PDF
        log.exception("invoice %s: no Factur-X, its XML does not pass the EN 16931 schema", doc.number)
        return content


FONTS = Path(__file__).resolve().parents[1] / "data" / "fonts"


@functools.lru_cache(maxsize=1)
def _srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _archival(pdf: FPDF) -> None:
    """PDF/A-3 (Factur-X): embedded fonts in Helvetica's place, and the sRGB output intent."""
    pdf.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.typeface = "dejavu"
    pdf.add_output_intent(OutputIntentSubType.PDFA, "sRGB", "sRGB IEC61966-2.1", "http://www.color.org",
                          PDFICCProfile(contents=_srgb(), n=3, alternate="DeviceRGB"), "sRGB IEC61966-2.1")


def _pdf_of(doc: Document) -> bytes:
    words = LABELS[doc.language]
    pdf = _Pdf(format="A4", enforce_compliance="PDF/A-3B" if doc.is_e_invoice else None)
    if doc.is_e_invoice:
        _archival(pdf)
    pdf.footer_text = (f"{doc.seller.name} - {', '.join(address_of(doc.seller, doc.language))} - "
                       f"{words['seller_vat']} {doc.seller.vat_id or ''}")
    pdf.set_title(_latin(words[doc.kind] + (f" {doc.number}" if doc.number else "")))
    pdf.set_author(_latin(doc.seller.name))
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font(pdf.typeface, size=9)

    def text(value: str, size: float = 9, style: str = "", height: float = 4.5):
        pdf.set_font(pdf.typeface, style=style, size=size)
        pdf.multi_cell(0, height, _latin(value), new_x="LMARGIN", new_y="NEXT")

    # seller (art. 226 (5); MWSTG art. 26 (2a)) and buyer (art. 226 (4, 5); (2b))
    text(doc.seller.name, 11, "B")
    for part in address_of(doc.seller, doc.language):
        text(part)
    if doc.seller.vat_id:
        text(f"{words['seller_vat']}: {doc.seller.vat_id}")
    pdf.ln(6)
    text(doc.buyer.name, 10, "B")
    for part in address_of(doc.buyer, doc.language):
        text(part)
    if doc.buyer.vat_id:
        text(f"{words['buyer_vat']}: {doc.buyer.vat_id}")
    pdf.ln(6)
    title = words[doc.kind]
    if not doc.legal and doc.kind == PRO_FORMA:
        pdf.set_text_color(180, 0, 0)
        text(words["no_legal_value"], 11, "B", 5.5)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
    text(title + (f" {doc.number}" if doc.number else ""), 15, "B", 8)
    facts = [(words["issued_on"], day(doc.issued_on, doc.language))]
    if doc.number:
        facts.append((words["number"], doc.number))
    if doc.supplied_from and doc.supplied_until:
        facts.append((words["period"], f"{day(doc.supplied_from, doc.language)} - {day(doc.supplied_until, doc.language)}"))
    elif doc.legal:
        facts.append((words["supplied_on"], day(doc.issued_on, doc.language)))
    if doc.refers_to:
        facts.append((words["refers_to"], doc.refers_to))
    if doc.due_on and doc.kind == INVOICE:
        facts.append((words["due_on"], day(doc.due_on, doc.language)))
    if doc.valid_until:
        facts.append((words["valid_until"], day(doc.valid_until, doc.language)))
    for label, value in facts:
        text(f"{label}: {value}")
    pdf.ln(4)
    # the services, quantity, unit price without VAT, rate (art. 226 (6, 8, 9); MWSTG art. 26 (2d-f))
    pdf.set_font(pdf.typeface, size=8.5)
    with pdf.table(col_widths=(70, 12, 34, 18, 34), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
                   first_row_as_headings=True, line_height=5) as table:
        table.row([_latin(words[k]) for k in ("description", "quantity", "unit", "rate", "net")])
        for line in doc.lines:
            table.row([_latin(line.description), str(line.quantity), _latin(amount(line.unit_net, doc.language)),
                       _latin(rate(line.vat_rate, doc.language)), _latin(amount(line.net, doc.language))])
    pdf.ln(4)
    # taxable amount and VAT per rate (art. 226 (8, 10); MWSTG art. 26 (2f))
    with pdf.table(col_widths=(40, 50, 50), text_align=("RIGHT", "RIGHT", "RIGHT"), first_row_as_headings=True,
                   line_height=5, width=110, align="RIGHT") as table:
        table.row([_latin(words[k]) for k in ("rate", "taxable", "vat")])
        for vat_rate, net, vat in doc.vat_summary:
            table.row([_latin(rate(vat_rate, doc.language)), _latin(amount(net, doc.language)),
                       _latin(amount(vat, doc.language))])
    pdf.ln(3)
    text(f"{words['net']}: {amount(doc.net, doc.language)}", 9, "", 5)
    text(f"{words['vat']}: {amount(doc.vat, doc.language)}", 9, "", 5)
    text(f"{words['total']}: {amount(doc.total, doc.language)}", 11, "B", 6)
    if doc.kind == INVOICE and doc.paid is not None and doc.paid.minor:
        text(f"{words['paid']}: {amount(doc.paid, doc.language)}")
    pdf.ln(4)
    # the mention of reverse charge or exemption (art. 226 (11, 11a))
    if doc.reverse_charge:
        text(words["reverse_charge"], 9, "B")
    elif doc.legal and all(line.vat_rate == 0 for line in doc.lines):
        text(words["no_vat"], 9, "B")
    if doc.kind == QUOTE:
        text(words["quote_note"])
    if doc.kind == PRO_FORMA:
        pdf.ln(2)
        pdf.set_text_color(180, 0, 0)
        text(words["no_legal_value"], 9, "B")
        pdf.set_text_color(0, 0, 0)
    if doc.has_qr_bill:
        pdf.set_auto_page_break(False)
        drawn = qr_bill.draw(pdf, doc)
        pdf.set_auto_page_break(True, margin=20)
    else:
        drawn = False
    if doc.pay_to and doc.kind == INVOICE and not drawn:
        pdf.ln(2)
        text(f"{words['pay_to']}: {doc.pay_to.iban}" + (f" ({doc.pay_to.bic})" if doc.pay_to.bic else ""))
        if doc.pay_to.reference:
            text(f"{words['reference']}: {doc.pay_to.reference}")
    return bytes(pdf.output())


CSV_COLUMNS = ("number", "kind", "status", "issued_on", "due_on", "currency", "net", "vat", "total", "paid",
               "outstanding", "refers_to")


def _cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _decimal(money: Money | None) -> str:
    if money is None:
        return ""
    digits = CURRENCIES[money.currency]
    sign = "-" if money.minor < 0 else ""
    units, cents = divmod(abs(money.minor), 10 ** digits)
    return f"{sign}{units}.{cents:0{digits}d}"


def csv_of(invoices) -> bytes:
    """BI-13: a set of invoices, one a row; amounts as decimals in the invoice's currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for invoice in invoices:
        writer.writerow([_cell(v) for v in (
            invoice.number, CREDIT_NOTE if invoice.credit_note_of else INVOICE, invoice.status,
            invoice.issued_on.isoformat(), invoice.due_on.isoformat(), invoice.currency, _decimal(invoice.net),
            _decimal(invoice.vat), _decimal(invoice.total), _decimal(invoice.paid), _decimal(invoice.outstanding),
            invoice.credit_note_of)])
    return out.getvalue().encode("utf-8")
