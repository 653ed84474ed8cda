"""How an invoice is paid, on the invoice itself (BI-06, BI-13): a CHF invoice's PDF carries a Swiss
QR-bill with the invoice's payment reference; an EUR invoice to a business is a Factur-X e-invoice
whose EN 16931 XML says what the invoice says; every invoice is written in the organization's
language, unless another one is asked for."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import facturx
from lxml import etree
from pypdf import PdfReader

from tests.test_billing_documents import HOSTING, SWISS, customer_with_details
from tests.test_billing_payments import (  # noqa: F401 - fixtures: the clerk, the ledger's check
    account_of, clerk, ledger_balances_after_each_scenario, ledger_clerk, ordered, pay)

GERMAN_BUSINESS = {"name": "Beispiel Software GmbH", "type": "company", "vat_id": "DE136695976", "address": {
    "street": "Hauptstrasse", "house_number": "5", "postcode": "10115", "town": "Berlin", "country": "DE"}}
FRENCH_PERSON = {"name": "Camille Exemple", "type": "private", "address": {
    "street": "Rue de la Paix", "house_number": "2", "postcode": "75002", "town": "Paris", "country": "FR"}}
RAM = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
       "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def paid_invoice_pdf(api, customer, **params) -> tuple[dict, bytes]:
    invoice = ordered(api, customer)
    assert pay(api, customer, invoice, {"card_token": "tok_sandbox_ok"}).status_code == 201
    path = f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}"
    invoice = api.get(path, customer["token"]).json()
    document = api.get(f"{path}/document", customer["token"], params=params)
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf", document.text
    return invoice, document.content


def decimal(money: dict) -> Decimal:
    return Decimal(money["amount_minor"]).scaleb(-2)


def test_BI_06_a_swiss_customers_chf_invoice_carries_a_qr_bill_with_its_payment_reference(api):
    customer = customer_with_details(api, SWISS)
    invoice, pdf = paid_invoice_pdf(api, customer)
    assert invoice["currency"] == "CHF" and re.fullmatch(r"\d{27}", invoice["payment_reference"])
    shown = text_of(pdf)
    assert "Zahlteil" in shown and "Empfangsschein" in shown  # payment part and receipt, in German
    references = {re.sub(r"\s", "", found) for found in re.findall(r"Referenz\n([\d ]+)\n", shown)}
    assert references == {invoice["payment_reference"]}
    assert "CH44 3199 9123 0008 8901 2" in shown  # the supplier's QR-IBAN
    assert f"CHF {decimal(invoice['total'])}" in shown
    assert "Bahnhofstrasse 1" in shown and "CH-8001 Zürich" in shown  # the debtor, address in its parts
    assert "Bezahlt - nicht erneut zahlen" in shown  # paid: the slip is a copy, not a second demand
    assert not facturx.get_xml_from_pdf(pdf, check_xsd=False)[1]  # CHF: no e-invoice


def test_BI_06_a_german_business_customers_eur_invoice_is_factur_x_matching_the_invoice(api):
    customer = customer_with_details(api, GERMAN_BUSINESS)
    invoice, pdf = paid_invoice_pdf(api, customer)
    name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)

    def one(path: str) -> str:
        found = root.xpath(path, namespaces=RAM)
        assert len(found) == 1, path
        return found[0].text

    assert one("//rsm:ExchangedDocument/ram:ID") == invoice["number"]
    assert one("//rsm:ExchangedDocument/ram:TypeCode") == "380"
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert Decimal(one(summation + "ram:TaxBasisTotalAmount")) == decimal(invoice["net"])
    assert Decimal(one(summation + "ram:TaxTotalAmount")) == decimal(invoice["vat"])
    assert Decimal(one(summation + "ram:GrandTotalAmount")) == decimal(invoice["total"])
    assert Decimal(one(summation + "ram:DuePayableAmount")) == decimal(invoice["outstanding"]) == 0
    assert one("//ram:InvoiceCurrencyCode") == "EUR"
    assert one("//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "DE136695976"
    assert one("//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName") == "Berlin"
    assert one("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == invoice["supplier"]["vat_id"]
    # reverse charge: category AE, with its exemption reason
    assert one("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert one("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert one("//ram:PaymentReference") == invoice["payment_reference"]
    assert one("//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "DE89370400440532013000"
    assert one("//ram:DueDateDateTime/*") == invoice["due_on"].replace("-", "")
    assert "Rechnung" in text_of(pdf)  # German, from the organization's country
    assert_archival(pdf)


def assert_archival(pdf: bytes) -> None:
    """What PDF/A-3b, the form Factur-X prescribes, asks that a reader can see: it says so in its
    metadata, declares its output intent, and carries every font it uses."""
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    metadata = catalog["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")3", metadata) and re.search(r"pdfaid:conformance(>|=\")B", metadata)
    assert "fx:ConformanceLevel" in metadata or "EN 16931" in metadata  # the Factur-X extension schema
    [intent] = catalog["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent.get_object()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object(), font["/BaseFont"]  # embedded


def test_BI_06_a_credit_note_to_a_business_is_factur_x_type_381(api, clerk):
    customer = customer_with_details(api, GERMAN_BUSINESS)
    invoice = ordered(api, customer)
    org = customer["org_id"]
    cancelled = api.post(f"/v1/billing/accounts/{org}/invoices/{invoice['id']}/cancellation", None, clerk.bearer())
    assert cancelled.status_code == 200, cancelled.text
    note = cancelled.json()["credit_note"]
    pdf = api.get(f"/v1/billing/accounts/{org}/invoices/{note['id']}/document", customer["token"])
    assert pdf.status_code == 200, pdf.text
    _, xml = facturx.get_xml_from_pdf(pdf.content, check_xsd=False)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    root = etree.fromstring(xml)
    assert root.xpath("//rsm:ExchangedDocument/ram:TypeCode/text()", namespaces=RAM) == ["381"]
    grand = root.xpath("//ram:GrandTotalAmount/text()", namespaces=RAM)
    assert [Decimal(g) for g in grand] == [-decimal(note["total"])] and Decimal(grand[0]) > 0
    assert root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=RAM) == [invoice["number"]]
    assert_archival(pdf.content)


def test_BI_13_a_french_customers_invoice_is_in_french_and_no_e_invoice_for_a_private_person(api):
    customer = customer_with_details(api, FRENCH_PERSON)
    invoice, pdf = paid_invoice_pdf(api, customer)
    shown = text_of(pdf)
    assert f"Facture {invoice['number']}" in shown and "Date d'émission" in shown and "Échéance" in shown
    assert "Référence: " + invoice["payment_reference"] in shown  # a transfer's reference (RF...)
    assert not facturx.get_xml_from_pdf(pdf, check_xsd=False)[1]  # a private person: a plain PDF


def test_BI_13_an_organization_in_switzerland_founded_in_french_gets_its_invoice_and_qr_bill_in_french(api):
    customer = api.customer_with_org(country="CH", language="fr")
    account_of(api, customer)
    invoice, pdf = paid_invoice_pdf(api, customer)
    shown = text_of(pdf)
    assert f"Facture {invoice['number']}" in shown
    assert "Section paiement" in shown and "Récépissé" in shown  # the QR-bill in French too
    assert re.sub(r"\s", "", shown.split("Référence\n")[1].split("\n")[0]) == invoice["payment_reference"]
    german = text_of(paid_invoice_pdf_again(api, customer, invoice, language="de"))
    assert f"Rechnung {invoice['number']}" in german and "Zahlteil" in german  # asked for: still wins


def paid_invoice_pdf_again(api, customer, invoice, **params) -> bytes:
    path = f"/v1/billing/accounts/{customer['org_id']}/invoices/{invoice['id']}/document"
    document = api.get(path, customer["token"], params=params)
    assert document.status_code == 200, document.text
    return document.content
