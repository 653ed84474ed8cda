"""SEPA direct debit (BI-08, BI-06): mandates, the choice of paying by direct debit, and the files of
collections billing's clerk hands to the bank (pain.008).

- **Mandate.** The organization's billing manager registers the mandate the account holder signed:
  the IBAN (checked, its BIC derived where the IBAN says it), the date of signature (not in the
  future) and the scheme: CORE, or B2B for businesses only (never a private customer), whose form
  the customer signs and gives to their own bank as well. Portico gives the mandate its reference
  (unique, at most 35 characters of SEPA's Latin set). One mandate is active per organization: a new
  one replaces it; a revoked one collects nothing more, and the invoices waiting for it go back to
  bank transfer.
- **Method.** `sepa_direct_debit` is chosen only with an active mandate and only for EUR invoices
  (SEPA collects euros). An organization with an active mandate has its new EUR invoices collected
  by direct debit (`collect_by_default`, called as an invoice is issued).
- **Collections.** Billing staff export what is due: every open EUR invoice to be paid by direct
  debit whose organization has an active mandate and that was not collected before. Each invoice
  has one collection record (unique by invoice), written in the export's transaction, so however
  many exports run at once or again, an invoice is in one file once. A mandate's first collection
  is FRST, later ones RCUR. The requested collection date is at least one TARGET business day after
  the export (the EPC rulebooks' D-1 for CORE and B2B) and no earlier than the pre-notification
  period after the invoice (`supplier.sepa_pre_notification_days`: the invoice is the
  pre-notification, as the mandate's terms agree). EPC rules keep CORE and B2B apart, so an export
  holds one file per scheme. EndToEndId is the invoice's payment reference, the remittance text
  its number. Once exported the invoice counts as paid (`cash:direct_debit` against the
  organization's receivable); a debit the bank returns is read from its statement and opens the
  invoice again (bank statements' work).
"""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from portico_kernel.errors import Conflict, NotFound, invalid_field
from portico_kernel.principal import Principal

from . import invoices as invoice_rules
from .accounts import account_for
from .bookkeeping import announce_standing
from .direct_debit_method import CURRENCY
from .prepaid import entry, receivable
from .visibility import ensure_billing_staff, ensure_orders

CORE, B2B = "CORE", "B2B"
SCHEMES = (CORE, B2B)
FRST, RCUR = "FRST", "RCUR"
ACTIVE, REVOKED, REPLACED = "active", "revoked", "replaced"
DIRECT_DEBIT = "cash:direct_debit"  # the ledger's account of collected direct debits
PRE_NOTIFICATION_DAYS = 5  # unless the catalog's supplier says otherwise
MAX_PER_EXPORT = 5000
MAX_HOLDER = 70  # pain.008's Max70Text for the debtor's name

# SEPA's Latin character set for identifiers (EPC's implementation guidelines): a mandate reference
# is 1 to 35 of these, neither starting nor ending with "/" and without "//".
_SEPA_ID = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def is_mandate_reference(text: str) -> bool:
    return bool(_SEPA_ID.match(text)) and not text.startswith("/") and not text.endswith("/") and "//" not in text


