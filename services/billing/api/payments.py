"""Paying invoices, the prepaid balance, and the ledger's check (BI-06, BI-08, BI-10)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.web import page_asked, paged, period_asked, principal

from ..bootstrap import bootstrap, payment_provider
from ..domain import accounts, ledger_check, paying
from ..domain.payments import PENDING


def _money(minor: int, currency: str) -> dict:
    return {"amount_minor": minor, "currency": currency}


def payment_view(payment) -> dict:
    return {"id": payment.id, "org_id": payment.org_id, "invoice_id": payment.invoice_id, "status": payment.status,
            "method": payment.method, "amount": _money(payment.total_minor, payment.currency),
            "card": _money(payment.card_minor, payment.currency),
            "prepaid": _money(payment.prepaid_minor, payment.currency), "reason": payment.reason,
            "created_at": iso_utc(payment.created_at),
            "decided_at": iso_utc(payment.decided_at) if payment.decided_at else None}


def movement_view(movement) -> dict:
    return {"id": movement.id, "kind": movement.kind, "amount": _money(movement.amount_minor, movement.currency),
            "balance_after": _money(movement.balance_after_minor, movement.currency), "at": iso_utc(movement.at),
            "invoice_id": movement.invoice_id, "payment_id": movement.payment_id}


def _answer(payment):
    paying.outcome(payment)  # a decline is 402, a temporary failure 503
    return payment_view(payment), 202 if payment.status == PENDING else 201


def pay_invoice(org_id: str, invoice_id: str, body: dict):
    service = bootstrap()
    with service.uow() as uow:
        started = paying.start_invoice_payment(uow, principal(), org_id, invoice_id, card_token=body.get("card_token"),
                                               prepaid_minor=body.get("prepaid_amount_minor"),
                                               use_prepaid=bool(body.get("use_prepaid")))
    return _answer(paying.charge_and_settle(service.uow, payment_provider(), started))


def top_up(org_id: str, body: dict):
    service = bootstrap()
    with service.uow() as uow:
        started = paying.start_top_up(uow, principal(), org_id, body["card_token"], body["amount"]["amount_minor"],
                                      body["amount"]["currency"])
    return _answer(paying.charge_and_settle(service.uow, payment_provider(), started))


def withdraw(org_id: str, body: dict):
    with bootstrap().uow() as uow:
        return movement_view(paying.withdraw(uow, principal(), org_id, body["amount_minor"])), 201


def get_payment(org_id: str, payment_id: str):
    with bootstrap().uow(reading=True) as uow:
        return payment_view(paying.payment(uow, principal(), org_id, payment_id)), 200


def list_invoice_payments(org_id: str, invoice_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(paying.payments_of_invoice(uow, principal(), org_id, invoice_id, page_asked(limit, cursor)),
                     payment_view)


def get_payment_method(org_id: str, invoice_id: str):
    with bootstrap().uow(reading=True) as uow:
        return {"invoice_id": invoice_id,
                "payment_method": paying.method_of(uow, principal(), org_id, invoice_id)}, 200


def change_payment_method(org_id: str, invoice_id: str, body: dict):
    with bootstrap().uow() as uow:
        invoice_id, method = paying.change_method(uow, principal(), org_id, invoice_id, body["method"])
        return {"invoice_id": invoice_id, "payment_method": method}, 200


def list_prepaid_movements(org_id: str, since=None, until=None, limit=None, cursor=None):
    period = period_asked(since, until)
    with bootstrap().uow(reading=True) as uow:
        accounts.account_for(uow, principal(), org_id)
        return paged(uow.movements.of_org(org_id, page_asked(limit, cursor), period), movement_view)


def check_ledger():
    with bootstrap().uow(reading=True) as uow:
        return ledger_check.check(uow, principal()), 200
