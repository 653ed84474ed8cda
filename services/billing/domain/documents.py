"""Billing's documents: invoices, credit notes, pro-forma invoices and quotes (BI-07, BI-13, BI-14).

A document is what it says, in plain data; rendering it (PDF, CSV) is the adapters' work
(adapters/documents.py). An invoice and a credit note carry what the law requires of them:

- EU VAT directive art. 226: date of issue; a sequential number; the supplier's VAT ID; the
  customer's VAT ID when the customer owes the VAT (reverse charge); full names and addresses of
  both; quantity and nature of the services; the date or period of supply; the taxable amount per
  rate, the unit price without VAT; the rate and the VAT amount per rate; the mention of the reverse
  charge or the exemption when no VAT is charged.
- Swiss VAT act art. 26: the supplier's name, place and UID/VAT number; the recipient's name and
  place; date or period of supply; nature, object and scope of the service; the consideration; the
  rate and the VAT amount.

A pro-forma invoice (BI-14) and a quote (BI-07) look alike but carry no invoice number and say
that they are no invoice: the pro-forma that it has no legal value.

How it is paid (BI-06): a CHF invoice carries a Swiss QR-bill (payment part and receipt) to the
supplier's CHF account with the invoice's payment reference; an invoice or credit note in EUR to a
business (a VAT ID, not a private person) is an e-invoice (Factur-X, EN 16931) its bookkeeping reads
without typing. Both are written in the document's language: the organization's, or the one asked for.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from portico_kernel.errors import Conflict, Invalid
from portico_kernel.paging import PageRequest, Period, decode

from .issuing import customer_of, document, documents_of, vat_treatment
from .money import Money, rounded
from .orders import _priced
from .payment_reference import QR_REFERENCE, kind_for
from .vat import tax_on
from .visibility import ensure_sees_billing

INVOICE, CREDIT_NOTE, PRO_FORMA, QUOTE = "invoice", "credit_note", "pro_forma", "quote"
LANGUAGES = ("de", "en", "fr", "it")
_BY_COUNTRY = {"DE": "de", "AT": "de", "CH": "de", "LI": "de", "LU": "fr", "FR": "fr", "BE": "fr", "MC": "fr",
               "IT": "it", "SM": "it", "VA": "it"}


# Countries of several languages Portico writes: the organization's, when it is one of them.
_SPOKEN = {"CH": ("de", "fr", "it"), "BE": ("fr", "de"), "LU": ("fr", "de")}


def language_for(country: str | None, chosen: str | None = None, organization: str | None = None) -> str:
    """The document's language: the one asked for if Portico writes it; else its country's, and in
    a country of several (Switzerland) the organization's (its founder's) when it is one of them; in
    a country whose language Portico does not write, the organization's, else English. A sign-up
    that names no language says English, which is why the country comes before it."""
    if chosen in LANGUAGES:
        return chosen
    spoken = _SPOKEN.get(country or "") or ((_BY_COUNTRY[country],) if country in _BY_COUNTRY else ())
    if not spoken:
        return organization if organization in LANGUAGES else "en"
    return organization if organization in spoken else spoken[0]


@dataclass(frozen=True)
class Party:
    name: str
    address: tuple[str, ...]  # lines, without the country (printed in the document's language)
    country: str | None
    vat_id: str | None = None
    # the address as its parts: a QR-bill and an e-invoice take them one by one
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    town: str | None = None
    org_type: str | None = None

    @property
    def business(self) -> bool:
        """Invoiced as a business: a VAT ID, and not a private person (issuing.vat_treatment)."""
        return bool(self.vat_id) and self.org_type != "private"


def party_of(snapshot: dict) -> Party:
    """A party as an invoice keeps it (issuing.customer_of, the catalog's supplier)."""
    address = snapshot.get("address") or {}
    street = " ".join(part for part in (address.get("street"), address.get("house_number")) if part)
    town = " ".join(part for part in (address.get("postcode"), address.get("town")) if part)
    return Party(snapshot.get("name") or "", tuple(line for line in (street, town) if line), address.get("country"),
                 snapshot.get("vat_id"), address.get("street"), address.get("house_number"), address.get("postcode"),
                 address.get("town"), snapshot.get("type"))


@dataclass(frozen=True)
class PayTo:
    """Where and with what reference a transfer pays the document (catalog's bank_accounts)."""
    iban: str
    bic: str | None
    reference: str | None  # the invoice's payment reference (payment_reference.py)

    @property
    def fits_qr_bill(self) -> bool:
        """A QR-IBAN takes a QR reference and nothing else; another IBAN a creditor reference or
        none (an invoice older than its reference, or from before the account changed, has none that fits)."""
        if kind_for(self.iban) == QR_REFERENCE:
            return bool(self.reference) and self.reference.isdigit()
        return not self.reference or self.reference.startswith("RF")


def pay_to(supplier: dict, currency: str, reference: str | None) -> PayTo | None:
    account = (supplier.get("bank_accounts") or {}).get(currency)
    return PayTo(account["iban"], account.get("bic"), reference) if account else None


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_net: Money
    vat_rate: Fraction

    @property
    def net(self) -> Money:
        return Money(self.unit_net.minor * self.quantity, self.unit_net.currency)


@dataclass(frozen=True)
class Document:
    kind: str
    number: str | None  # None for a pro-forma; a quote's own number
    issued_on: date
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    currency: str
    language: str
    supplied_from: date | None = None
    supplied_until: date | None = None
    due_on: date | None = None
    valid_until: date | None = None  # a quote's
    refers_to: str | None = None  # a credit note: the number of the invoice it cancels
    reverse_charge: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    paid: Money | None = None
    pay_to: PayTo | None = None

    @property
    def outstanding(self) -> Money:
        return self.total - (self.paid or Money.zero(self.currency))

    @property
    def settled(self) -> bool:
        """Nothing is left to pay on it (BI-13: an invoice is downloaded once paid)."""
        return self.outstanding.minor <= 0

    @property
    def has_qr_bill(self) -> bool:
        """BI-06: a CHF invoice carries a Swiss QR-bill to the supplier's CHF account."""
        return (self.kind == INVOICE and self.currency == "CHF" and self.pay_to is not None
                and self.seller.country in ("CH", "LI") and self.pay_to.fits_qr_bill)

    @property
    def qr_bill_amount(self) -> Money:
        """What the QR-bill asks: what is still owed; once settled, the invoice's total as it was
        issued (the slip then says it is paid, so it is a copy, not a second demand)."""
        return self.total if self.settled else self.outstanding

    @property
    def is_e_invoice(self) -> bool:
        """BI-06: an EUR invoice or credit note to a business is a Factur-X e-invoice (EN 16931)."""
        return self.legal and self.currency == "EUR" and self.buyer.business

    @property
    def vat_summary(self) -> tuple[tuple[Fraction, Money, Money], ...]:
        """Per rate: the taxable amount and the VAT, rounded once per rate as on the invoice."""
        out = []
        for rate in sorted({line.vat_rate for line in self.lines}):
            net = sum(line.net.minor for line in self.lines if line.vat_rate == rate)
            out.append((rate, Money(net, self.currency), Money(rounded(tax_on(net, rate)), self.currency)))
        return tuple(out)

    @property
    def net(self) -> Money:
        return Money(sum(line.net.minor for line in self.lines), self.currency)

    @property
    def vat(self) -> Money:
        return Money(sum(vat.minor for _, _, vat in self.vat_summary), self.currency)

    @property
    def total(self) -> Money:
        return self.net + self.vat

    @property
    def legal(self) -> bool:
        """An invoice or credit note is a legal document; a pro-forma or a quote is not."""
        return self.kind in (INVOICE, CREDIT_NOTE)


def of_invoice(invoice, seller: Party, buyer: Party, language: str, pay_to: PayTo | None = None) -> Document:
    """The document of an issued invoice or credit note (invoices.Invoice)."""
    lines = tuple(Line(line.description, 1, line.net, line.vat_rate) for line in invoice.lines)
    kind = CREDIT_NOTE if invoice.credit_note_of else INVOICE
    return Document(kind, invoice.number, invoice.issued_on, seller, buyer, lines, invoice.currency,
                    language_for(buyer.country, language), supplied_from=getattr(invoice, "period_start", None),
                    supplied_until=getattr(invoice, "period_end", None), due_on=invoice.due_on,
                    refers_to=invoice.credit_note_of, reverse_charge=invoice.treatment.reverse_charge,
                    notes=tuple(invoice.notes), paid=invoice.paid, pay_to=pay_to)


def pro_forma(lines: list[Line], issued_on: date, seller: Party, buyer: Party, language: str,
              reverse_charge: bool = False, notes: tuple[str, ...] = ()) -> Document:
    """BI-14: what an invoice for these products would say, marked as having no legal value."""
    currency = lines[0].unit_net.currency
    return Document(PRO_FORMA, None, issued_on, seller, buyer, tuple(lines), currency, language_for(buyer.country, language),
                    reverse_charge=reverse_charge, notes=notes)


MAX_EXPORTED = 5000  # invoices in one CSV: a year of a large customer's invoices


def invoice_document(uow, caller, org_id: str, invoice_id: str, language: str | None) -> Document:
    """BI-13: an invoice's document, once it is paid (a credit note's at once)."""
    kept = document(uow, caller, org_id, invoice_id)
    invoice = kept.invoice
    if not invoice.downloadable:
        raise Conflict("The invoice's document can be downloaded once it is paid.", problem="invoice-not-paid")
    buyer = party_of(kept.customer)
    account = uow.accounts.of_org(org_id)
    chosen = language_for(buyer.country, language, getattr(account, "language", None))
    return of_invoice(invoice, party_of(kept.supplier), buyer, chosen,
                      pay_to(uow.catalog.supplier, invoice.currency, kept.payment_reference))


def pro_forma_of(uow, caller, org_id: str, items: list, language: str | None) -> Document:
    """BI-14: what an order of these products would be invoiced, as a pro-forma of no legal value."""
    ensure_sees_billing(uow, caller, org_id)
    account = uow.accounts.of_org(org_id)
    order = _priced(uow, account, org_id, items, [])
    if not order.charges:
        raise Invalid("items: free trials alone cost nothing; there is nothing to show",
                      invalid_params=[{"name": "items", "reason": "only free trials"}])
    today = uow.clock.now().date()
    treatment = vat_treatment(account, today)
    buyer = party_of(customer_of(account))
    lines = [Line(charge.description, 1, charge.amount, treatment.rate) for charge in order.charges]
    return pro_forma(lines, today, party_of(uow.catalog.supplier), buyer,
                     language_for(buyer.country, language, account.language),
                     reverse_charge=treatment.reverse_charge, notes=(treatment.note,) if treatment.note else ())


def invoices_for_export(uow, caller, org_id: str, status: str | None, period: Period) -> list:
    """BI-13: a set of the organization's invoices (by status and period), newest first."""
    found, after = [], None
    while len(found) < MAX_EXPORTED:
        page = documents_of(uow, caller, org_id, PageRequest(limit=200, after=after), status=status, period=period)
        found += [kept.invoice for kept in page.items]
        if page.next_cursor is None:
            break
        after = decode(page.next_cursor)
    return found[:MAX_EXPORTED]
