"""Domains an organization holds (DO-01). The lifecycle (renewal, redemption) comes with its own rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import utcnow

STATUSES = ("active", "expired", "redemption", "pending_delete", "released")


@dataclass(eq=False)
class Domain:
    id: str
    org_id: str
    name: str
    expires_at: datetime
    status: str = "active"
    auto_renew: bool = True
    created_at: datetime = field(default_factory=utcnow)
