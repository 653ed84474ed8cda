"""Renewals at a term's end (BI-11, with BI-01 … BI-03, BI-09, BI-19 taking effect; DO-07 for domains).

A running subscription's current term ends on `term_end()`. With automatic renewal on, the next
term is invoiced a configured number of days before (the catalog's `renewals.lead_days`), at the
plan and frequency then in force: a downgrade waiting for the next term (BI-03) and a change to a
shorter frequency (BI-09) take effect at its start; add-ons priced with that plan (BI-02), and the
subscription's promo codes while they are valid (a downgrade ended them). The invoice is paid from
the prepaid balance when that covers it (BI-10); otherwise it stays open for its payment method.
When the term's end has passed, the next term begins (the subscription's plan and frequency as
invoiced). With automatic renewal off, the subscription ends with its term (`ProductRemoved`); an
open invoice of the next term is cancelled, a paid one refunded to the prepaid balance. A free trial
at its end becomes the paid plan chosen for it (`next_plan_id`), invoiced from that day, or ends
(BI-19).

Each term is invoiced once: the invoice's reference is `renewal:<subscription>:<term start>`, unique
per organization (a change of the subscription once its next term is invoiced withdraws that invoice,
and the term is invoiced anew as `…:<term start>:2`, and so on), and the round claims the subscriptions it works on (their rows locked, others'
skipped), a batch per transaction: a second run beside it, or after a crash, issues nothing twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta

from portico_kernel.errors import Conflict, Invalid

from . import issuing, paying
from .catalog import Plan, Product
from .events import ProductRemoved
from .invoices import CANCELLED, OPEN, PAID, REFUNDED
from .issuing import Charge
from .money import Money
from .orders import seats_until
from .periods import Frequency, Period, period_containing
from .subscriptions import Subscription
from .vouchers import Voucher

log = logging.getLogger(__name__)

INVOICE, BEGIN, END, CONVERT = "invoice", "begin", "end", "convert"
WITHDRAWN = (CANCELLED, REFUNDED)
BATCH = 1000  # subscriptions per transaction: fewer round trips, and the series counter is held about half a second
MOST_STEPS = 60  # a subscription caught up after a long pause: at most this many steps per batch


def reference(subscription_id: str, term_start: date) -> str:
    return f"renewal:{subscription_id}:{term_start.isoformat()}"


def domain_reference(domain_id: str, expires_on: str) -> str:
    return f"domain-renewal:{domain_id}:{expires_on}"


@dataclass(frozen=True)
class NextTerm:
    period: Period
    plan_id: str
    frequency: Frequency
    anchor: date  # the day its periods are counted from (the billing day)


def next_term(subscription: Subscription) -> NextTerm:
    """The term after the current one, at the plan and frequency in force from its start."""
    start = subscription.term_end()
    plan_id = subscription.next_plan_id or subscription.plan_id
    if subscription.status == "trial" or (subscription.next_frequency not in (None, subscription.frequency)):
        frequency = subscription.next_frequency or subscription.frequency
        return NextTerm(period_containing(start, frequency, start), plan_id, frequency, start)
    return NextTerm(period_containing(subscription.started_on, subscription.frequency, start), plan_id,
                    subscription.frequency, subscription.started_on)


def step(subscription: Subscription, today: date, lead_days: int) -> str | None:
    """What is due for a subscription on `today`, if anything."""
    ends = subscription.term_end()
    if subscription.status == "trial":
        if today < ends:
            return None
        return CONVERT if subscription.next_plan_id and subscription.auto_renew else END
    if subscription.status != "active":
        return None
    if not subscription.auto_renew:
        return END if today >= ends else None
    if subscription.renewal_invoice_id is None and today >= ends - timedelta(days=lead_days):
        return INVOICE
    return BEGIN if today >= ends else None


def applies(voucher: Voucher, on: date, product_id: str, currency: str) -> bool:
    """A promo code of the subscription takes its share off a renewal while it is valid (its uses
    were counted when it was ordered)."""
    return (voucher.covers(product_id) and (voucher.valid_from is None or voucher.valid_from <= on)
            and (voucher.valid_until is None or on <= voucher.valid_until)
            and (voucher.amount is None or voucher.amount.currency == currency))


def priced_add_ons(subscription: Subscription, product: Product, plan: Plan, frequency: Frequency) -> list[str]:
    """The add-ons that go on with the plan: those it is sold with at that frequency."""
    kept = []
    for add_on_id in sorted(subscription.add_on_ids):
        try:
            product.add_on(add_on_id).price(plan.id, frequency)
        except LookupError:
            continue
        kept.append(add_on_id)
    return kept


def charges(subscription: Subscription, product: Product, term: NextTerm, vouchers: dict[str, Voucher],
            today: date) -> list[Charge]:
    """The next term's lines: the plan, its add-ons, the promo codes' discounts (BI-02, BI-12)."""
    plan = product.plan(term.plan_id)
    if plan.is_trial:
        raise LookupError("a free trial is not renewed")  # BI-19: never a downgrade's target either
    price = plan.price(term.frequency)
    lines = [Charge(f"{product.name} {plan.name}, {term.frequency.name.lower()}, "
                    f"{term.period.start.isoformat()} to {term.period.end.isoformat()}", price,
                    product.id, subscription.id)]
    for add_on_id in priced_add_ons(subscription, product, plan, term.frequency):
        add_on = product.add_on(add_on_id)
        lines.append(Charge(f"{add_on.name} with {product.name} {plan.name}, {term.frequency.name.lower()}",
                            add_on.price(plan.id, term.frequency), product.id, subscription.id))
    subtotal = Money(sum(c.amount.minor for c in lines), price.currency)
    for code in subscription.promo_codes:
        voucher = vouchers.get(code)
        if voucher is None or not applies(voucher, today, product.id, price.currency):
            continue
        off = voucher.discount(subtotal)
        if off.minor:
            lines.append(Charge(f"Voucher {voucher.code} on {product.name} {plan.name}", -off,
                                product.id, subscription.id))
            subtotal = subtotal - off
    return lines


def begun(subscription: Subscription, product: Product, term: NextTerm) -> Subscription:
    """The subscription once the next term has begun."""
    plan = product.plan(term.plan_id)
    return replace(subscription, plan_id=plan.id, next_plan_id=None, frequency=term.frequency, next_frequency=None,
                   started_on=term.anchor, status="active", trial_ends_on=None, term_ends_on=term.period.end,
                   renewal_invoice_id=None,
                   add_on_ids=frozenset(priced_add_ons(subscription, product, plan, term.frequency)))


class Round:
    """One batch's work, in one unit of work: the accounts of its organizations locked once, the
    references already invoiced looked up at once, the invoices issued and collected."""

    def __init__(self, uow, subscriptions: list[Subscription]):
        self.uow = uow
        self.today = uow.clock.now().date()
        self.lead_days = uow.catalog.renewal_lead_days
        self.accounts = uow.accounts.locked_of_orgs({s.org_id for s in subscriptions})
        wanted = []
        for s in subscriptions:
            if s.org_id in self.accounts and s.status in ("active", "trial"):
                wanted.append((s.org_id, reference(s.id, s.term_end())))
        self.invoiced = uow.invoices.invoiced_references(wanted)
        codes = {code for s in subscriptions for code in s.promo_codes}
        self.vouchers = {code: v for code in sorted(codes) if (v := uow.vouchers.get(code)) is not None}
        self.products: dict[tuple[str, str], Product] = {}

    def product(self, currency: str, product_id: str) -> Product:
        key = (currency, product_id)
        if key not in self.products:
            self.products[key] = self.uow.catalog.product(currency, product_id)
        return self.products[key]

    def run(self, subscription: Subscription) -> Subscription:
        account = self.accounts.get(subscription.org_id)
        if account is None:
            return subscription
        product = self.product(account.currency, subscription.product_id)
        for _ in range(MOST_STEPS):
            due = step(subscription, self.today, self.lead_days)
            if due is None:
                break
            if due == END:
                subscription = self._end(subscription, product, account)
            elif due == INVOICE:
                subscription = replace(subscription, renewal_invoice_id=self._invoice(subscription, product, account))
            else:  # BEGIN, CONVERT: the next term begins, invoiced (CONVERT: now)
                term = next_term(subscription)
                if due == CONVERT:
                    self._invoice(subscription, product, account)
                before = product.plan(subscription.plan_id)
                subscription = begun(subscription, product, term)
                plan = product.plan(subscription.plan_id)
                if plan.seats and plan.seats != before.seats:  # OR-16: a plan with other seats
                    seats_until(self.uow, subscription, product, plan, ends=term.period.end)
        return subscription

    def _invoice(self, subscription: Subscription, product: Product, account) -> str:
        term = next_term(subscription)
        ref = reference(subscription.id, term.period.start)
        taken = self.invoiced.get((subscription.org_id, ref))
        revision = 1
        while taken is not None:
            if self.uow.invoices.get(taken).invoice.status not in WITHDRAWN:
                return taken
            # the term's invoice was withdrawn by a change: the term is invoiced again, as it now is
            revision += 1
            ref = f"{reference(subscription.id, term.period.start)}:{revision}"
            found = self.invoiced.get((subscription.org_id, ref)) or self.uow.invoices.by_reference(subscription.org_id, ref)
            taken = found if isinstance(found, str) or found is None else found.invoice.id
        document = issuing.issue(self.uow, account, charges(subscription, product, term, self.vouchers, self.today),
                                 reference=ref)
        paying.pay_from_balance(self.uow, document, account)
        self.invoiced[(subscription.org_id, ref)] = document.invoice.id
        return document.invoice.id

    def _end(self, subscription: Subscription, product: Product, account) -> Subscription:
        ended = replace(subscription, status="ended", ended_on=subscription.term_end(), auto_renew=False,
                        renewal_invoice_id=None)
        if subscription.renewal_invoice_id is not None:  # renewal turned off once the next term was invoiced
            self._withdraw(subscription.org_id, subscription.renewal_invoice_id)
        self.uow.emit(ProductRemoved(org_id=subscription.org_id, product_type=product.type,
                                     product_id=subscription.id), org_id=subscription.org_id)
        return ended

    def _withdraw(self, org_id: str, invoice_id: str) -> None:
        withdraw(self.uow, org_id, invoice_id)


def withdraw(uow, org_id: str, invoice_id: str) -> bool:
    """The invoice of a next term that will not be as it was invoiced: cancelled while open,
    refunded to the prepaid balance once paid. A partly paid one stays (answers False)."""
    document = uow.invoices.get(invoice_id)
    if document is None:
        return True
    if document.invoice.status == OPEN:
        issuing.cancel(uow, org_id, invoice_id)
    elif document.invoice.status == PAID:
        issuing.refund(uow, org_id, invoice_id)
    elif document.invoice.status not in WITHDRAWN:
        return False
    return True


def changed_after_renewal(uow, before: Subscription, after: Subscription) -> Subscription:
    """BI-01 … BI-03, BI-05, BI-09: a change of plan, add-ons or frequency once the next term was
    invoiced: that invoice is withdrawn and the round invoices the term anew, as it now is."""
    if before.renewal_invoice_id is None or not withdraw(uow, before.org_id, before.renewal_invoice_id):
        return after
    return replace(after, renewal_invoice_id=None)


def renew_batch(uow, after: tuple | None = None, size: int = BATCH) -> tuple[int, int, tuple | None]:
    """Claims up to `size` subscriptions with something due (after `after`, their term's end and
    id), does it, and commits. Answers how many were claimed, how many changed, and where the next
    batch starts."""
    today = uow.clock.now().date()
    horizon = today + timedelta(days=uow.catalog.renewal_lead_days)
    claimed = uow.subscriptions.claim_due(today, horizon, after, size)
    if not claimed:
        return 0, 0, after
    work = Round(uow, claimed)
    changed = []
    for subscription in claimed:
        try:
            done = work.run(subscription)
        except (LookupError, Invalid, Conflict) as refused:  # the catalog no longer sells it so: left as it is
            log.warning("renewal of subscription %s refused: %s", subscription.id, refused)
            continue
        if done != subscription:
            changed.append(done)
    uow.subscriptions.save_all(changed)
    uow.commit()
    last = claimed[-1]
    return len(claimed), len(changed), (last.term_ends_on or last.term_end(), last.id)


def renew_due(unit_of_work, size: int = BATCH) -> int:
    """The scheduler's round: batch after batch, each its own transaction, until nothing is due
    (or what is due was refused). Answers how many subscriptions it changed."""
    total, after = 0, None
    while True:
        with unit_of_work() as uow:
            claimed, changed, after = renew_batch(uow, after, size)
        total += changed
        if claimed < size:
            return total


def on_domain_renewal_requested(event, uow) -> None:
    """DO-07: domains asks for a domain's renewal; it is invoiced once per term (a second request for
    the same term issues nothing) and paid from the prepaid balance when that covers it."""
    ref = domain_reference(event.domain_id, event.expires_on)
    account = uow.accounts.locked_of_org(event.org_id)
    if account is None:
        log.warning("domain renewal for %s: no billing account", event.org_id)
        return
    if uow.invoices.by_reference(event.org_id, ref) is not None:
        return
    price = event.price or {}
    if price.get("currency") != account.currency:
        log.warning("domain renewal %s priced in %s, the account is kept in %s", ref, price.get("currency"),
                    account.currency)
        return
    years = "1 year" if event.years == 1 else f"{event.years} years"
    document = issuing.issue(uow, account, [Charge(f"Domain {event.domain}: renewal for {years} from {event.expires_on}",
                                                   Money(int(price["amount_minor"]), account.currency))],
                             reference=ref)
    paying.pay_from_balance(uow, document, account)
