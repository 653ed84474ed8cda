"""Bank statements (BI-06, BI-08, BI-10): payments by bank transfer, and returned direct debits, as
the bank reports them in ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification).

A billing clerk imports the bank's file; `adapters/camt.py` reads it into the records below. Each
booked credit finds its invoice by the reference the customer's bank carried (the structured
creditor reference, else a reference written in the free text): in the invoice's currency it pays
the invoice, partly or in full (InvoicePaid once, as every payment does), and what is more than the
invoice owes goes onto the organization's prepaid balance (BI-10), as does all of a payment towards
an invoice that is paid already. A credit that finds no invoice waits for a clerk, who assigns it to
an invoice or to an organization's balance, once.

A debit with return information is a SEPA direct debit the bank gave back (AC04 account closed,
MD06 refused by the debtor, AM04 no funds …): when its end-to-end id or its reference is an
invoice's payment reference, that invoice is open again by the returned amount and
`DirectDebitReturned` tells the organization.

Nothing is done twice: a file is known by its message id and a hash of its bytes, an entry by the
reference the bank gives it (its account servicer reference), so an entry reported in an intraday
camt.054 and again in the day's camt.053 moves money once. Unique constraints keep that so when two
imports run at once.

Ledger postings (beside the table in prepaid.py):

| what | debit | credit |
| --- | --- | --- |
| a bank transfer pays an invoice | `cash:bank` | `receivable:<org>` |
| … what is more goes onto the prepaid balance | `cash:bank` | `prepaid:<org>` |
| a returned direct debit: the organization owes it again | `receivable:<org>` | `cash:direct_debit` (what its collection booked; `cash:bank` for a debit Portico did not collect) |
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from portico_kernel.errors import Conflict, NotFound, invalid_field
from portico_kernel.principal import Principal

from . import invoices as invoice_rules
from . import payment_reference
from .bookkeeping import announce_standing
from .direct_debit import DIRECT_DEBIT
from .events import DirectDebitReturned
from .money import Money
from .paying import _paid_towards
from .prepaid import TOP_UP, entry, move, prepaid, receivable
from .visibility import ensure_billing_staff

CREDIT, DEBIT = "credit", "debit"
BANK = "cash:bank"

# what an entry did
MATCHED, UNMATCHED, IGNORED = "matched", "unmatched", "ignored"
STATUSES = (MATCHED, UNMATCHED, IGNORED)
PAID, PARTIALLY_PAID, OVERPAID, TO_PREPAID, RETURNED, COLLECTION, NOT_OURS, WAITING = (
    "paid", "partially_paid", "overpaid", "to_prepaid", "returned", "collection", "not_ours", "waiting")

# A received direct debit's collection (bank transaction family RDDT) is recorded by the direct debit
# itself when it is collected: the statement's credit of it moves no money a second time.
COLLECTION_FAMILIES = ("RDDT",)


class StatementRefused(ValueError):
    """The file is no statement billing reads: says what is wrong with it."""


@dataclass(frozen=True)
class StatementEntry:
    """One transaction the bank booked, as the file reports it (a batch entry gives one per detail)."""
    key: str  # what the bank calls it, the same in every file that reports it
    direction: str  # CREDIT or DEBIT
    amount: Money | None  # None: a currency Portico does not invoice in
    currency: str
    amount_minor: int
    booked_on: date | None = None
    references: tuple[str, ...] = ()  # structured creditor references, as written
    remittance_text: str = ""  # unstructured remittance information
    end_to_end_id: str | None = None
    return_code: str | None = None  # set: a returned (direct) debit
    return_reason: str = ""
    debtor_name: str | None = None
    bank_code: str | None = None  # domain/family/sub-family, e.g. "PMNT/RCDT/ESCT"
    mandate_id: str | None = None


@dataclass(frozen=True)
class Statement:
    message_id: str
    kind: str  # camt.053 or camt.054
    version: str  # e.g. camt.054.001.08
    content_hash: str
    created_at: datetime | None
    account_iban: str | None
    entries: tuple[StatementEntry, ...]
    not_booked: int = 0  # pending or informational entries: reported again once booked


@dataclass(eq=False)
class BankStatementImport:
    """An imported file, and what its entries did."""
    id: str
    message_id: str
    content_hash: str
    kind: str
    version: str
    file_name: str | None
    account_iban: str | None
    imported_at: datetime
    imported_by: str
    entry_count: int = 0
    new_count: int = 0
    matched_count: int = 0
    unmatched_count: int = 0
    ignored_count: int = 0
    not_booked_count: int = 0
    known_entries: list = field(default_factory=list)  # keys of entries an earlier file brought


@dataclass(eq=False)
class BankEntry:
    """An entry as billing keeps it: what the bank said, and what it did."""
    id: str
    key: str
    statement_id: str
    direction: str
    amount_minor: int
    currency: str
    booked_on: date | None
    reference: str | None  # the payment reference it was matched by, or the first one found
    remittance_text: str
    end_to_end_id: str | None
    return_code: str | None
    return_reason: str
    debtor_name: str | None
    status: str
    outcome: str
    note: str  # why it is unmatched, or what it did, in words
    org_id: str | None = None
    invoice_id: str | None = None
    to_invoice_minor: int = 0
    to_prepaid_minor: int = 0
    matched_at: datetime | None = None
    matched_by: str | None = None  # the clerk who assigned it; None: matched on import
    created_at: datetime | None = None
    position: int = 0  # its place in the file that brought it


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatementImport
    already_imported: bool
    entries: tuple[BankEntry, ...]  # the entries this import brought (none when it was known)
    known_entries: tuple[str, ...] = ()  # the file's entries an earlier import brought (all, for a known file)


# --- matching rules ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"[0-9A-Za-z]+")
MAX_TOKENS_JOINED = 8  # a QR reference printed in groups of five: "21 00000 00003 13947 14300 09017"


def references_in(structured: tuple[str, ...] | list[str], text: str) -> list[str]:
    """Every valid payment reference an entry carries, in the form it was issued: the structured
    ones first, then those written in the free text (spaced, in any case, among other words)."""
    found: list[str] = []

    def keep(candidate: str | None) -> None:
        normal = payment_reference.normalized(candidate)
        if normal and normal not in found:
            found.append(normal)

    for reference in structured:
        keep(reference)
    tokens = _TOKEN.findall(text or "")
    for start in range(len(tokens)):
        joined = ""
        for token in tokens[start:start + MAX_TOKENS_JOINED]:
            joined += token
            if len(joined) > 35:
                break
            keep(joined)
    return found


def split_credit(invoice, amount_minor: int) -> tuple[int, int]:
    """What of a credit pays the invoice and what goes onto the prepaid balance: up to what it
    still owes, the rest (all of it, once it takes no payment) onto the balance."""
    if invoice.credit_note_of is not None or invoice.status not in (invoice_rules.OPEN, invoice_rules.PARTIALLY_PAID):
        return 0, amount_minor
    to_invoice = min(amount_minor, invoice.outstanding.minor)
    return to_invoice, amount_minor - to_invoice


def outcome_of(to_invoice: int, to_prepaid: int, invoice_after) -> str:
    if to_invoice == 0:
        return TO_PREPAID
    if invoice_after.status == invoice_rules.PAID:
        return OVERPAID if to_prepaid else PAID
    return PARTIALLY_PAID


def returnable(invoice, amount_minor: int) -> str | None:
    """Why a returned debit cannot reopen this invoice; None when it can."""
    if invoice.credit_note_of is not None or invoice.status not in (invoice_rules.PAID, invoice_rules.PARTIALLY_PAID):
        return f"invoice {invoice.number} is {invoice.status.replace('_', ' ')}: nothing paid on it can be returned"
    if amount_minor > invoice.paid.minor:
        return f"the return is more than the {invoice.paid} paid on invoice {invoice.number}"
    return None


def is_collection(entry: StatementEntry) -> bool:
    family = (entry.bank_code or "").split("/")
    return entry.direction == CREDIT and (len(family) > 1 and family[1] in COLLECTION_FAMILIES
                                          or entry.mandate_id is not None)


@dataclass(frozen=True)
class Found:
    """Which invoice an entry is for, or why none."""
    document: object | None
    reference: str | None
    reason: str = ""


def find_invoice(entry: StatementEntry, by_reference) -> Found:
    """The invoice an entry names by a reference (`by_reference(reference)` answers the issued
    document or None), in the entry's currency."""
    candidates = references_in(entry.references, entry.remittance_text)
    by_end_to_end = references_in([entry.end_to_end_id], "") if entry.end_to_end_id else []
    # a direct debit is collected under the invoice's reference as its end-to-end id; a transfer's
    # payer may have put the reference there too, if nowhere else
    ordered = by_end_to_end + candidates if entry.direction == DEBIT else candidates + by_end_to_end
    candidates = list(dict.fromkeys(ordered))
    if not candidates:
        return Found(None, None, "no payment reference")
    for reference in candidates:
        document = by_reference(reference)
        if document is None or document.kind != "invoice":
            continue
        if document.invoice.currency != entry.currency:
            return Found(None, reference, f"invoice {document.invoice.number} is in {document.invoice.currency}, "
                                          f"the payment in {entry.currency}")
        return Found(document, reference)
    return Found(None, candidates[0], "no invoice carries this reference")


