"""BI-17: a ticket reported as critical that turned out not to be an emergency is billed, once, at the
catalog's fee, on an invoice of its own."""
from __future__ import annotations

from .events import FalseEmergencyReported
from .issuing import Charge, issue

FALSE_EMERGENCY = "false-emergency"


def on_false_emergency_reported(reported: FalseEmergencyReported, uow) -> None:
    account = uow.accounts.of_org(reported.org_id)
    if account is None:
        raise LookupError("the organization's account is not open yet")  # retried: it opens from orgs' event
    reference = f"ticket:{reported.ticket_id}"
    if uow.invoices.by_reference(account.org_id, reference) is not None:
        return  # billed already (the same ticket reported twice)
    fee = uow.catalog.fees[FALSE_EMERGENCY]
    issue(uow, account, [Charge(line_of(fee.name, reported), fee.prices[account.currency])], reference=reference)


def line_of(fee_name: str, reported: FalseEmergencyReported) -> str:
    """The invoice line: the fee, the ticket, when it was reported and, when support gave one, why it
    was no emergency (the customer sees it on the invoice); at most the line's 300 characters."""
    line = f"{fee_name}: ticket {reported.ticket_number or reported.ticket_id}, reported {reported.reported_at[:10]}"
    reason = " ".join((reported.reason or "").split())
    if reason:
        line += f"; reason: {reason}"
    return line if len(line) <= 300 else line[:299] + "…"
