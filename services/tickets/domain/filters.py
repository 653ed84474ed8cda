"""What a list of tickets is narrowed to: the caller's reach and the filters they ask for."""
from __future__ import annotations

from dataclasses import dataclass

from portico_kernel.paging import EVER, Period


@dataclass(frozen=True)
class ProductReach:
    """The tickets a member reaches: those about every product (`everything`), about products of
    `types` or the (type, id) `items`; those about no product when `general`; those they opened."""
    types: tuple[str, ...] = ()
    items: tuple[tuple[str, str], ...] = ()
    everything: bool = False
    general: bool = True
    opener: str | None = None


@dataclass(frozen=True)
class TicketFilter:
    org_id: str | None = None
    departments: tuple[str, ...] | None = None  # None: every department
    products: ProductReach | None = None  # None: every product
    state: str | None = None
    department: str | None = None
    priority: str | None = None
    assignee: str | None = None
    product_id: str | None = None
    period: Period = EVER