# --- use cases --------------------------------------------------------------------------------------

def import_statement(uow, caller: Principal, statement: Statement, file_name: str | None) -> ImportResult:
    """BI-06, BI-08: the bank's file, each booked entry matched and applied once."""
    ensure_billing_staff(caller)
    uow.bank.serialized()  # one import or assignment at a time; the unique constraints hold anyway
    every_key = tuple(dict.fromkeys(reported.key for reported in statement.entries))
    known = uow.bank.statement_by_identity(statement.message_id, statement.content_hash)
    if known is not None:
        return ImportResult(known, True, (), every_key)
    now = uow.clock.now()
    record = BankStatementImport(str(uuid.uuid4()), statement.message_id, statement.content_hash, statement.kind,
                                 statement.version, file_name, statement.account_iban, now, caller.user_id,
                                 entry_count=len(statement.entries), not_booked_count=statement.not_booked)
    if not uow.bank.add_statement(record):  # the same file, imported at this moment by another request
        return ImportResult(uow.bank.statement_by_identity(statement.message_id, statement.content_hash), True, (),
                            every_key)
    found = [_invoice_of(uow, reported) for reported in statement.entries]
    # Every invoice the file names is locked first, in one order, before any account: a payment
    # takes an invoice's row and then its account's, so the two never wait for each other.
    for invoice_id in sorted({f.document.invoice.id for f in found if f is not None and f.document is not None}):
        uow.receivables.locked(invoice_id)
    brought: list[BankEntry] = []
    touched: set[str] = set()
    for position, (reported, invoice) in enumerate(zip(statement.entries, found), start=1):
        kept = _new_entry(record.id, reported, now, position)
        if not uow.bank.claim_entry(kept):  # an earlier file brought it
            record.known_entries.append(reported.key)
            continue
        _apply(uow, kept, reported, invoice, now)
        uow.bank.save_entry(kept)
        brought.append(kept)
        if kept.org_id and kept.status == MATCHED:
            touched.add(kept.org_id)
    record.new_count = len(brought)
    record.matched_count = sum(1 for e in brought if e.status == MATCHED)
    record.unmatched_count = sum(1 for e in brought if e.status == UNMATCHED)
    record.ignored_count = sum(1 for e in brought if e.status == IGNORED)
    uow.bank.save_statement(record)
    for org_id in sorted(touched):
        announce_standing(uow, org_id)
    uow.commit()
    return ImportResult(record, False, tuple(brought), tuple(record.known_entries))


