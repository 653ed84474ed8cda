"""E-invoices (BI-06): an EUR invoice or credit note to a business is a Factur-X / ZUGFeRD PDF, its
UN/CEFACT CII XML of the EN 16931 profile embedded in the PDF, so the customer's bookkeeping reads it
without typing. The XML is written here from the domain's document; `factur-x` embeds it and checks it
against the profile's XSD (offline; its Schematron check needs an HTTP service, so it is not run).

VAT per rate: standard rate `S`; reverse charge `AE` with its exemption reason (VATEX-EU-AE); services
exported outside the EU `G` (VATEX-EU-G). A credit note is type 381 with positive amounts, settled
as it is issued (nothing due on it).
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from facturx import generate_from_binary
from lxml import etree

from ..domain.documents import CREDIT_NOTE, Document, Party
from ..domain.money import CURRENCIES, Money

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
EN16931 = "urn:cen.eu:en16931:2017"
INVOICE_TYPE, CREDIT_NOTE_TYPE = "380", "381"
SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461
REVERSE_CHARGE = ("AE", "Reverse charge", "VATEX-EU-AE")
EXPORT = ("G", "Export outside the EU", "VATEX-EU-G")
_NAMESPACES = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


def _e(parent, tag: str, text: str | None = None, **attributes) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{_NAMESPACES[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _amount(money: Money, sign: int) -> str:
    digits = CURRENCIES[money.currency]
    return f"{Decimal(money.minor * sign).scaleb(-digits):.{digits}f}"


def _percent(rate: Fraction) -> str:
    return f"{Decimal(rate.numerator) / Decimal(rate.denominator):.2f}"


def _date(parent, tag: str, value) -> None:
    holder = _e(parent, tag)
    _e(holder, "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _party(parent, tag: str, party: Party) -> None:
    element = _e(parent, tag)
    _e(element, "ram:Name", party.name)
    address = _e(element, "ram:PostalTradeAddress")
    if party.postcode:
        _e(address, "ram:PostcodeCode", party.postcode)
    street = " ".join(part for part in (party.street, party.house_number) if part)
    if street:
        _e(address, "ram:LineOne", street)
    if party.town:
        _e(address, "ram:CityName", party.town)
    _e(address, "ram:CountryID", party.country or "")
    if party.vat_id:
        _e(_e(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")


def _category(doc: Document, rate: Fraction) -> tuple[str, str | None, str | None]:
    if rate:
        return "S", None, None
    return REVERSE_CHARGE if doc.reverse_charge else EXPORT


def _tax(parent, doc: Document, rate: Fraction, sign: int, net: Money | None = None, vat: Money | None = None) -> None:
    """One rate's VAT: on a line its category and rate; in the header also the amounts and the reason."""
    code, reason, reason_code = _category(doc, rate)
    tax = _e(parent, "ram:ApplicableTradeTax")
    if vat is not None:
        _e(tax, "ram:CalculatedAmount", _amount(vat, sign))
    _e(tax, "ram:TypeCode", "VAT")
    if vat is not None and reason:
        _e(tax, "ram:ExemptionReason", reason)
    if net is not None:
        _e(tax, "ram:BasisAmount", _amount(net, sign))
    _e(tax, "ram:CategoryCode", code)
    if vat is not None and reason_code:
        _e(tax, "ram:ExemptionReasonCode", reason_code)
    _e(tax, "ram:RateApplicablePercent", _percent(rate))


