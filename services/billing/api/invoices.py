"""`/v1/billing/accounts/{org_id}/invoices`: invoices and credit notes (BI-06, BI-13, BI-15)."""
from __future__ import annotations

from portico_kernel.web import page_asked, paged, period_asked, principal

from ..bootstrap import bootstrap
from ..domain import issuing
from ..domain.visibility import ensure_billing_staff
from .views import document_view


def list_invoices(org_id: str, limit=None, cursor=None, status=None, since=None, until=None):
    with bootstrap().uow(reading=True) as uow:
        page = issuing.documents_of(uow, principal(), org_id, page_asked(limit, cursor), status,
                                    period_asked(since, until))
        return paged(page, document_view)


def get_invoice(org_id: str, invoice_id: str):
    with bootstrap().uow(reading=True) as uow:
        return document_view(issuing.document(uow, principal(), org_id, invoice_id)), 200


def refund_invoice(org_id: str, invoice_id: str):
    ensure_billing_staff(principal())
    with bootstrap().uow() as uow:
        refunded, credit_note = issuing.refund(uow, org_id, invoice_id)
        uow.commit()
        return {"invoice": document_view(refunded), "credit_note": document_view(credit_note)}, 200


def cancel_invoice(org_id: str, invoice_id: str):
    ensure_billing_staff(principal())
    with bootstrap().uow() as uow:
        cancelled, credit_note = issuing.cancel(uow, org_id, invoice_id)
        uow.commit()
        return {"invoice": document_view(cancelled), "credit_note": document_view(credit_note)}, 200
