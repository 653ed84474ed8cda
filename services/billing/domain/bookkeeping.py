"""What every change of what an organization owes or holds writes besides itself: the ledger's
posting of an issued invoice or credit note, and `BillingStandingChanged` for orgs (OR-15).

An invoice debits what the organization owes (`receivable:<org>`) and credits the provider's
revenue (`revenue:<currency>`) and the VAT it owes (`vat:<rate>`); a credit note, with its negative
amounts, reverses it. Payments are posted where they happen (paying.py, prepaid.py).
"""
from __future__ import annotations

import uuid

from .events import BillingStandingChanged
from .ledger import posting
from .money import Money


def announce_standing(uow, org_id: str) -> None:
    """OR-15: orgs learns what the organization owes and holds whenever either changes."""
    uow.flush()
    account = uow.accounts.of_org(org_id)
    if account is None:
        return
    uow.emit(BillingStandingChanged(org_id=org_id, unpaid_invoices=uow.receivables.unpaid_count(org_id),
                                    prepaid_balance_minor=account.balance_minor, currency=account.currency),
             org_id=org_id)


def invoice_issued(uow, invoice, at) -> None:
    """Posts an issued invoice or credit note (nothing for one of zero), and tells orgs."""
    if invoice.total.minor:
        credits = {f"revenue:{invoice.currency}": invoice.net}
        for vat_line in invoice.vat_lines:
            account = f"vat:{vat_line.rate}"
            credits[account] = credits.get(account, Money.zero(invoice.currency)) + vat_line.vat
        kind = "credit note" if invoice.credit_note_of else "invoice"
        uow.ledger.post(posting(str(uuid.uuid4()), f"{kind} {invoice.number}", at,
                                debit={f"receivable:{invoice.org_id}": invoice.total}, credit=credits))
    announce_standing(uow, invoice.org_id)
