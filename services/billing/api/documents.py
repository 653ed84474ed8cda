"""Billing's documents: an invoice's PDF once paid, pro-forma invoices, invoices as CSV (BI-13, BI-14)."""
from __future__ import annotations

import uuid

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Forbidden
from portico_kernel.web import period_asked, principal

from ..adapters.documents import csv_of, pdf_of
from ..bootstrap import bootstrap
from ..domain import documents
from ..domain.events import InvoicesExported
from .orders import _items


def _pdf(content: bytes, name: str):
    return content, 200, {"Content-Type": "application/pdf", "Content-Disposition": f'attachment; filename="{name}.pdf"'}


def invoice_document(org_id: str, invoice_id: str, language=None):
    with bootstrap().uow(reading=True) as uow:
        doc = documents.invoice_document(uow, principal(), org_id, invoice_id, language)
    return _pdf(pdf_of(doc), doc.number)


def pro_forma_invoice(org_id: str, body: dict):
    with bootstrap().uow(reading=True) as uow:
        doc = documents.pro_forma_of(uow, principal(), org_id, _items(body), body.get("language"))
    return _pdf(pdf_of(doc), f"pro-forma-{doc.issued_on.isoformat()}")


def _exported(uow, org_id: str, status, since, until):
    invoices = documents.invoices_for_export(uow, principal(), org_id, status, period_asked(since, until))
    return invoices, csv_of(invoices)


def export_invoices(org_id: str, status=None, since=None, until=None):
    with bootstrap().uow(reading=True) as uow:
        _, content = _exported(uow, org_id, status, since, until)
    return content, 200, {"Content-Type": "text/csv",
                          "Content-Disposition": f'attachment; filename="invoices-{org_id}.csv"'}


def mail_invoices(org_id: str, body: dict):
    caller = principal()
    if caller.is_api_key:
        raise Forbidden("An export by email goes to the person who asks; an API key downloads it.")
    with bootstrap().uow() as uow:
        invoices, content = _exported(uow, org_id, body.get("status"), body.get("since"), body.get("until"))
        export_id = str(uuid.uuid4())
        uow.emit(InvoicesExported(
            export_id=export_id, org_id=org_id, requested_by=caller.user_id,
            file_name=f"invoices-{iso_utc(uow.clock.now())[:10]}.csv", invoice_count=len(invoices),
            csv=content.decode("utf-8"),
            filters={"status": body.get("status"), "since": body.get("since"), "until": body.get("until")}),
            org_id=org_id)
        uow.commit()
    return {"export_id": export_id, "invoice_count": len(invoices)}, 202