def _new_entry(statement_id: str, reported: StatementEntry, now: datetime, position: int) -> BankEntry:
    return BankEntry(
        id=str(uuid.uuid4()), key=reported.key, statement_id=statement_id, direction=reported.direction,
        amount_minor=reported.amount_minor, currency=reported.currency, booked_on=reported.booked_on,
        reference=(reported.references[0][:40] if reported.references else None),
        remittance_text=reported.remittance_text[:500], end_to_end_id=(reported.end_to_end_id or None),
        return_code=reported.return_code, return_reason=reported.return_reason[:300],
        debtor_name=(reported.debtor_name or None), status=UNMATCHED, outcome=WAITING, note="", created_at=now,
        position=position)


def _ignored(reported: StatementEntry) -> tuple[str, str] | None:
    """What an entry is when it is none of billing's business (its outcome and why), else None."""
    if reported.amount_minor == 0:
        return NOT_OURS, "an entry of no amount"
    if reported.direction == CREDIT and is_collection(reported):
        return COLLECTION, "the collection of direct debits, recorded when they were collected"
    if reported.direction == DEBIT and not reported.return_code:
        return NOT_OURS, "a debit that is no returned direct debit"
    return None


def _invoice_of(uow, reported: StatementEntry) -> Found | None:
    if reported.amount is None or _ignored(reported):
        return None
    return find_invoice(reported, lambda reference: uow.invoices.by_payment_reference(reference))


