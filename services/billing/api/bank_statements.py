"""`/v1/billing/bank-statements`, `/v1/billing/bank-entries`: billing clerks import the bank's
camt.053/camt.054 files and assign what found no invoice (BI-06, BI-08, BI-10)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.errors import invalid_field
from portico_kernel.web import page_asked, paged, principal

from ..adapters import camt
from ..bootstrap import bootstrap
from ..domain import bank_statements
from ..domain.bank_statements import StatementRefused
from ..domain.visibility import ensure_billing_staff


def _money(minor: int, currency: str) -> dict:
    return {"amount_minor": minor, "currency": currency}


def statement_view(statement) -> dict:
    return {"id": statement.id, "message_id": statement.message_id, "kind": statement.kind,
            "version": statement.version, "file_name": statement.file_name, "account": statement.account_iban,
            "content_hash": statement.content_hash, "imported_at": iso_utc(statement.imported_at),
            "imported_by": statement.imported_by,
            "entries": {"in_file": statement.entry_count, "new": statement.new_count,
                        "matched": statement.matched_count, "unmatched": statement.unmatched_count,
                        "ignored": statement.ignored_count, "not_booked": statement.not_booked_count,
                        "known": len(statement.known_entries)},
            "known_entries": list(statement.known_entries)[:1000]}


def entry_view(entry) -> dict:
    return {"id": entry.id, "statement_id": entry.statement_id, "bank_reference": entry.key,
            "direction": entry.direction, "amount": _money(entry.amount_minor, entry.currency),
            "booked_on": entry.booked_on.isoformat() if entry.booked_on else None,
            "payment_reference": entry.reference, "remittance_text": entry.remittance_text,
            "end_to_end_id": entry.end_to_end_id, "debtor_name": entry.debtor_name,
            "return_code": entry.return_code, "return_reason": entry.return_reason or None,
            "status": entry.status, "outcome": entry.outcome, "note": entry.note,
            "org_id": entry.org_id, "invoice_id": entry.invoice_id,
            "to_invoice": _money(entry.to_invoice_minor, entry.currency),
            "to_prepaid": _money(entry.to_prepaid_minor, entry.currency),
            "matched_at": iso_utc(entry.matched_at) if entry.matched_at else None,
            "matched_by": entry.matched_by}


def import_statement(body: bytes, file_name: str | None = None):
    caller = principal()
    ensure_billing_staff(caller)  # nobody else's file is read at all
    named = f"The statement file {file_name!r}" if file_name else "The statement file"
    try:
        statement = camt.parse(body if isinstance(body, bytes) else (body or "").encode())
    except StatementRefused as refused:
        raise invalid_field("statement", f"{named} is refused: {refused}") from None
    with bootstrap().uow() as uow:
        result = bank_statements.import_statement(uow, caller, statement, file_name)
    view = {"statement": statement_view(result.statement), "already_imported": result.already_imported,
            "entries": [entry_view(e) for e in result.entries[:1000]],
            "known_entries": list(result.known_entries[:1000])}
    return view, 200 if result.already_imported else 201


def list_bank_statements(limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(bank_statements.statements(uow, principal(), page_asked(limit, cursor)), statement_view)


def get_bank_statement(statement_id: str):
    with bootstrap().uow(reading=True) as uow:
        return statement_view(bank_statements.statement(uow, principal(), statement_id)), 200


def list_statement_entries(statement_id: str, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(bank_statements.entries_of(uow, principal(), statement_id, page_asked(limit, cursor)),
                     entry_view)


def list_bank_entries(status=None, limit=None, cursor=None):
    with bootstrap().uow(reading=True) as uow:
        return paged(bank_statements.entries(uow, principal(), page_asked(limit, cursor), status), entry_view)


def get_bank_entry(entry_id: str):
    with bootstrap().uow(reading=True) as uow:
        return entry_view(bank_statements.bank_entry(uow, principal(), entry_id)), 200


def assign_bank_entry(entry_id: str, body: dict):
    with bootstrap().uow() as uow:
        entry = bank_statements.assign(uow, principal(), entry_id, body["org_id"], body.get("invoice_id"))
        return entry_view(entry), 200