def new_mandate_reference(on: date, token: Callable[[int], str] | None = None) -> str:
    """`PTC-20261126-7KQ4M2XW9RPA`: Portico's prefix, the day of registration and 12 random letters
    (60 bits: unique in practice; the database's unique index has the last word)."""
    pick = token or (lambda n: "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(n)))
    return f"PTC-{on:%Y%m%d}-{pick(12)}"


def sequence_type(earlier_collections: int) -> str:
    """A mandate's first collection is FRST, every later one RCUR."""
    return FRST if earlier_collections == 0 else RCUR


def _easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's name
    m = (a + 11 * h + 22 * l) // 451
    month = (h + l - 7 * m + 114) // 31
    return date(year, month, (h + l - 7 * m + 114) % 31 + 1)


def is_business_day(day: date) -> bool:
    """A TARGET business day, on which SEPA settles: Monday to Friday except New Year's Day, Good
    Friday, Easter Monday, 1 May, Christmas Day and 26 December."""
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return False
    easter = _easter(day.year)
    return day not in (easter - timedelta(days=2), easter + timedelta(days=1))


def business_days_after(day: date, count: int) -> date:
    """The `count`-th business day after `day`."""
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def collection_date(today: date, issued_on: date, pre_notification_days: int) -> date:
    """The requested collection date: at least one business day after the file goes to the bank
    (D-1, CORE and B2B alike) and not before the debtor was notified for the agreed days; a
    business day."""
    day = max(business_days_after(today, 1), issued_on + timedelta(days=pre_notification_days))
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def masked(iban: str) -> str:
    """An IBAN as shown back: its last four characters only."""
    return "*" * (len(iban) - 4) + iban[-4:]


@dataclass(eq=False)
class Mandate:
    id: str
    org_id: str
    reference: str
    account_holder: str
    iban: str  # compact
    bic: str | None
    scheme: str
    signed_on: date
    status: str
    created_at: datetime
    created_by: str | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Collection:
    """One invoice collected once: the record is unique by invoice."""
    id: str
    export_id: str
    invoice_id: str
    org_id: str
    mandate_id: str
    scheme: str
    sequence_type: str
    amount_minor: int
    currency: str
    collection_date: date
    end_to_end_id: str


@dataclass(frozen=True)
class Debit:
    """A collection as the bank's file says it (adapters/pain008.py writes it)."""
    end_to_end_id: str
    amount_minor: int
    currency: str
    mandate_reference: str
    signed_on: date
    debtor: str
    iban: str
    bic: str | None
    remittance: str
    sequence_type: str
    collection_date: date
    address: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str | None
    creditor_id: str


@dataclass(frozen=True)
class File:
    scheme: str
    message_id: str
    content: str
    count: int
    total_minor: int


@dataclass(frozen=True)
class Export:
    id: str
    created_at: datetime
    created_by: str | None
    count: int
    total_minor: int
    currency: str
    files: tuple[File, ...]
    collections: tuple[Collection, ...] = ()


# --- mandates ---------------------------------------------------------------------------------------

def _checked_iban(text: str) -> IBAN:
    try:
        iban = IBAN(text)
    except (SchwiftyException, ValueError) as refused:
        raise invalid_field("iban", f"is not a valid IBAN ({refused})") from None
    if not iban.in_sepa_zone:
        raise invalid_field("iban", f"an account in {iban.country_code} is outside SEPA")
    return iban


def _checked_bic(text: str | None, iban: IBAN) -> str | None:
    if text:
        try:
            return str(BIC(text).compact)
        except (SchwiftyException, ValueError) as refused:
            raise invalid_field("bic", f"is not a valid BIC ({refused})") from None
    derived = iban.bic
    return str(derived.compact) if derived else None


def register(uow, caller: Principal, org_id: str, *, account_holder: str, iban: str, bic: str | None,
             signed_on: date | str, scheme: str) -> Mandate:
    """BI-08: the organization's new mandate; the one active before is replaced."""
    ensure_orders(uow, caller, org_id)
    account = account_for(uow, caller, org_id)
    holder = " ".join(account_holder.split())
    if not holder or len(holder) > MAX_HOLDER or not holder.isprintable():
        raise invalid_field("account_holder", f"the account holder's name, 1 to {MAX_HOLDER} characters")
    checked = _checked_iban(iban)
    chosen_bic = _checked_bic(bic, checked)
    now = uow.clock.now()
    if isinstance(signed_on, str):  # as the request says it, read once the caller may register
        try:
            signed_on = date.fromisoformat(signed_on)
        except ValueError:
            raise invalid_field("signed_on", "a date (YYYY-MM-DD)") from None
    if signed_on > now.date():
        raise invalid_field("signed_on", "a mandate is signed on or before today")
    if scheme not in SCHEMES:
        raise invalid_field("scheme", f"one of {', '.join(SCHEMES)}")
    if scheme == B2B and account.org_type in (None, "private"):
        raise invalid_field("scheme", "B2B direct debit is for businesses; a private customer signs a CORE mandate")
    account = uow.accounts.locked_of_org(org_id)  # one registration of the organization at a time
    earlier = uow.mandates.active_of(org_id)
    if earlier is not None:
        earlier.status, earlier.ended_at = REPLACED, now
        uow.flush()  # one active mandate per organization, the database's unique index says too
    mandate = Mandate(id=str(uuid.uuid4()), org_id=org_id, reference=new_mandate_reference(now.date()),
                      account_holder=holder, iban=str(checked.compact), bic=chosen_bic, scheme=scheme,
                      signed_on=signed_on, status=ACTIVE, created_at=now, created_by=caller.user_id)
    uow.mandates.add(mandate)
    uow.commit()
    return mandate


def mandates_of(uow, caller: Principal, org_id: str, page):
    account_for(uow, caller, org_id)
    return uow.mandates.of_org(org_id, page)


def mandate(uow, caller: Principal, org_id: str, mandate_id: str) -> Mandate:
    account_for(uow, caller, org_id)
    found = uow.mandates.get(mandate_id)
    if found is None or found.org_id != org_id:
        raise NotFound("No such mandate.")  # another organization's mandate does not exist
    return found


def revoke(uow, caller: Principal, org_id: str, mandate_id: str) -> Mandate:
    """The mandate collects nothing more; invoices waiting for it are to be paid by transfer."""
    ensure_orders(uow, caller, org_id)
    found = mandate(uow, caller, org_id, mandate_id)
    if found.status != ACTIVE:
        raise Conflict(f"This mandate is {found.status} already.", problem="mandate-not-active")
    now = uow.clock.now()
    found.status, found.ended_at = REVOKED, now
    uow.mandates.uncollected_back_to_transfer(org_id, now, caller.user_id)
    uow.commit()
    return found


def form_of(uow, caller: Principal, org_id: str, mandate_id: str) -> tuple[Mandate, dict, dict]:
    """The mandate's form to sign (and, for B2B, to give to the debtor's bank): the mandate, the
    creditor (the supplier and its creditor identifier) and the debtor as billing knows it."""
    from .issuing import customer_of  # the customer as an invoice names it

    found = mandate(uow, caller, org_id, mandate_id)
    supplier = uow.catalog.supplier
    creditor = {"name": supplier["name"], "address": dict(supplier["address"]),
                "creditor_id": supplier["sepa_creditor_id"]}
    return found, creditor, customer_of(uow.accounts.of_org(org_id))


# --- the method ---------------------------------------------------------------------------------------

# --- exports --------------------------------------------------------------------------------------------

def _creditor(supplier: dict) -> Creditor:
    account = supplier["bank_accounts"][CURRENCY]
    return Creditor(supplier["name"], account["iban"], account.get("bic"), supplier["sepa_creditor_id"])


def _address(customer: dict) -> dict:
    """The debtor's structured address (required where the debtor's bank is outside the EEA)."""
    address = customer.get("address") or {}
    out = {"street_name": address.get("street"), "building_number": address.get("house_number"),
           "postcode": address.get("postcode"), "town": address.get("town"), "country": address.get("country")}
    return {k: v for k, v in out.items() if v} if address.get("country") and address.get("town") else {}


def export(uow, caller: Principal, write: Callable[[Creditor, str, list[Debit]], File]) -> Export:
    """BI-08: the collections due, as one pain.008 file per scheme; each invoice collected once and
    counted as paid. `write` renders a file (adapters/pain008.py). Nothing due: 409."""
    from .paying import _paid_towards  # the one transition of an invoice to paid

    ensure_billing_staff(caller)
    uow.collections.lock_for_export()  # exports one after another: a mandate's FRST is decided once
    now = uow.clock.now()
    today = now.date()
    supplier = uow.catalog.supplier
    notice = int(supplier.get("sepa_pre_notification_days", PRE_NOTIFICATION_DAYS))
    export_id = str(uuid.uuid4())
    collections: list[Collection] = []
    debits: dict[str, list[Debit]] = {CORE: [], B2B: []}
    first_seen: dict[str, int] = {}
    for invoice_id in uow.collections.due(CURRENCY, MAX_PER_EXPORT):
        invoice = uow.receivables.locked(invoice_id)
        if (invoice is None or invoice.status not in (invoice_rules.OPEN, invoice_rules.PARTIALLY_PAID)
                or invoice.currency != CURRENCY or uow.payments.pending_of_invoice(invoice.id) is not None
                or uow.collections.of_invoice(invoice.id) is not None):
            continue
        active = uow.mandates.active_of(invoice.org_id)
        if active is None:
            continue
        document = uow.invoices.get(invoice.id)
        if active.id not in first_seen:
            first_seen[active.id] = uow.collections.count_of_mandate(active.id)
        kind = sequence_type(first_seen[active.id])
        first_seen[active.id] += 1
        amount = invoice.outstanding.minor
        collection = Collection(str(uuid.uuid4()), export_id, invoice.id, invoice.org_id, active.id, active.scheme,
                                kind, amount, CURRENCY, collection_date(today, invoice.issued_on, notice),
                                document.payment_reference or invoice.number)
        collections.append(collection)
        debits[active.scheme].append(Debit(
            collection.end_to_end_id, amount, CURRENCY, active.reference, active.signed_on, active.account_holder,
            active.iban, active.bic, invoice.number, kind, collection.collection_date, _address(document.customer)))
        uow.ledger.post(entry(f"direct debit of invoice {invoice.number}", now, CURRENCY, amount,
                              debit=DIRECT_DEBIT, credit=receivable(invoice.org_id)), invoice.id)
        _paid_towards(uow, invoice, amount)
    if not collections:
        raise Conflict("No direct debit is due: every invoice to be collected is in an earlier export.",
                       problem="nothing-to-collect")
    creditor = _creditor(supplier)
    files = tuple(write(creditor, scheme, rows) for scheme, rows in debits.items() if rows)
    made = Export(export_id, now, caller.user_id, len(collections), sum(c.amount_minor for c in collections),
                  CURRENCY, files, tuple(collections))
    uow.collections.add_export(made)
    for org_id in sorted({c.org_id for c in collections}):
        announce_standing(uow, org_id)
    uow.commit()
    return made


def exports(uow, caller: Principal, page):
    ensure_billing_staff(caller)
    return uow.collections.exports(page)


def export_of(uow, caller: Principal, export_id: str) -> Export:
    ensure_billing_staff(caller)
    found = uow.collections.export(export_id)
    if found is None:
        raise NotFound("No such export.")
    return found


def file_of(uow, caller: Principal, export_id: str, scheme: str) -> File:
    found = export_of(uow, caller, export_id)
    for file in found.files:
        if file.scheme == scheme:
            return file
    raise NotFound(f"This export has no {scheme} file.")
