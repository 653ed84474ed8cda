from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BillingAccountOpened:
    account_id: str
    org_id: str
    currency: str


@dataclass(frozen=True)
class PersonalDataErased:
    closure_id: str
    user_id: str
    service: str
