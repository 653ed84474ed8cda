"""Quotes, "my offers" (BI-07): the provider's billing staff offer an organization products at the
catalog's prices, valid until a day; the organization sees them with their status, downloads them,
and accepts one into an order (or declines it).

A quote is open until it is accepted or declined; an open quote past its day is expired (worked out
when read, so no process has to mark it). Accepting places the order of its items in the same
transaction that marks it accepted: an order and its invoice exist only for an accepted quote, and
a quote is accepted once. The catalog's prices may change after the offer: a quote whose items
would now cost another amount is refused (409 `quote-outdated`) and the staff make a new one.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from portico_kernel.errors import Conflict, NotFound, invalid_field
from portico_kernel.principal import Principal

from . import orders
from .documents import QUOTE, Document, Line, language_for, party_of
from .issuing import customer_of, vat_treatment
from .money import Money, rounded
from .vat import tax_on
from .visibility import ensure_billing_staff, ensure_orders, ensure_sees_billing

OPEN, ACCEPTED, DECLINED, EXPIRED = "open", "accepted", "declined", "expired"
STATUSES = (OPEN, ACCEPTED, DECLINED, EXPIRED)
DEFAULT_VALID_DAYS, MAX_VALID_DAYS = 30, 365


@dataclass(frozen=True)
class QuoteLine:
    description: str
    net: Money


@dataclass(eq=False)
class Quote:
    id: str
    org_id: str
    number: str
    currency: str
    items: list  # the order's items, as placed on acceptance
    lines: list  # [{"description", "net_minor"}] as offered
    vat_rate: str  # per cent, an exact fraction
    reverse_charge: bool
    valid_until: date
    created_at: datetime
    created_by: str
    customer: dict
    supplier: dict
    status: str = OPEN
    decided_at: datetime | None = None
    decided_by: str | None = None
    invoice_id: str | None = None
    notes: list = field(default_factory=list)

    @property
    def net_minor(self) -> int:
        return sum(line["net_minor"] for line in self.lines)

    @property
    def vat_minor(self) -> int:
        """One rate on the whole quote, rounded once (as its invoice will be)."""
        return rounded(tax_on(self.net_minor, Fraction(self.vat_rate)))

    def status_on(self, day: date) -> str:
        return EXPIRED if self.status == OPEN and day > self.valid_until else self.status


def _items_of(quote: Quote) -> list[orders.Item]:
    return [orders.Item(product_id=i["product_id"], plan_id=i["plan_id"], frequency=i["frequency"],
                        add_on_ids=tuple(i["add_on_ids"])) for i in quote.items]


def offer(uow, caller: Principal, org_id: str, items: list[orders.Item], valid_days: int | None) -> Quote:
    """Billing staff offer the organization these products at today's catalog prices."""
    ensure_billing_staff(caller)
    account = orders.account_of(uow, org_id)
    days = DEFAULT_VALID_DAYS if valid_days is None else valid_days
    if not 1 <= days <= MAX_VALID_DAYS:
        raise invalid_field("valid_days", f"from 1 to {MAX_VALID_DAYS}")
    priced = orders._priced(uow, account, org_id, items, [])
    now = uow.clock.now()
    today = now.date()
    treatment = vat_treatment(account, today)
    series = f"Q-{today.year}"
    quote = Quote(id=str(uuid.uuid4()), org_id=org_id, number=f"{series}-{uow.invoices.next_sequence(series):06d}",
                  currency=account.currency,
                  items=[{"product_id": i.product_id, "plan_id": i.plan_id, "frequency": i.frequency,
                          "add_on_ids": list(i.add_on_ids)} for i in items],
                  lines=[{"description": c.description, "net_minor": c.amount.minor} for c in priced.charges],
                  vat_rate=str(treatment.rate), reverse_charge=treatment.reverse_charge,
                  valid_until=today + timedelta(days=days), created_at=now, created_by=caller.user_id,
                  customer=customer_of(account), supplier=dict(uow.catalog.supplier),
                  notes=[treatment.note] if treatment.note else [])
    uow.quotes.add(quote)
    uow.commit()
    return quote


def quotes_of(uow, caller: Principal, org_id: str, page, status: str | None = None):
    ensure_sees_billing(uow, caller, org_id)
    return uow.quotes.of_org(org_id, page, status=status, today=uow.clock.now().date())


