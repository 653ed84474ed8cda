"""Use cases of paying (BI-06, BI-08 card, BI-10; OR-15's facts).

A card charge is never made inside a database transaction: the attempt is written first (pending,
with any prepaid part held), committed, charged, and its outcome written in a second transaction
(`settle`). The written attempt is what keeps a second payment of the same invoice out, whichever
request, thread or process tries: the invoice's row is locked while the attempt is written, and an
invoice with a pending attempt takes no other (409 `payment-in-progress`). A charge the provider
decides later stays pending; the scheduler asks the provider again (`settle_pending`).

`InvoicePaid` is emitted by the one transition of an invoice to paid, under its row's lock: once.
`BillingStandingChanged` is emitted by every change of what an organization owes or holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, DomainError, NotFound, invalid_field
from portico_kernel.principal import Principal

from . import direct_debit_method, dunning
from . import invoices as invoice_rules
from .accounts import account_for
from .visibility import ensure_orders
from .bookkeeping import announce_standing
from .events import InvoicePaid
from .money import Money
from .payments import DECLINED, FAILED, METHODS, PENDING, SUCCEEDED, Charge, Payment, PaymentProvider, split
from .prepaid import (CARD, INVOICE_PAYMENT, PAYMENT_RETURNED, PAYOUTS, TOP_UP, WITHDRAWAL, BalanceTooLow,
                      MAX_TOP_UP_MINOR, entry, held, move, prepaid, receivable)

# A pending attempt that never reached the provider (its process died before it was charged) is
# given up after this long; one that reached it is asked about until the provider decides.
UNCHARGED_AT_MOST = timedelta(minutes=2)


class PaymentDeclined(DomainError):
    code = "payment-required"


class ProviderUnavailable(DomainError):
    code = "unavailable"


def _money(minor: int, currency: str) -> dict:
    return {"amount_minor": minor, "currency": currency}


def _paid_towards(uow, invoice, minor: int, reference: str | None = None):
    """The invoice takes a payment; the transition to paid announces itself, once, with what the
    invoice billed once only (DO-07: domains renews a domain when its renewal's invoice is paid)."""
    paid = invoice_rules.pay(invoice, Money(minor, invoice.currency))
    uow.receivables.save(paid)
    if paid.status == invoice_rules.PAID:
        if reference is None:
            document = uow.invoices.get(paid.id)
            reference = document.reference if document is not None else None
        uow.emit(InvoicePaid(invoice_id=paid.id, org_id=paid.org_id, number=paid.number,
                             total=_money(paid.total.minor, paid.currency), paid_at=iso_utc(uow.clock.now()),
                             reference=reference),
                 org_id=paid.org_id)
        dunning.settled(uow, paid)  # what it kept suspended resumes
    return paid


def pay_from_balance(uow, document, account) -> Payment | None:
    """BI-10, BI-11: an invoice the organization did not pay itself (a renewal) is paid from its
    prepaid balance when the balance covers all of it; otherwise it stays open for its payment
    method. `account` is locked by the caller. Answers the payment, if one was made."""
    invoice = document.invoice
    outstanding = invoice.outstanding.minor
    if invoice.status != invoice_rules.OPEN or outstanding <= 0 or account.balance_minor < outstanding:
        return None
    now = uow.clock.now()
    payment = Payment.start(invoice.org_id, invoice.id, invoice.currency, 0, outstanding, now, None)
    uow.payments.add(payment)
    uow.movements.add(move(account, INVOICE_PAYMENT, -outstanding, now, invoice_id=invoice.id, payment_id=payment.id))
    uow.ledger.post(entry(f"payment {payment.id} of invoice {invoice.number}", now, invoice.currency, outstanding,
                          debit=prepaid(invoice.org_id), credit=receivable(invoice.org_id)))
    payment.decide(SUCCEEDED, now)
    _paid_towards(uow, invoice, outstanding, document.reference)
    announce_standing(uow, invoice.org_id)
    return payment


def _moving_money(uow, caller: Principal, org_id: str):
    """BI-15: whoever sees the organization's billing may pay and move its money, except the
    provider's staff, who do not pay for customers."""
    ensure_orders(uow, caller, org_id)
    return account_for(uow, caller, org_id)


def _payable(uow, caller: Principal, org_id: str, invoice_id: str):
    _moving_money(uow, caller, org_id)
    invoice = uow.receivables.locked(invoice_id)
    if invoice is None or invoice.org_id != org_id:
        raise NotFound("No such invoice.")  # another organization's invoice does not exist
    if invoice.credit_note_of is not None or invoice.status not in (invoice_rules.OPEN, invoice_rules.PARTIALLY_PAID):
        raise Conflict(f"This invoice is {invoice.status.replace('_', ' ')}: it takes no payment.",
                       problem="invoice-not-payable")
    if uow.payments.pending_of_invoice(invoice.id) is not None:
        raise Conflict("A payment of this invoice is under way; wait for its outcome.", problem="payment-in-progress")
    return invoice


@dataclass(frozen=True)
class Started:
    payment: Payment
    token: str | None


def start_invoice_payment(uow, caller: Principal, org_id: str, invoice_id: str, *, card_token: str | None,
                          prepaid_minor: int | None, use_prepaid: bool) -> Started:
    """BI-10, BI-08: pays an invoice from the prepaid balance, by card, or both. Without a card the
    payment is complete here; with one, the returned attempt is to be charged (`charge_and_settle`)."""
    invoice = _payable(uow, caller, org_id, invoice_id)
    account = uow.accounts.locked_of_org(invoice.org_id)
    try:
        parts = split(invoice.outstanding.minor, account.balance_minor, card=card_token is not None,
                      prepaid_minor=prepaid_minor, use_prepaid=use_prepaid)
    except ValueError as refused:
        name, reason = refused.args[0]
        raise invalid_field(name, reason)
    now = uow.clock.now()
    payment = Payment.start(invoice.org_id, invoice.id, invoice.currency, parts.card_minor, parts.prepaid_minor, now,
                            caller.user_id)
    uow.payments.add(payment)
    reason = f"payment {payment.id} of invoice {invoice.number}"
    if parts.prepaid_minor:
        uow.movements.add(move(account, INVOICE_PAYMENT, -parts.prepaid_minor, now, invoice_id=invoice.id,
                               payment_id=payment.id))
    if parts.card_minor == 0:  # from the balance alone: done now
        uow.ledger.post(entry(reason, now, invoice.currency, parts.prepaid_minor, debit=prepaid(invoice.org_id),
                              credit=receivable(invoice.org_id)))
        payment.decide(SUCCEEDED, now)
        _paid_towards(uow, invoice, parts.prepaid_minor)
        announce_standing(uow, invoice.org_id)
        uow.commit()
        return Started(payment, None)
    if parts.prepaid_minor:
        uow.ledger.post(entry(f"held for {reason}", now, invoice.currency, parts.prepaid_minor,
                              debit=prepaid(invoice.org_id), credit=held(invoice.org_id)))
        announce_standing(uow, invoice.org_id)
    uow.commit()
    return Started(payment, card_token)


def start_top_up(uow, caller: Principal, org_id: str, card_token: str, amount_minor: int, currency: str | None) -> Started:
    """BI-10: tops the prepaid balance up by a card charge."""
    account = _moving_money(uow, caller, org_id)
    if currency is not None and currency != account.currency:
        raise invalid_field("amount.currency", f"the account is kept in {account.currency}")
    if not 0 < amount_minor <= MAX_TOP_UP_MINOR:
        raise invalid_field("amount.amount_minor", f"is between 1 and {MAX_TOP_UP_MINOR}")
    payment = Payment.start(org_id, None, account.currency, amount_minor, 0, uow.clock.now(), caller.user_id)
    uow.payments.add(payment)
    uow.commit()
    return Started(payment, card_token)


def charge_and_settle(bootstrap_uow, provider: PaymentProvider, started: Started) -> Payment:
    """Charges the card of a written attempt (outside any transaction) and writes the outcome."""
    payment = started.payment
    if started.token is None:
        return payment
    try:
        charge = provider.charge(started.token, payment.card_minor, payment.currency, payment.id)
    except Exception as error:  # the provider did not answer: whether it charged is unknown, ask later
        charge = Charge("", FAILED, f"The card provider did not answer ({type(error).__name__}).")
    with bootstrap_uow() as uow:
        return settle(uow, payment.id, charge)


def settle(uow, payment_id: str, charge: Charge) -> Payment:
    """Writes a charge's outcome; a decided attempt stays as it was (a second settling is a no-op)."""
    payment = uow.payments.locked(payment_id)
    if payment.status != PENDING:
        return payment
    now = uow.clock.now()
    if charge.reference:
        payment.provider_reference = charge.reference
    if charge.outcome == PENDING:
        uow.commit()
        return payment
    org = payment.org_id
    if charge.outcome == SUCCEEDED:
        payment.decide(SUCCEEDED, now)
        _succeeded(uow, payment, now)
    else:
        payment.decide(DECLINED if charge.outcome == DECLINED else FAILED, now, charge.reason)
        if payment.prepaid_minor:  # the held part returns to the balance
            account = uow.accounts.locked_of_org(org)
            uow.movements.add(move(account, PAYMENT_RETURNED, payment.prepaid_minor, now,
                                   invoice_id=payment.invoice_id, payment_id=payment.id))
            uow.ledger.post(entry(f"returned: payment {payment.id}", now, payment.currency, payment.prepaid_minor,
                                  debit=held(org), credit=prepaid(org)))
            announce_standing(uow, org)
    uow.commit()
    return payment


def _succeeded(uow, payment: Payment, now) -> None:
    org, currency = payment.org_id, payment.currency
    if payment.invoice_id is None:  # a top-up
        account = uow.accounts.locked_of_org(org)
        uow.ledger.post(entry(f"top-up {payment.id}", now, currency, payment.card_minor, debit=CARD, credit=prepaid(org)))
        uow.movements.add(move(account, TOP_UP, payment.card_minor, now, payment_id=payment.id))
        announce_standing(uow, org)
        return
    # the invoice's row before the account's, as a payment is started: two transactions never wait
    # for each other's lock
    invoice = uow.receivables.locked(payment.invoice_id)
    account = uow.accounts.locked_of_org(org)
    reason = f"payment {payment.id} of invoice {invoice.number}"
    uow.ledger.post(entry(reason, now, currency, payment.card_minor, debit=CARD, credit=receivable(org)))
    if payment.prepaid_minor:
        uow.ledger.post(entry(reason, now, currency, payment.prepaid_minor, debit=held(org), credit=receivable(org)))
    try:
        _paid_towards(uow, invoice, payment.total_minor)
    except invoice_rules.InvoiceRefused:
        # The invoice stopped taking payments meanwhile (cancelled by the provider's staff): what was
        # paid is the organization's, on its prepaid balance.
        uow.ledger.post(entry(f"{reason}: invoice no longer payable", now, currency, payment.total_minor,
                              debit=receivable(org), credit=prepaid(org)))
        uow.movements.add(move(account, PAYMENT_RETURNED, payment.total_minor, now, invoice_id=invoice.id,
                               payment_id=payment.id))
    announce_standing(uow, org)


def settle_pending(bootstrap_uow, provider: PaymentProvider) -> int:
    """The scheduler's round: asks the provider about every pending attempt; gives up on attempts
    that never reached it. Answers how many were decided."""
    with bootstrap_uow(reading=True) as uow:
        pending = [(p.id, p.provider_reference, p.created_at) for p in uow.payments.pending()]
        now = uow.clock.now()
    decided = 0
    for payment_id, reference, created_at in pending:
        if reference:
            charge = provider.status(reference)
        elif now - created_at > UNCHARGED_AT_MOST:
            charge = Charge("", FAILED, "The charge did not reach the card provider.")
        else:
            continue
        if charge.outcome == PENDING:
            continue
        with bootstrap_uow() as uow:
            if settle(uow, payment_id, charge).status != PENDING:
                decided += 1
    return decided


def outcome(payment: Payment) -> None:
    """The answer to an attempt that did not succeed: a decline is 402, a temporary failure 503."""
    if payment.status == DECLINED:
        raise PaymentDeclined(payment.reason or "The card was declined.", problem="card-declined",
                              payment_id=payment.id)
    if payment.status == FAILED:
        raise ProviderUnavailable(payment.reason or "The card provider is unavailable.",
                                  problem="payment-provider-unavailable", payment_id=payment.id)


def withdraw(uow, caller: Principal, org_id: str, amount_minor: int):
    """BI-10: the balance, or part of it, is paid back to the organization; never below zero."""
    _moving_money(uow, caller, org_id)
    account = uow.accounts.locked_of_org(org_id)
    if amount_minor <= 0:
        raise invalid_field("amount_minor", "is a positive amount of minor units")
    now = uow.clock.now()
    try:
        movement = move(account, WITHDRAWAL, -amount_minor, now)
    except BalanceTooLow as low:
        raise Conflict(str(low), problem="balance-too-low")
    uow.movements.add(movement)
    uow.ledger.post(entry(f"withdrawal {movement.id}", now, account.currency, amount_minor,
                          debit=prepaid(org_id), credit=PAYOUTS))
    announce_standing(uow, org_id)
    uow.commit()
    return movement


def payments_of_invoice(uow, caller: Principal, org_id: str, invoice_id: str, page):
    account_for(uow, caller, org_id)
    invoice = uow.receivables.get(invoice_id)
    if invoice is None or invoice.org_id != org_id:
        raise NotFound("No such invoice.")
    return uow.payments.of_invoice(invoice_id, page)


def payment(uow, caller: Principal, org_id: str, payment_id: str) -> Payment:
    account_for(uow, caller, org_id)
    found = uow.payments.get(payment_id)
    if found is None or found.org_id != org_id:
        raise NotFound("No such payment.")
    return found


def method_of(uow, caller: Principal, org_id: str, invoice_id: str) -> str:
    account_for(uow, caller, org_id)
    invoice = uow.receivables.get(invoice_id)
    if invoice is None or invoice.org_id != org_id:
        raise NotFound("No such invoice.")
    return uow.receivables.payment_method(invoice_id)


def change_method(uow, caller: Principal, org_id: str, invoice_id: str, method: str):
    """BI-06: the payment method of an open invoice can change (not while a payment is under way)."""
    if method not in METHODS:
        raise invalid_field("method", f"one of {', '.join(METHODS)}")
    invoice = _payable(uow, caller, org_id, invoice_id)
    if method == direct_debit_method.SEPA_DIRECT_DEBIT:
        direct_debit_method.ensure_collectable(uow, invoice)
    uow.receivables.set_payment_method(invoice.id, method, uow.clock.now(), caller.user_id)
    uow.commit()
    return invoice.id, method
