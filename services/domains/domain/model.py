"""Domains an organization holds (DO-01), and where each stands in its life (DO-04 … DO-07).

`status` is one of STATUSES (domain/lifecycle.py says which phase each is); `due_on` is the next day
the scheduler looks at the domain (lifecycle.next_check): the daily expiry scan reads only the domains
due, through an index on that day. A new domain is due on the day it was created.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

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
    renewal_warranty: bool = False  # DO-06: renewed by the provider even when the customer misses the deadline
    due_on: date | None = None

    def __post_init__(self):
        if self.due_on is None:
            self.due_on = self.created_at.astimezone(timezone.utc).date()

    @property
    def expires_on(self) -> date:
        """The registry's expiry date (exDate), in UTC."""
        moment = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).date()

    @property
    def tld(self) -> str:
        return self.name.rstrip(".").rsplit(".", 1)[-1]