def _apply(uow, kept: BankEntry, reported: StatementEntry, found: Found | None, now: datetime) -> None:
    if reported.amount is None:
        _unmatched(kept, f"Portico keeps no account in {reported.currency}")
        return
    ignored = _ignored(reported)
    if ignored:
        kept.status, (kept.outcome, kept.note) = IGNORED, ignored
        return
    kept.reference = found.reference or kept.reference
    if found.document is None:
        _unmatched(kept, found.reason)
        return
    if reported.direction == CREDIT:
        _credit_invoice(uow, kept, found.document.invoice.id, now)
    else:
        _return(uow, kept, found.document.invoice.id, now)


def _unmatched(kept: BankEntry, reason: str) -> None:
    kept.status, kept.outcome, kept.note = UNMATCHED, WAITING, reason


def _credit_invoice(uow, kept: BankEntry, invoice_id: str, now: datetime) -> None:
    """A credit towards an invoice: it pays what the invoice owes, the rest onto the balance."""
    # the invoice's row before the account's, as every payment takes them
    invoice = uow.receivables.locked(invoice_id)
    account = uow.accounts.locked_of_org(invoice.org_id)
    if account is None or account.currency != kept.currency:
        _unmatched(kept, f"the organization's account is not kept in {kept.currency}")
        return
    org = invoice.org_id
    to_invoice, to_prepaid = split_credit(invoice, kept.amount_minor)
    reason = f"bank transfer {kept.key}"[:120]
    after = invoice
    if to_invoice:
        uow.ledger.post(entry(f"{reason} for invoice {invoice.number}", now, kept.currency, to_invoice,
                              debit=BANK, credit=receivable(org)))
        after = _paid_towards(uow, invoice, to_invoice)
    if to_prepaid:
        uow.ledger.post(entry(f"{reason}: onto the prepaid balance", now, kept.currency, to_prepaid,
                              debit=BANK, credit=prepaid(org)))
        uow.movements.add(move(account, TOP_UP, to_prepaid, now, invoice_id=invoice.id))
    kept.status, kept.outcome = MATCHED, outcome_of(to_invoice, to_prepaid, after)
    kept.org_id, kept.invoice_id = org, invoice.id
    kept.to_invoice_minor, kept.to_prepaid_minor, kept.matched_at = to_invoice, to_prepaid, now
    kept.note = _said(kept, invoice.number)


def _credit_balance(uow, kept: BankEntry, org_id: str, now: datetime) -> None:
    account = uow.accounts.locked_of_org(org_id)
    if account is None:
        raise NotFound("No billing account for this organization.")
    if account.currency != kept.currency:
        raise Conflict(f"The organization's account is kept in {account.currency}, the payment is in {kept.currency}.",
                       problem="currency-mismatch")
    uow.ledger.post(entry(f"bank transfer {kept.key}: onto the prepaid balance"[:200], now, kept.currency,
                          kept.amount_minor, debit=BANK, credit=prepaid(org_id)))
    uow.movements.add(move(account, TOP_UP, kept.amount_minor, now))
    kept.status, kept.outcome, kept.org_id, kept.invoice_id = MATCHED, TO_PREPAID, org_id, None
    kept.to_invoice_minor, kept.to_prepaid_minor, kept.matched_at = 0, kept.amount_minor, now
    kept.note = _said(kept, None)


def _return(uow, kept: BankEntry, invoice_id: str, now: datetime) -> None:
    """BI-08: a returned direct debit: the invoice is open again by the returned amount."""
    invoice = uow.receivables.locked(invoice_id)
    why_not = returnable(invoice, kept.amount_minor)
    if why_not:
        _unmatched(kept, why_not)
        return
    org = invoice.org_id
    reopened = invoice_rules.reopen(invoice, Money(kept.amount_minor, invoice.currency))
    uow.receivables.save(reopened)
    collected = _collection_of(uow, invoice.id)
    if collected:  # it was not paid after all: the customer pays it by transfer now (its debit is spent)
        uow.receivables.set_payment_method(invoice.id, "bank_transfer", now, None)
    uow.ledger.post(entry(f"direct debit returned ({kept.return_code}) {kept.key} of invoice {invoice.number}"[:200],
                          now, invoice.currency, kept.amount_minor, debit=receivable(org),
                          credit=DIRECT_DEBIT if collected else BANK))
    uow.emit(DirectDebitReturned(invoice_id=invoice.id, org_id=org, number=invoice.number,
                                 amount={"amount_minor": kept.amount_minor, "currency": invoice.currency},
                                 reason_code=kept.return_code, returned_on=(kept.booked_on or now.date()).isoformat(),
                                 reason=kept.return_reason[:300]), org_id=org)
    kept.status, kept.outcome, kept.org_id, kept.invoice_id = MATCHED, RETURNED, org, invoice.id
    kept.to_invoice_minor, kept.matched_at = -kept.amount_minor, now
    kept.note = f"returned ({kept.return_code}): invoice {invoice.number} is {reopened.status.replace('_', ' ')} again"


