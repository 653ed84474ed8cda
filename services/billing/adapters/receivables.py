"""What organizations owe on their invoices, as paying needs it: an invoice locked while a payment of
it is written, its paid amount and state saved, the count of unpaid invoices per organization (OR-15)
and what each still owes (the ledger's check)."""
from __future__ import annotations


class Receivables:
    def __init__(self, session):
        self.session = session

    def get(self, invoice_id: str):
        return None

    def locked(self, invoice_id: str):
        return None

    def save(self, invoice) -> None:
        raise NotImplementedError

    def unpaid_count(self, org_id: str) -> int:
        return 0

    def outstanding_by_org(self) -> dict:
        return {}

    def set_payment_method(self, invoice_id: str, method: str) -> None:
        raise NotImplementedError
