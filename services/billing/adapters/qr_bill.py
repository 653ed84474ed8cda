"""The Swiss QR-bill of a CHF invoice (BI-06): payment part and receipt, drawn by `qrbill` as SVG
and placed at the foot of an A4 page of the invoice's PDF (fpdf2 draws SVG itself).

Since 2025-11-22 only structured addresses are valid: street, house number, postcode and town go in
one by one, never as combined lines. The supplier's CHF account is a QR-IBAN, which takes the
invoice's QR reference (payment_reference.py).
"""
from __future__ import annotations

import io
import logging
from decimal import Decimal

from fpdf import FPDF
from qrbill import QRBill

from ..domain.documents import Document, Party
from ..domain.money import CURRENCIES, Money

log = logging.getLogger(__name__)
HEIGHT_MM = 105  # the payment part and receipt: the lowest 105 mm of an A4 page (SIX IG QR-bill 3.1)
A4_HEIGHT_MM = 297
A4_WIDTH_MM = 210

# What the slip says of an invoice already paid: it is then a copy, not a demand.
PAID = {"de": "Bezahlt - nicht erneut zahlen", "en": "Paid - do not pay again",
        "fr": "Payée - ne pas payer à nouveau", "it": "Pagata - non pagare di nuovo"}
INVOICE = {"de": "Rechnung", "en": "Invoice", "fr": "Facture", "it": "Fattura"}


def _address(party: Party) -> dict:
    """A structured address; qrbill shortens nothing, so the name is cut to the standard's 70."""
    return {"name": party.name[:70], "street": (party.street or "")[:70], "house_num": (party.house_number or "")[:16],
            "pcode": (party.postcode or "")[:16], "city": (party.town or "")[:35], "country": party.country or ""}


def _decimal(money: Money) -> str:
    digits = CURRENCIES[money.currency]
    return f"{Decimal(money.minor).scaleb(-digits):.{digits}f}"


def bill_of(doc: Document) -> QRBill:
    """The QR-bill of a CHF invoice (doc.has_qr_bill): the supplier's account and the invoice's reference."""
    note = f"{INVOICE[doc.language]} {doc.number}"
    if doc.settled:
        note = f"{PAID[doc.language]} - {note}"
    debtor = _address(doc.buyer) if doc.buyer.street and doc.buyer.postcode and doc.buyer.town else None

    def bill(debtor):
        return QRBill(account=doc.pay_to.iban, creditor=_address(doc.seller), amount=_decimal(doc.qr_bill_amount),
                      currency=doc.currency, debtor=debtor, reference_number=doc.pay_to.reference,
                      additional_information=note[:140], language=doc.language, top_line=True, payment_line=True)
    try:
        return bill(debtor)
    except ValueError:  # an address the standard refuses: the payer then writes theirs by hand (empty box)
        if debtor is None:
            raise
        return bill(None)


def svg_of(doc: Document) -> str:
    out = io.StringIO()
    bill_of(doc).as_svg(out)
    return out.getvalue()


def draw(pdf: FPDF, doc: Document) -> bool:
    """The QR-bill at the foot of the current page when the invoice leaves room for it, else on a
    page of its own; that page prints no footer (the slip is cut off along its top line). False when
    the standard refuses what the catalog says of the supplier: the invoice then names the account."""
    try:
        svg = svg_of(doc)
    except ValueError:
        log.exception("no QR-bill for invoice %s: the supplier's account or address does not fit", doc.number)
        return False
    if pdf.get_y() > A4_HEIGHT_MM - HEIGHT_MM - 2:
        pdf.add_page()
    pdf.image(io.BytesIO(svg.encode("utf-8")), x=0, y=A4_HEIGHT_MM - HEIGHT_MM, w=A4_WIDTH_MM)
    pages_without_footer = getattr(pdf, "pages_without_footer", None)
    if pages_without_footer is not None:
        pages_without_footer.add(pdf.page)
    return True
