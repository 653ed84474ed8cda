"""How an invoice is paid, on the invoice itself (BI-06), in the organization's language (BI-13): the
Swiss QR-bill of a CHF invoice, the Factur-X e-invoice of an EUR invoice to a business."""
from __future__ import annotations

import io
from datetime import date

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from portico_kernel.records import record_from
from services.billing.adapters import documents as render
from services.billing.adapters import e_invoice, qr_bill
from services.billing.domain import documents
from services.billing.domain.invoices import cancel, issue, number, pay
from services.billing.domain.money import Money
from services.billing.domain.payment_reference import reference_for
from services.billing.domain.vat import treatment

MAY = date(2026, 5, 4)
QR_IBAN, EUR_IBAN = "CH4431999123000889012", "DE89370400440532013000"
SUPPLIER = {"name": "Portico AG", "vat_id": "CHE-116.281.710 MWST", "address": {
    "street": "Technoparkstrasse", "house_number": "1", "postcode": "8005", "town": "Zürich", "country": "CH"},
    "bank_accounts": {"CHF": {"iban": QR_IBAN, "bic": "RAIFCH22XXX"}, "EUR": {"iban": EUR_IBAN, "bic": "COBADEFFXXX"}}}
SELLER = documents.party_of(SUPPLIER)
SWISS = documents.party_of({"name": "Bäckerei Beispiel", "type": "company", "address": {
    "street": "Dorfstrasse", "house_number": "1", "postcode": "8000", "town": "Zürich", "country": "CH"}})
GERMAN = documents.party_of({"name": "Müller GmbH", "type": "company", "vat_id": "DE136695976", "address": {
    "street": "Hauptstrasse", "house_number": "5", "postcode": "10115", "town": "Berlin", "country": "DE"}})
GERMAN_PERSON = documents.party_of({"name": "Erika Mustermann", "type": "private", "vat_id": "DE136695976", "address": {
    "street": "Hauptstrasse", "house_number": "6", "postcode": "10115", "town": "Berlin", "country": "DE"}})
AMERICAN = documents.party_of({"name": "Example Inc.", "type": "company", "vat_id": "US-12-3456789", "address": {
    "street": "Main Street", "house_number": "1", "postcode": "10001", "town": "New York", "country": "US"}})
NS = {"ram": e_invoice.RAM, "rsm": e_invoice.RSM}


def invoice_of(currency: str, country: str, business: bool, sequence: int = 42):
    return issue("i-1", number(currency, 2026, sequence), "o-1", currency,
                 [("Hosting S, May", Money(990, currency)), ("Domain example.ch", Money(1500, currency))], MAY,
                 date(2026, 6, 3), treatment(country, MAY, valid_vat_id=business))


def document_of(invoice, buyer, language="de"):
    reference = reference_for(invoice.number, SUPPLIER["bank_accounts"][invoice.currency]["iban"])
    return documents.of_invoice(invoice, SELLER, buyer, language,
                                documents.pay_to(SUPPLIER, invoice.currency, None if invoice.credit_note_of else reference))


def qr_payload(doc) -> list[str]:
    return qr_bill.bill_of(doc).qr_data().split("\r\n")


def test_BI_06_a_chf_invoice_has_a_qr_bill_to_the_qr_iban_with_its_reference_and_structured_addresses():
    doc = document_of(invoice_of("CHF", "CH", False), SWISS)
    assert doc.has_qr_bill and not doc.is_e_invoice
    payload = qr_payload(doc)
    assert payload[:3] == ["SPC", "0200", "1"] and payload[3] == QR_IBAN
    assert payload[4:11] == ["S", "Portico AG", "Technoparkstrasse", "1", "8005", "Zürich", "CH"]  # S: structured
    assert payload[18:20] == ["26.92", "CHF"]  # nothing paid yet: the total
    assert payload[20:27] == ["S", "Bäckerei Beispiel", "Dorfstrasse", "1", "8000", "Zürich", "CH"]
    assert payload[27:29] == ["QRR", doc.pay_to.reference] and doc.pay_to.reference == reference_for(doc.number, QR_IBAN)


def test_BI_06_the_qr_bill_asks_what_is_still_owed_and_says_so_once_the_invoice_is_paid():
    invoice = pay(invoice_of("CHF", "CH", False), Money(1000, "CHF"))
    assert qr_payload(document_of(invoice, SWISS))[18] == "16.92"
    paid = pay(invoice, Money(1692, "CHF"))
    doc = document_of(paid, SWISS, "it")
    payload = qr_payload(doc)
    assert doc.settled and payload[18] == "26.92"  # a copy of the invoice as issued ...
    assert payload[29].startswith("Pagata - non pagare di nuovo")  # ... that says it is paid


