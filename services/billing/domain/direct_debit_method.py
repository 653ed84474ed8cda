"""Whether an invoice is paid by SEPA direct debit (BI-06, BI-08): the rule issuing and paying ask,
kept apart from the mandates and exports (direct_debit.py), which themselves pay through paying.py."""
from __future__ import annotations

from portico_kernel.errors import Conflict

from . import invoices as invoice_rules

SEPA_DIRECT_DEBIT = "sepa_direct_debit"
CURRENCY = "EUR"  # SEPA collects euros only


def ensure_collectable(uow, invoice) -> None:
    """BI-06, BI-08: an invoice is paid by direct debit only in euros and with an active mandate."""
    if invoice.currency != CURRENCY:
        raise Conflict(f"SEPA direct debit collects euros; this invoice is in {invoice.currency}: pay it by "
                       "transfer, card or from the prepaid balance.", problem="direct-debit-not-possible")
    if uow.mandates.active_of(invoice.org_id) is None:
        raise Conflict("Direct debit needs an active SEPA mandate of the organization: register one first.",
                       problem="no-active-mandate")


def collect_by_default(uow, document) -> None:
    """An organization with an active mandate has its new EUR invoices collected by direct debit.
    (Billing's unit of work always has mandates; a unit of work without them issues as before.)"""
    mandates = getattr(uow, "mandates", None)
    invoice = document.invoice
    if (mandates is None or invoice.currency != CURRENCY or invoice.credit_note_of is not None
            or invoice.status != invoice_rules.OPEN):
        return
    if mandates.active_of(invoice.org_id) is not None:
        uow.receivables.set_payment_method(invoice.id, SEPA_DIRECT_DEBIT, uow.clock.now(), None)