def _collection_of(uow, invoice_id: str) -> bool:
    """Whether the invoice was collected by one of Portico's direct debits (domain/direct_debit.py):
    its return then takes back what that collection booked."""
    return uow.collections.of_invoice(invoice_id) is not None


def _said(kept: BankEntry, number: str | None) -> str:
    paid = Money(kept.to_invoice_minor, kept.currency)
    rest = Money(kept.to_prepaid_minor, kept.currency)
    if kept.outcome == TO_PREPAID:
        return f"{rest} onto the prepaid balance" + (f" (invoice {number} takes no payment)" if number else "")
    said = f"{paid} paid on invoice {number}"
    return said + (f", {rest} onto the prepaid balance" if kept.to_prepaid_minor else "")


def assign(uow, caller: Principal, entry_id: str, org_id: str, invoice_id: str | None) -> BankEntry:
    """A clerk says what an unmatched entry is for: an invoice, or an organization's prepaid balance
    (a credit only). Once: of two assignments at once, one wins, the other is told (409)."""
    ensure_billing_staff(caller)
    uow.bank.serialized()
    kept = uow.bank.locked_entry(entry_id)
    if kept is None:
        raise NotFound("No such bank entry.")
    if kept.status != UNMATCHED:
        raise Conflict(f"This entry is {kept.status} already: {kept.note}", problem="bank-entry-already-matched")
    now = uow.clock.now()
    if kept.currency not in ("CHF", "EUR"):
        raise Conflict(f"Portico keeps no account in {kept.currency}.", problem="currency-mismatch")
    if invoice_id is None:
        if kept.direction != CREDIT:
            raise invalid_field("invoice_id", "a returned debit is assigned to the invoice it paid")
        _credit_balance(uow, kept, org_id, now)
    else:
        document = uow.invoices.get(invoice_id)
        if document is None or document.invoice.org_id != org_id or document.kind != "invoice":
            raise NotFound("No such invoice.")
        if document.invoice.currency != kept.currency:
            raise Conflict(f"Invoice {document.invoice.number} is in {document.invoice.currency}, the payment in "
                           f"{kept.currency}.", problem="currency-mismatch")
        if kept.direction == CREDIT:
            _credit_invoice(uow, kept, invoice_id, now)
        else:
            _return(uow, kept, invoice_id, now)
            if kept.status != MATCHED:
                raise Conflict(kept.note[:1].upper() + kept.note[1:] + ".", problem="invoice-not-returnable")
        if kept.status != MATCHED:
            raise Conflict(kept.note, problem="currency-mismatch")
        kept.reference = kept.reference or document.payment_reference
    kept.matched_by = caller.user_id
    if not uow.bank.save_entry(kept, only_if=UNMATCHED):  # another assignment came first
        raise Conflict("This entry was assigned meanwhile.", problem="bank-entry-already-matched")
    uow.bank.count_assigned(kept.statement_id)
    announce_standing(uow, kept.org_id)
    uow.commit()
    return kept


def statement(uow, caller: Principal, statement_id: str) -> BankStatementImport:
    ensure_billing_staff(caller)
    found = uow.bank.statement(statement_id)
    if found is None:
        raise NotFound("No such bank statement.")
    return found


def statements(uow, caller: Principal, page):
    ensure_billing_staff(caller)
    return uow.bank.statements(page)


def entries_of(uow, caller: Principal, statement_id: str, page):
    statement(uow, caller, statement_id)
    return uow.bank.entries(page, statement_id=statement_id)


def entries(uow, caller: Principal, page, status: str | None):
    ensure_billing_staff(caller)
    return uow.bank.entries(page, status=status)


def bank_entry(uow, caller: Principal, entry_id: str) -> BankEntry:
    ensure_billing_staff(caller)
    found = uow.bank.entry(entry_id)
    if found is None:
        raise NotFound("No such bank entry.")
    return found
