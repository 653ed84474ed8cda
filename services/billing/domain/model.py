"""Billing accounts. Money is integer minor units with an ISO 4217 code, never a float."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import utcnow


def currency_for(country: str | None) -> str:
    """OR-14: the postal address decides the invoice currency: CHF for Switzerland and Liechtenstein
    (one currency and VAT territory), EUR otherwise."""
    return "CHF" if country in ("CH", "LI") else "EUR"


@dataclass(eq=False)
class BillingAccount:
    id: str
    org_id: str
    currency: str
    balance_minor: int = 0
    opened_at: datetime = field(default_factory=utcnow)
    # what orgs says of the organization (OR-14), named on its invoices
    name: str | None = None
    org_type: str | None = None
    country: str | None = None
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    town: str | None = None
    vat_id: str | None = None
    language: str | None = None  # the organization's language, its documents' (documents.language_for)

    @classmethod
    def open_for(cls, org_id: str, country: str | None) -> "BillingAccount":
        return cls(id=str(uuid.uuid4()), org_id=org_id, currency=currency_for(country))
