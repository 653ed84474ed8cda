"""Issuing invoices and credit notes (BI-06): numbered without gaps per series, with what the law
asks an invoice to show (EU VAT directive art. 226, Swiss VAT act art. 26): the supplier's and the
customer's names, addresses and VAT IDs, the date, the number, each line, per VAT rate the net, the
VAT and the gross, and why no VAT is charged when none is (reverse charge, export).

The number is taken from the series' counter in the transaction that writes the invoice
(`uow.invoices.next_sequence`, under the counter row's lock): a transaction that rolls back gives
its number back, and two that run at once wait for each other, so the numbers of a series are 1..N.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, Invalid, NotFound

from . import bookkeeping, direct_debit_method, dunning, invoices, payment_reference, prepaid
from .events import InvoiceIssued, InvoicePaid
from .invoices import PAID, Invoice, InvoiceRefused
from .ledger import Entry, Posting
from .model import BillingAccount
from .money import Money
from .vat import Treatment, treatment

INVOICE, CREDIT_NOTE = "invoice", "credit_note"


@dataclass(frozen=True)
class Charge:
    """A line to bill, and what it bills for."""
    description: str
    amount: Money
    product_id: str | None = None
    subscription_id: str | None = None


@dataclass(frozen=True)
class Document:
    """An issued invoice or credit note as it is kept: the domain's invoice with the parties as they
    were on the day and what each line billed for."""
    invoice: Invoice
    kind: str
    issued_at: datetime
    customer: dict
    supplier: dict
    line_refs: tuple[tuple[str | None, str | None], ...]  # (product id, subscription id) per line
    reference: str | None = None
    payment_reference: str | None = None  # what a transfer paying it carries (payment_reference.py)


def customer_of(account: BillingAccount) -> dict:
    return {"name": account.name, "type": account.org_type, "vat_id": account.vat_id,
            "address": {"street": account.street, "house_number": account.house_number, "postcode": account.postcode,
                        "town": account.town, "country": account.country}}


def vat_treatment(account: BillingAccount, on: date) -> Treatment:
    """A business with a VAT ID (orgs checked it for its country) is invoiced as a business."""
    business = bool(account.vat_id) and account.org_type != "private"
    return treatment(account.country or "", on, valid_vat_id=business)


def issue(uow, account: BillingAccount, charges: list[Charge], *, reference: str | None = None) -> Document:
    """An invoice of the charges to the account's organization, in its currency, numbered now."""
    if reference is not None and uow.invoices.by_reference(account.org_id, reference) is not None:
        raise Conflict("This was invoiced already.", problem="already-invoiced")
    now = uow.clock.now()
    today = now.date()
    supplier = uow.catalog.supplier
    series = f"{account.currency}-{today.year}"
    number = invoices.number(account.currency, today.year, uow.invoices.next_sequence(series))
    due = today + timedelta(days=int(supplier.get("payment_term_days", 30)))
    try:
        invoice = invoices.issue(str(uuid.uuid4()), number, account.org_id, account.currency,
                                 [(c.description, c.amount) for c in charges], today, due, vat_treatment(account, today))
    except (InvoiceRefused, ValueError) as refused:
        raise Invalid(str(refused)) from None
    if invoice.total.minor == 0:  # nothing to pay: a voucher or support paid it all
        invoice = replace(invoice, status=PAID)
    document = Document(invoice, INVOICE, now, customer_of(account), _supplier(supplier),
                        tuple((c.product_id, c.subscription_id) for c in charges), reference,
                        _payment_reference(supplier, invoice))
    uow.invoices.add(document)
    direct_debit_method.collect_by_default(uow, document)  # BI-08: with an active mandate, collected by direct debit
    _announce(uow, document)
    return document


def cancel(uow, org_id: str, invoice_id: str) -> tuple[Document, Document]:
    """An open invoice is cancelled: it keeps its number, and a credit note of the same series
    answers it (BI-06)."""
    document = uow.invoices.get(invoice_id)
    if document is None or document.invoice.org_id != org_id or document.kind != INVOICE:
        raise NotFound("No such invoice.")
    now = uow.clock.now()
    invoice = document.invoice
    number = invoices.number(invoice.currency, now.year, uow.invoices.next_sequence(f"{invoice.currency}-{now.year}"))
    try:
        cancelled, note = invoices.cancel(invoice, str(uuid.uuid4()), number, now.date())
    except InvoiceRefused as refused:
        raise Conflict(str(refused), problem="invoice-not-open") from None
    uow.invoices.save_status(cancelled)
    dunning.settled(uow, cancelled)  # nothing is owed on it any more
    credit_note = Document(note, CREDIT_NOTE, now, document.customer, document.supplier, document.line_refs)
    uow.invoices.add(credit_note)
    _announce(uow, credit_note)
    return replace(document, invoice=cancelled), credit_note


def withdraw_unpaid(uow, org_id: str, invoice_id: str) -> tuple[Document, Document]:
    """DO-02, DO-03, DO-07: an open or partly paid invoice for something that will not be delivered
    is cancelled with a credit note (BI-06); what was paid on it so far goes onto the organization's
    prepaid balance (BI-10), as a refund's does."""
    return _answered_by_credit_note(uow, org_id, invoice_id, invoices.withdraw, "invoice-not-open",
                                    "paid on withdrawn invoice", settles=True,
                                    paid_on=lambda invoice: invoice.paid.minor if invoice.paid is not None else 0)


