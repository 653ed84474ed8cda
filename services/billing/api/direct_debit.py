"""SEPA direct debit (BI-08): mandates, their forms, and the exports of collections for the bank."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.web import page_asked, paged, principal

from ..adapters import mandate_form, pain008
from ..bootstrap import bootstrap
from ..domain import direct_debit


def _money(minor: int, currency: str) -> dict:
    return {"amount_minor": minor, "currency": currency}


def mandate_view(mandate, creditor_id: str) -> dict:
    return {"id": mandate.id, "org_id": mandate.org_id, "reference": mandate.reference,
            "account_holder": mandate.account_holder, "iban": direct_debit.masked(mandate.iban), "bic": mandate.bic,
            "scheme": mandate.scheme, "signed_on": mandate.signed_on.isoformat(), "status": mandate.status,
            "creditor_id": creditor_id, "created_at": iso_utc(mandate.created_at),
            "ended_at": iso_utc(mandate.ended_at) if mandate.ended_at else None}


def export_view(export) -> dict:
    view = {"id": export.id, "created_at": iso_utc(export.created_at), "count": export.count,
            "total": _money(export.total_minor, export.currency),
            "files": [{"scheme": f.scheme, "message_id": f.message_id, "count": f.count,
                       "total": _money(f.total_minor, export.currency),
                       "href": f"/v1/billing/direct-debit-exports/{export.id}/files/{f.scheme}"} for f in export.files]}
    if export.collections:
        view["collections"] = [
            {"invoice_id": c.invoice_id, "org_id": c.org_id, "mandate_id": c.mandate_id, "scheme": c.scheme,
             "sequence_type": c.sequence_type, "amount": _money(c.amount_minor, c.currency),
             "collection_date": c.collection_date.isoformat(), "end_to_end_id": c.end_to_end_id}
            for c in export.collections]
    return view


def _creditor_id(uow) -> str:
    return uow.catalog.supplier["sepa_creditor_id"]


def register_mandate(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        made = direct_debit.register(uow, principal(), org_id, account_holder=body["account_holder"],
                                     iban=body["iban"], bic=body.get("bic"),
                                     signed_on=body["signed_on"], scheme=body["scheme"])
        return mandate_view(made, _creditor_id(uow)), 201


def list_mandates(org_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        page = direct_debit.mandates_of(uow, principal(), org_id, page_asked(limit, cursor))
        return paged(page, lambda m: mandate_view(m, _creditor_id(uow)))


def get_mandate(org_id: str, mandate_id: str):
    with bootstrap().uow(reading=True) as uow:
        return mandate_view(direct_debit.mandate(uow, principal(), org_id, mandate_id), _creditor_id(uow)), 200


def revoke_mandate(org_id: str, mandate_id: str):
    with bootstrap().uow() as uow:
        return mandate_view(direct_debit.revoke(uow, principal(), org_id, mandate_id), _creditor_id(uow)), 200


def mandate_form_pdf(org_id: str, mandate_id: str):
    with bootstrap().uow(reading=True) as uow:
        mandate, creditor, debtor = direct_debit.form_of(uow, principal(), org_id, mandate_id)
    return mandate_form.pdf_of(mandate, creditor, debtor), 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="sepa-mandate-{mandate.reference}.pdf"'}


def export_collections():
    with bootstrap().uow() as uow:
        return export_view(direct_debit.export(uow, principal(), pain008.write)), 201


def list_exports(limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(direct_debit.exports(uow, principal(), page_asked(limit, cursor)), export_view)


def get_export(export_id: str):
    with bootstrap().uow(reading=True) as uow:
        return export_view(direct_debit.export_of(uow, principal(), export_id)), 200


def export_file(export_id: str, scheme: str):
    with bootstrap().uow(reading=True) as uow:
        file = direct_debit.file_of(uow, principal(), export_id, scheme)
    return file.content.encode("utf-8"), 200, {
        "Content-Type": "application/xml",
        "Content-Disposition": f'attachment; filename="pain.008-{scheme.lower()}-{export_id}.xml"'}
