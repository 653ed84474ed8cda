"""What billing's invoice PDFs cost, measured in one run on this machine, in-process (no stack):

  - CHF invoices with their Swiss QR-bill (fpdf2 page, qrbill's SVG drawn into it);
  - EUR invoices to a business as Factur-X (the same PDF, CII XML written, checked against the
    EN 16931 XSD and embedded);
  - for scale, the same invoice's plain PDF (neither).

Prints PDFs per second, one after the other, in rounds that alternate, with the median of the rounds
(a shared machine's speed drifts). No timing is asserted anywhere: the numbers depend on the machine.

    python -m bench.billing_pdfs        BENCH_PDFS (default 200 per kind and round)  BENCH_ROUNDS (default 3)
"""
from __future__ import annotations

import os
import statistics
import time
from datetime import date

from services.billing.adapters import documents as render
from services.billing.domain import documents
from services.billing.domain.invoices import issue, number
from services.billing.domain.money import Money
from services.billing.domain.payment_reference import reference_for
from services.billing.domain.vat import treatment

MAY = date(2026, 5, 4)
SUPPLIER = {"name": "Portico AG", "vat_id": "CHE-116.281.710 MWST", "address": {
    "street": "Technoparkstrasse", "house_number": "1", "postcode": "8005", "town": "Zürich", "country": "CH"},
    "bank_accounts": {"CHF": {"iban": "CH4431999123000889012", "bic": "RAIFCH22XXX"},
                      "EUR": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}}}
SWISS = {"name": "Bäckerei Beispiel AG", "type": "company", "vat_id": "CHE-123.456.788 MWST", "address": {
    "street": "Dorfstrasse", "house_number": "1", "postcode": "8000", "town": "Zürich", "country": "CH"}}
GERMAN = {"name": "Müller GmbH", "type": "company", "vat_id": "DE136695976", "address": {
    "street": "Hauptstrasse", "house_number": "5", "postcode": "10115", "town": "Berlin", "country": "DE"}}
LINES = [("Web Hosting M, monthly", 1990), ("Parallel events", 900), ("Daily backup", 300), ("Domain example.ch", 1500)]


def invoice_document(currency: str, customer: dict, sequence: int, *, pay_to: bool = True) -> documents.Document:
    country = customer["address"]["country"]
    invoice = issue(f"i-{sequence}", number(currency, 2026, sequence), "o-1", currency,
                    [(text, Money(minor, currency)) for text, minor in LINES], MAY, date(2026, 6, 3),
                    treatment(country, MAY, valid_vat_id=country != "CH"))
    reference = reference_for(invoice.number, SUPPLIER["bank_accounts"][currency]["iban"])
    return documents.of_invoice(invoice, documents.party_of(SUPPLIER), documents.party_of(customer),
                                documents.language_for(country),
                                documents.pay_to(SUPPLIER, currency, reference) if pay_to else None)


def per_second(make, count: int) -> float:
    docs = [make(sequence) for sequence in range(1, count + 1)]
    started = time.perf_counter()
    for doc in docs:
        render.pdf_of(doc)
    return count / (time.perf_counter() - started)


def main() -> None:
    count, rounds = int(os.environ.get("BENCH_PDFS", "200")), int(os.environ.get("BENCH_ROUNDS", "3"))
    kinds = {
        "CHF invoice with QR-bill": lambda n: invoice_document("CHF", SWISS, n),
        "EUR invoice as Factur-X": lambda n: invoice_document("EUR", GERMAN, n),
        "plain invoice (neither)": lambda n: invoice_document("CHF", SWISS, n, pay_to=False),
    }
    assert invoice_document("CHF", SWISS, 1).has_qr_bill and invoice_document("EUR", GERMAN, 1).is_e_invoice
    for make in kinds.values():  # warm up: fonts, Babel's locale data, the XSD
        per_second(make, 3)
    measured: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(rounds):
        for name, make in kinds.items():
            measured[name].append(per_second(make, count))
    print(f"billing PDFs, in-process, {count} per kind and round, {rounds} rounds (median, range):")
    for name, rates in measured.items():
        print(f"  {name:28} {statistics.median(rates):8.1f} PDFs/s  ({min(rates):.1f}-{max(rates):.1f})")


if __name__ == "__main__":
    main()
