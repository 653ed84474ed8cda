from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BillingAccountOpened:
    account_id: str
    org_id: str
    currency: str
