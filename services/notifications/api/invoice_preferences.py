"""`/v1/notifications/invoice-preferences`: who of the organization receives which invoice mails (BI-16)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc
from portico_kernel.web import principal

from ..bootstrap import bootstrap
from ..domain import invoice_preferences
from ..domain.model import InvoicePreferences


def _view(uow, preferences: InvoicePreferences) -> dict:
    return {"recipients": [{"email": mail.recipient, "language": mail.language}
                           for mail in invoice_preferences.recipients(uow, preferences)],
            "kinds": list(preferences.kinds), "legal_representatives": preferences.legal_representatives,
            "administrators": preferences.administrators, "accounting": preferences.accounting, "members": list(preferences.members),
            "contacts": list(preferences.contacts), "extra_addresses": list(preferences.extra_addresses),
            "language": preferences.language,
            "updated_at": iso_utc(preferences.updated_at) if preferences.updated_at is not None else None}


def get_invoice_preferences():
    with bootstrap().uow(reading=True) as uow:
        return _view(uow, invoice_preferences.preferences_of(uow, principal()))


def put_invoice_preferences(body: dict):
    with bootstrap().uow() as uow:
        return _view(uow, invoice_preferences.set_preferences(uow, principal(), body))