def xml_of(doc: Document) -> bytes:
    """The document as CII XML, Factur-X profile EN 16931."""
    sign = -1 if doc.kind == CREDIT_NOTE else 1  # a credit note's lines are negative; CII wants them positive
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap={"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT})
    context = _e(root, "rsm:ExchangedDocumentContext")
    _e(_e(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = _e(root, "rsm:ExchangedDocument")
    _e(header, "ram:ID", doc.number)
    _e(header, "ram:TypeCode", CREDIT_NOTE_TYPE if doc.kind == CREDIT_NOTE else INVOICE_TYPE)
    _date(header, "ram:IssueDateTime", doc.issued_on)
    for note in doc.notes:
        _e(_e(header, "ram:IncludedNote"), "ram:Content", note)

    trade = _e(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(doc.lines, start=1):
        item = _e(trade, "ram:IncludedSupplyChainTradeLineItem")
        _e(_e(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(number))
        _e(_e(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        price = _e(_e(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _e(price, "ram:ChargeAmount", _amount(line.unit_net, sign))
        _e(_e(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", str(line.quantity), unitCode="C62")
        settlement = _e(item, "ram:SpecifiedLineTradeSettlement")
        _tax(settlement, doc, line.vat_rate, sign)
        if doc.supplied_from and doc.supplied_until:
            period = _e(settlement, "ram:BillingSpecifiedPeriod")
            _date(period, "ram:StartDateTime", doc.supplied_from)
            _date(period, "ram:EndDateTime", doc.supplied_until)
        summation = _e(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _e(summation, "ram:LineTotalAmount", _amount(line.net, sign))

    agreement = _e(trade, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", doc.seller)
    _party(agreement, "ram:BuyerTradeParty", doc.buyer)
    delivery = _e(trade, "ram:ApplicableHeaderTradeDelivery")
    if not (doc.supplied_from and doc.supplied_until):
        _date(_e(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", doc.issued_on)

    settlement = _e(trade, "ram:ApplicableHeaderTradeSettlement")
    if doc.pay_to and doc.pay_to.reference and doc.kind != CREDIT_NOTE:
        _e(settlement, "ram:PaymentReference", doc.pay_to.reference)
    _e(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if doc.pay_to and doc.kind != CREDIT_NOTE:
        means = _e(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _e(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        _e(_e(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", doc.pay_to.iban.replace(" ", ""))
        if doc.pay_to.bic:
            _e(_e(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", doc.pay_to.bic)
    for rate, net, vat in doc.vat_summary:
        _tax(settlement, doc, rate, sign, net, vat)
    if doc.supplied_from and doc.supplied_until:
        period = _e(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", doc.supplied_from)
        _date(period, "ram:EndDateTime", doc.supplied_until)
    if doc.due_on and doc.kind != CREDIT_NOTE:
        _date(_e(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime", doc.due_on)
    summation = _e(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    # a credit note settles at once: it cancels an open invoice, or its amount went onto the prepaid
    # balance (issuing.refund), so nothing is left to pay either way
    paid = Money(doc.total.minor * sign, doc.currency) if doc.kind == CREDIT_NOTE else (doc.paid or Money.zero(doc.currency))
    _e(summation, "ram:LineTotalAmount", _amount(doc.net, sign))
    _e(summation, "ram:TaxBasisTotalAmount", _amount(doc.net, sign))
    _e(summation, "ram:TaxTotalAmount", _amount(doc.vat, sign), currencyID=doc.currency)
    _e(summation, "ram:GrandTotalAmount", _amount(doc.total, sign))
    _e(summation, "ram:TotalPrepaidAmount", _amount(paid, 1))
    _e(summation, "ram:DuePayableAmount", _amount(Money(doc.total.minor * sign - paid.minor, doc.currency), 1))
    if doc.refers_to:  # the invoice a credit note answers (BT-25)
        _e(_e(settlement, "ram:InvoiceReferencedDocument"), "ram:IssuerAssignedID", doc.refers_to)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def embedded(pdf: bytes, doc: Document) -> bytes:
    """The PDF with its XML embedded as Factur-X (checked against the EN 16931 XSD as it is made)."""
    return generate_from_binary(pdf, xml_of(doc), flavor="factur-x", level="en16931", check_xsd=True,
                                lang={"de": "de-DE", "en": "en-GB", "fr": "fr-FR", "it": "it-IT"}[doc.language],
                                pdf_metadata={"author": doc.seller.name, "title": f"{doc.number}",
                                              "subject": f"{doc.number}", "keywords": "Factur-X"})