def quote(uow, caller: Principal, org_id: str, quote_id: str) -> Quote:
    ensure_sees_billing(uow, caller, org_id)
    found = uow.quotes.get(quote_id)
    if found is None or found.org_id != org_id:
        raise NotFound("No such quote.")
    return found


def _decide(uow, caller: Principal, org_id: str, quote_id: str, status: str) -> Quote:
    ensure_orders(uow, caller, org_id)
    found = quote(uow, caller, org_id, quote_id)
    now = uow.clock.now()
    current = found.status_on(now.date())
    if current != OPEN:
        raise Conflict(f"This quote is {current}.", problem="quote-not-open")
    if not uow.quotes.decide(found.id, status, now, caller.user_id):
        raise Conflict("This quote was decided meanwhile.", problem="quote-not-open")
    found.status, found.decided_at, found.decided_by = status, now, caller.user_id
    return found


def accept(uow, caller: Principal, org_id: str, quote_id: str):
    """The quote becomes an order: its products start and their invoice is issued, at the offered price."""
    accepted = _decide(uow, caller, org_id, quote_id, ACCEPTED)
    items = _items_of(accepted)
    priced = orders.checkout(uow, caller, org_id, items, [])
    if priced.net.minor != accepted.net_minor or priced.currency != accepted.currency:
        raise Conflict("The catalog's prices changed since this offer; ask for a new quote.", problem="quote-outdated")
    placed, document = orders.place(uow, caller, org_id, items, [], commit=False)
    if document is not None:
        uow.quotes.invoiced(accepted.id, document.invoice.id)
        accepted.invoice_id = document.invoice.id
    uow.commit()
    return accepted, placed, document


def change_frequency(uow, caller: Principal, org_id: str, quote_id: str, frequency: str) -> Quote:
    """BI-09: the customer changes the billing frequency on an open offer, when the offer is worth at
    least the catalog's minimum (net); its items are priced anew at the catalog's prices for it."""
    ensure_orders(uow, caller, org_id)
    found = quote(uow, caller, org_id, quote_id)
    current = found.status_on(uow.clock.now().date())
    if current != OPEN:
        raise Conflict(f"This quote is {current}.", problem="quote-not-open")
    minimum = uow.catalog.offer_frequency_change_minimum.get(found.currency)
    if minimum is None or found.net_minor < minimum.minor:
        shown = f"{minimum.minor / 100:.2f} {found.currency}" if minimum else "an amount the provider sets"
        raise Conflict(f"The billing frequency of an offer changes only on offers of at least {shown}; ask for a new quote.",
                       problem="offer-below-minimum")
    items = [orders.Item(product_id=i.product_id, plan_id=i.plan_id, frequency=frequency, add_on_ids=i.add_on_ids)
             for i in _items_of(found)]
    priced = orders._priced(uow, orders.account_of(uow, org_id), org_id, items, [])
    found_items = [{"product_id": i.product_id, "plan_id": i.plan_id, "frequency": i.frequency,
                    "add_on_ids": list(i.add_on_ids)} for i in items]
    found_lines = [{"description": c.description, "net_minor": c.amount.minor} for c in priced.charges]
    if not uow.quotes.reprice(found.id, found_items, found_lines):
        raise Conflict("This quote was decided meanwhile.", problem="quote-not-open")
    found.items, found.lines = found_items, found_lines
    uow.commit()
    return found


def decline(uow, caller: Principal, org_id: str, quote_id: str) -> Quote:
    declined = _decide(uow, caller, org_id, quote_id, DECLINED)
    uow.commit()
    return declined


def quote_document(uow, caller: Principal, org_id: str, quote_id: str, language: str | None) -> Document:
    """BI-07: the quote as a PDF; it says it is an offer, not an invoice."""
    found = quote(uow, caller, org_id, quote_id)
    rate = Fraction(found.vat_rate)
    buyer = party_of(found.customer)
    lines = tuple(Line(line["description"], 1, Money(line["net_minor"], found.currency), rate) for line in found.lines)
    account = uow.accounts.of_org(org_id)
    return Document(QUOTE, found.number, found.created_at.date(), party_of(found.supplier), buyer, lines,
                    found.currency, language_for(buyer.country, language, getattr(account, "language", None)),
                    valid_until=found.valid_until,
                    reverse_charge=found.reverse_charge, notes=tuple(found.notes))