def test_BI_06_no_qr_bill_on_a_credit_note_an_eur_invoice_or_without_a_chf_account():
    _, note = cancel(invoice_of("CHF", "CH", False), "c-1", number("CHF", 2026, 43), MAY)
    assert not document_of(note, SWISS).has_qr_bill
    assert not document_of(invoice_of("EUR", "DE", False), GERMAN_PERSON).has_qr_bill
    assert not documents.of_invoice(invoice_of("CHF", "CH", False), SELLER, SWISS, "de").has_qr_bill


def test_BI_06_a_customer_address_the_standard_refuses_leaves_the_payer_box_empty_not_a_failure():
    odd = documents.Party("Somebody", (), "CH", street="Weg", house_number="1", postcode="8000", town="Zürich",
                          org_type="private")
    odd = documents.Party(**{**odd.__dict__, "country": "XX"})
    payload = qr_payload(document_of(invoice_of("CHF", "CH", False), odd))
    assert payload[20:27] == [""] * 7


@pytest.mark.parametrize("language, part, receipt", [("de", "Zahlteil", "Empfangsschein"),
                                                     ("fr", "Section paiement", "Récépissé"),
                                                     ("it", "Sezione pagamento", "Ricevuta"),
                                                     ("en", "Payment part", "Receipt")])
def test_BI_13_the_qr_bill_is_drawn_into_the_pdf_in_the_documents_language(language, part, receipt):
    doc = document_of(invoice_of("CHF", "CH", False), SWISS, language)
    shown = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render.pdf_of(doc))).pages)
    assert part in shown and receipt in shown and "75 62026 00000 00000 00000 00427" in shown


def test_BI_06_a_long_invoice_puts_its_qr_bill_on_a_page_of_its_own():
    lines = [(f"Domain example-{n}.ch", Money(1500, "CHF")) for n in range(30)]
    invoice = issue("i-1", number("CHF", 2026, 42), "o-1", "CHF", lines, MAY, date(2026, 6, 3),
                    treatment("CH", MAY, valid_vat_id=False))
    pages = PdfReader(io.BytesIO(render.pdf_of(document_of(invoice, SWISS)))).pages
    assert len(pages) >= 2 and "Zahlteil" in pages[-1].extract_text()
    assert all("Zahlteil" not in page.extract_text() for page in pages[:-1])


def test_BI_06_e_invoices_go_to_businesses_in_eur_only():
    assert document_of(invoice_of("EUR", "DE", True), GERMAN).is_e_invoice
    assert not document_of(invoice_of("EUR", "DE", False), GERMAN_PERSON).is_e_invoice  # a private person
    assert not document_of(invoice_of("CHF", "CH", False), SWISS).is_e_invoice
    line = documents.Line("Hosting", 1, Money(990, "EUR"), treatment("DE", MAY, valid_vat_id=True).rate)
    assert not documents.pro_forma([line], MAY, SELLER, GERMAN, "de", reverse_charge=True).is_e_invoice


def _checked(doc) -> etree._Element:
    pdf = render.pdf_of(doc)
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml" and facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return etree.fromstring(xml)


def _texts(root, path: str) -> list[str]:
    return root.xpath(path + "/text()", namespaces=NS)


