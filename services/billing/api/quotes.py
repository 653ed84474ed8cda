"""`/v1/billing/accounts/{org_id}/quotes`: "my offers" (BI-07)."""
from __future__ import annotations

from fractions import Fraction

from portico_kernel.clock import iso_utc
from portico_kernel.web import page_asked, paged, principal

from ..adapters.documents import pdf_of
from ..bootstrap import bootstrap
from ..domain import quotes
from .orders import _items
from .views import document_view, rate, subscription_view


def _money(minor: int, currency: str) -> dict:
    return {"amount_minor": minor, "currency": currency}


def quote_view(quote, today) -> dict:
    currency = quote.currency
    return {"id": quote.id, "number": quote.number, "org_id": quote.org_id, "status": quote.status_on(today),
            "currency": currency, "items": quote.items,
            "lines": [{"description": line["description"], "net": _money(line["net_minor"], currency)}
                      for line in quote.lines],
            "vat_rate": rate(Fraction(quote.vat_rate)), "reverse_charge": quote.reverse_charge,
            "net": _money(quote.net_minor, currency), "vat": _money(quote.vat_minor, currency),
            "total": _money(quote.net_minor + quote.vat_minor, currency),
            "valid_until": quote.valid_until.isoformat(), "created_at": iso_utc(quote.created_at),
            "decided_at": iso_utc(quote.decided_at) if quote.decided_at else None, "invoice_id": quote.invoice_id}


def list_quotes(org_id: str, status=None, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        today = uow.clock.now().date()
        return paged(quotes.quotes_of(uow, principal(), org_id, page_asked(limit, cursor), status),
                     lambda q: quote_view(q, today))


def make_quote(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        quote = quotes.offer(uow, principal(), org_id, _items(body), body.get("valid_days"))
        return quote_view(quote, uow.clock.now().date()), 201


def get_quote(org_id: str, quote_id: str):
    with bootstrap().uow(reading=True) as uow:
        return quote_view(quotes.quote(uow, principal(), org_id, quote_id), uow.clock.now().date()), 200


def accept_quote(org_id: str, quote_id: str):
    with bootstrap().uow() as uow:
        quote, order, document = quotes.accept(uow, principal(), org_id, quote_id)
        today = uow.clock.now().date()
        return {"quote": quote_view(quote, today),
                "order": {"subscriptions": [subscription_view(s, p, today=today) for s, p, _ in order.subscriptions],
                          "invoice": document_view(document) if document else None}}, 201


def change_quote_frequency(org_id: str, quote_id: str, body: dict):
    with bootstrap().uow() as uow:
        quote = quotes.change_frequency(uow, principal(), org_id, quote_id, body["frequency"])
        return quote_view(quote, uow.clock.now().date()), 200


def decline_quote(org_id: str, quote_id: str):
    with bootstrap().uow() as uow:
        return quote_view(quotes.decline(uow, principal(), org_id, quote_id), uow.clock.now().date()), 200


def quote_document(org_id: str, quote_id: str, language=None):
    with bootstrap().uow(reading=True) as uow:
        doc = quotes.quote_document(uow, principal(), org_id, quote_id, language)
    return pdf_of(doc), 200, {"Content-Type": "application/pdf",
                              "Content-Disposition": f'attachment; filename="{doc.number}.pdf"'}