def refund(uow, org_id: str, invoice_id: str) -> tuple[Document, Document]:
    """A paid invoice is refunded (BI-06): it keeps its number, a credit note of the same series
    answers it, and what was paid goes onto the organization's prepaid balance (BI-10), from where it
    pays another invoice or is withdrawn."""
    return _answered_by_credit_note(uow, org_id, invoice_id, invoices.refund, "invoice-not-paid",
                                    "refund of invoice", settles=False, paid_on=lambda invoice: invoice.total.minor)


def _answered_by_credit_note(uow, org_id: str, invoice_id: str, transition, refused_as: str, posted_as: str, *,
                             settles: bool, paid_on) -> tuple[Document, Document]:
    """The invoice keeps its number and a credit note of its series answers it; what was paid on it
    (`paid_on`) goes onto the prepaid balance. `settles`: an unpaid invoice's dunning ends with it."""
    invoice = uow.receivables.locked(invoice_id)  # one payment, refund or withdrawal of an invoice at a time
    document = uow.invoices.get(invoice_id)
    if invoice is None or document is None or invoice.org_id != org_id or document.kind != INVOICE:
        raise NotFound("No such invoice.")
    account = uow.accounts.locked_of_org(org_id)
    now = uow.clock.now()
    number = invoices.number(invoice.currency, now.year, uow.invoices.next_sequence(f"{invoice.currency}-{now.year}"))
    try:
        changed, note = transition(invoice, str(uuid.uuid4()), number, now.date())
    except InvoiceRefused as refused:
        raise Conflict(str(refused), problem=refused_as) from None
    uow.invoices.save_status(changed)
    if settles:
        dunning.settled(uow, changed)  # nothing is owed on it any more
    credit_note = Document(note, CREDIT_NOTE, now, document.customer, document.supplier, document.line_refs)
    uow.invoices.add(credit_note)
    paid = paid_on(invoice)
    if paid > 0:
        uow.ledger.post(prepaid.entry(f"{posted_as} {invoice.number}", now, invoice.currency, paid,
                                      debit=prepaid.receivable(org_id), credit=prepaid.prepaid(org_id)))
        uow.movements.add(prepaid.move(account, prepaid.PAYMENT_RETURNED, paid, now, invoice_id=invoice.id))
    _announce(uow, credit_note)
    return replace(document, invoice=changed), credit_note


def posting_of(document: Document) -> Posting | None:
    """What issuing the document moves: the organization owes the total (`receivable:<org>`), the
    provider earns the net (`revenue`) and owes the VAT to the customer's country (`vat:<country>`).
    A credit note moves it back (its amounts are negative). Nothing to move: no posting."""
    invoice = document.invoice
    country = (document.customer.get("address") or {}).get("country") or "none"
    vat_account = f"vat:{'CH' if country in ('CH', 'LI') else country}"
    entries = tuple(Entry(account, amount) for account, amount in (
        (f"receivable:{invoice.org_id}", invoice.total), ("revenue", -invoice.net), (vat_account, -invoice.vat))
        if amount.minor)
    if not entries:
        return None
    kind = "credit note" if document.kind == CREDIT_NOTE else "invoice"
    return Posting(str(uuid.uuid4()), f"{kind} {invoice.number}", entries, document.issued_at)


def _payment_reference(supplier: dict, invoice: Invoice) -> str | None:
    account = (supplier.get("bank_accounts") or {}).get(invoice.currency)
    return payment_reference.reference_for(invoice.number, account["iban"]) if account else None


def _supplier(supplier: dict) -> dict:
    return {"name": supplier["name"], "address": dict(supplier["address"]), "vat_id": supplier["vat_id"]}


def _announce(uow, document: Document) -> None:
    invoice = document.invoice
    posting = posting_of(document)
    if posting is not None:
        uow.ledger.post(posting, invoice.id)
    uow.emit(InvoiceIssued(invoice_id=invoice.id, org_id=invoice.org_id, number=invoice.number, kind=document.kind,
                           total={"amount_minor": invoice.total.minor, "currency": invoice.currency},
                           issued_at=iso_utc(document.issued_at), due_on=invoice.due_on.isoformat(),
                           reference=document.reference),
             org_id=invoice.org_id)
    if document.kind == INVOICE and invoice.status == PAID:  # nothing to pay: paid as it is issued
        uow.emit(InvoicePaid(invoice_id=invoice.id, org_id=invoice.org_id, number=invoice.number,
                             total={"amount_minor": invoice.total.minor, "currency": invoice.currency},
                             paid_at=iso_utc(document.issued_at), reference=document.reference), org_id=invoice.org_id)
    bookkeeping.announce_standing(uow, invoice.org_id)  # OR-15: what the organization owes changed


def documents_of(uow, caller, org_id: str, page, status: str | None = None, period=None):
    """BI-06, BI-13, BI-15: the organization's invoices and credit notes, newest first."""
    from portico_kernel.paging import EVER

    from .visibility import ensure_sees_billing
    ensure_sees_billing(uow, caller, org_id)
    return uow.invoices.of_org(org_id, page, status=status, period=period or EVER)


def document(uow, caller, org_id: str, invoice_id: str) -> Document:
    from .visibility import ensure_sees_billing
    ensure_sees_billing(uow, caller, org_id)
    found = uow.invoices.get(invoice_id)
    if found is None or found.invoice.org_id != org_id:
        raise NotFound("No such invoice.")
    return found
