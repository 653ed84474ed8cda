"""DO-02, DO-03: a domain's registration or transfer ordered in domains is invoiced and collected here.

Domains asks (`DomainOrderPlaced`); billing issues one invoice per order, its reference
`domain-order:<order_id>` (a second request for the same order issues nothing), and pays it from the
prepaid balance when that covers it; otherwise it stays open for the customer to pay through the
payment API. `InvoicePaid` carries the reference, on which domains acts at the registry. When the
registry refuses (`DomainOrderFailed`), an unpaid or partly paid invoice is cancelled with a credit note and
a paid one refunded; what was paid goes to the prepaid balance (BI-06, BI-10).
"""
from __future__ import annotations

import logging

from portico_kernel.errors import DomainError

from . import issuing, paying, renewals
from .invoices import OPEN, PAID, PARTIALLY_PAID
from .issuing import Charge
from .money import Money

log = logging.getLogger(__name__)

KINDS = {"registration": "registration", "transfer": "transfer", "restore": "restore"}


def reference(order_id: str) -> str:
    return f"domain-order:{order_id}"


def description(event) -> str:
    years = "1 year" if event.years == 1 else f"{event.years} years"
    if event.kind == "transfer":
        return f"Domain {event.domain}: transfer, with {years} added"
    if event.kind == "restore":
        return f"Domain {event.domain}: restore"
    return f"Domain {event.domain}: registration for {years}"


def on_domain_order_placed(event, uow) -> None:
    ref = reference(event.order_id)
    account = uow.accounts.locked_of_org(event.org_id)
    if account is None:
        log.warning("domain order %s: organization %s has no billing account", event.order_id, event.org_id)
        return
    if uow.invoices.by_reference(event.org_id, ref) is not None:
        return  # the order is invoiced already
    price = event.price or {}
    if price.get("currency") != account.currency:
        log.warning("domain order %s priced in %s, the account is kept in %s", event.order_id, price.get("currency"),
                    account.currency)
        return
    document = issuing.issue(uow, account, [Charge(description(event), Money(int(price["amount_minor"]), account.currency))],
                             reference=ref)
    paying.pay_from_balance(uow, document, account)


def on_domain_order_failed(event, uow) -> None:
    """The order failed at the registry: nothing is owed for it, and what was paid goes back to the
    prepaid balance."""
    withdraw(uow, event.org_id, reference(event.order_id))


def on_domain_renewal_withdrawn(event, uow) -> None:
    """DO-05, DO-07: a renewal domains will not carry out is owed no more, like a failed order."""
    withdraw(uow, event.org_id, renewals.domain_reference(event.domain_id, event.expires_on))


def withdraw(uow, org_id: str, ref: str) -> None:
    """The invoice with the reference `ref`: cancelled with a credit note when unpaid or partly paid
    (what was paid goes onto the prepaid balance), refunded to the prepaid balance when paid."""
    document = uow.invoices.by_reference(org_id, ref)
    if document is None:
        log.warning("%s withdrawn before it was invoiced", ref)
        return
    status = document.invoice.status
    try:
        if status in (OPEN, PARTIALLY_PAID):
            issuing.withdraw_unpaid(uow, org_id, document.invoice.id)
        elif status == PAID:
            issuing.refund(uow, org_id, document.invoice.id)
    except DomainError as refused:  # cancelled or refunded meanwhile: nothing left to do
        log.warning("%s: invoice %s not withdrawn (%s)", ref, document.invoice.number, refused)