def test_BI_06_a_reverse_charge_invoice_is_factur_x_with_category_AE_and_its_amounts():
    doc = document_of(invoice_of("EUR", "DE", True), GERMAN)
    root = _checked(doc)
    assert _texts(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert _texts(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == ["urn:cen.eu:en16931:2017"]
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _texts(root, header_tax + "ram:CategoryCode") == ["AE"]
    assert _texts(root, header_tax + "ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert _texts(root, header_tax + "ram:BasisAmount") == ["24.90"] and _texts(root, header_tax + "ram:CalculatedAmount") == ["0.00"]
    assert _texts(root, "//ram:GrandTotalAmount") == ["24.90"] and _texts(root, "//ram:DuePayableAmount") == ["24.90"]
    assert _texts(root, "//ram:LineTotalAmount") == ["9.90", "15.00", "24.90"]
    assert _texts(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["DE136695976"]
    assert _texts(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:LineOne") == ["Hauptstrasse 5"]
    assert _texts(root, "//ram:PaymentReference") == [reference_for(doc.number, EUR_IBAN)]
    assert _texts(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [EUR_IBAN]
    assert _texts(root, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/*") == ["20260603"]


def test_BI_06_an_export_outside_the_eu_is_category_G_and_a_standard_rate_category_S():
    root = _checked(document_of(invoice_of("EUR", "US", True), AMERICAN))
    assert _texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == ["G"]
    assert _texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == ["VATEX-EU-G"]
    standard = document_of(invoice_of("EUR", "DE", False), GERMAN)  # a business asked for no reverse charge
    root = etree.fromstring(e_invoice.xml_of(standard))
    assert facturx.xml_check_xsd(etree.tostring(root), flavor="factur-x", level="en16931")
    assert _texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == ["S"]
    assert _texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent") == ["19.00"]
    assert _texts(root, "//ram:TaxTotalAmount") == ["4.73"] and _texts(root, "//ram:GrandTotalAmount") == ["29.63"]


def test_BI_06_a_credit_note_is_factur_x_type_381_with_positive_amounts_naming_its_invoice():
    _, note = cancel(invoice_of("EUR", "DE", True), "c-1", number("EUR", 2026, 43), MAY)
    root = _checked(document_of(note, GERMAN))
    assert _texts(root, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert _texts(root, "//ram:GrandTotalAmount") == ["24.90"] and _texts(root, "//ram:ChargeAmount") == ["9.90", "15.00"]
    assert _texts(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["EUR-2026-000042"]
    assert _texts(root, "//ram:TotalPrepaidAmount") == ["24.90"] and _texts(root, "//ram:DuePayableAmount") == ["0.00"]
    assert not _texts(root, "//ram:PaymentReference")


def test_BI_13_the_language_is_the_one_asked_for_else_the_countrys_as_the_organization_speaks_it():
    assert documents.language_for("CH", None, "fr") == "fr" and documents.language_for("CH", None, "it") == "it"
    assert documents.language_for("CH", "it", "fr") == "it"  # asked for: wins
    assert documents.language_for("CH", None, None) == "de" and documents.language_for("CH", None, "xx") == "de"
    assert documents.language_for("CH", None, "en") == "de"  # a sign-up's default says nothing of Switzerland
    assert documents.language_for("FR", None, "en") == "fr" and documents.language_for("BE", None, "de") == "de"
    assert documents.language_for("US", None, "de") == "de" and documents.language_for("US", None, None) == "en"


def test_BI_13_billing_keeps_the_language_an_organization_was_created_in_and_older_events_have_none(clock):
    from services.billing.domain.accounts import on_organization_created
    from services.billing.domain.events import OrganizationCreated

    from .fakes import FakeAccounts, FakeUnitOfWork

    uow = FakeUnitOfWork(clock, accounts=FakeAccounts())
    payload = {"org_id": "o-1", "name": "Atelier", "type": "company", "country": "CH", "created_by": "u-1"}
    on_organization_created(record_from(OrganizationCreated, {**payload, "language": "fr"}), uow)
    on_organization_created(record_from(OrganizationCreated, {**payload, "org_id": "o-2"}), uow)
    assert [(account.org_id, account.language) for account in uow.accounts.rows] == [("o-1", "fr"), ("o-2", None)]


def test_BI_06_an_invoice_without_a_reference_that_fits_the_qr_iban_names_the_account_instead_of_a_qr_bill():
    invoice = invoice_of("CHF", "CH", False)
    older = documents.of_invoice(invoice, SELLER, SWISS, "de", documents.pay_to(SUPPLIER, "CHF", None))
    other = documents.of_invoice(invoice, SELLER, SWISS, "de", documents.pay_to(SUPPLIER, "CHF", "RF18539007547034"))
    for doc in (older, other):
        assert not doc.has_qr_bill
        shown = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render.pdf_of(doc))).pages)
        assert f"Zahlbar an IBAN: {QR_IBAN}" in shown and "Zahlteil" not in shown


def test_BI_06_a_normal_iban_takes_a_creditor_reference_on_its_qr_bill():
    supplier = {**SUPPLIER, "bank_accounts": {"CHF": {"iban": "CH9300762011623852957", "bic": None}}}
    invoice = invoice_of("CHF", "CH", False)
    reference = reference_for(invoice.number, "CH9300762011623852957")
    doc = documents.of_invoice(invoice, SELLER, SWISS, "de", documents.pay_to(supplier, "CHF", reference))
    assert doc.has_qr_bill and qr_payload(doc)[27:29] == ["SCOR", reference]
