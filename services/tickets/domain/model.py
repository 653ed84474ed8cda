"""Support tickets of an organization (TI-01)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.clock import utcnow

PRIORITIES = ("low", "normal", "high", "critical")


@dataclass(eq=False)
class Ticket:
    id: str
    org_id: str
    subject: str
    department: str
    opened_by: str
    priority: str = "normal"
    status: str = "open"
    opened_at: datetime = field(default_factory=utcnow)
