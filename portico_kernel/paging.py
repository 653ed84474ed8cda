"""Paging of every collection by cursor (docs/API.md "Paging"), framework-free.

A page is asked for with `limit` (1 to MAX_LIMIT, DEFAULT_LIMIT when absent) and `cursor`, the
opaque token a previous page gave for the next one. Repositories page by key (keyset): they order
by a stable key ending in a unique column, fetch `limit + 1` rows after the cursor's key, and the
extra row only says that a next page exists. The cursor is the last item's key, encoded: a page
stays right while rows are added or removed, and no offset is counted.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Generic, Sequence, TypeVar

from .errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    after: tuple | None = None  # the key of the previous page's last item


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def map(self, view: Callable[[T], object]) -> "Page":
        return Page([view(item) for item in self.items], self.next_cursor)

    def keep(self, wanted: Callable[[T], bool]) -> "Page[T]":
        """Some items left out after the query (a page may then hold fewer than `limit`)."""
        return Page([item for item in self.items if wanted(item)], self.next_cursor)


ALL = PageRequest(limit=10**9)  # for a caller inside the service that wants every row


@dataclass(frozen=True)
class Period:
    """A collection's filter by time (`since` included, `until` excluded), as `?since=&until=`."""
    since: datetime | None = None
    until: datetime | None = None


EVER = Period()


def period(since: datetime | None, until: datetime | None) -> Period:
    if since is not None and until is not None and until < since:
        raise _refused("until", "must not be before since")
    return Period(since, until)


def _refused(name: str, reason: str) -> Invalid:
    return Invalid(f"{name}: {reason}", invalid_params=[{"name": name, "reason": reason}])


def bad_cursor() -> Invalid:
    return _refused("cursor", "is not a cursor this collection gave; start again without it")


def request(limit: int | str | None = None, cursor: str | None = None) -> PageRequest:
    """The page a client asked for; a bad `limit` or `cursor` is refused naming it."""
    if limit is None:
        limit = DEFAULT_LIMIT
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise _refused("limit", f"must be a whole number from 1 to {MAX_LIMIT}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _refused("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return PageRequest(limit, decode(cursor) if cursor else None)


def encode(key: Sequence) -> str:
    values = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode(cursor: str) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or not values:
            raise ValueError
        return tuple(datetime.fromisoformat(v["t"]) if isinstance(v, dict) else _plain(v) for v in values)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise bad_cursor() from None


def _plain(value):
    if value is None or isinstance(value, (str, int)) and not isinstance(value, bool):
        return value
    raise ValueError(value)


def page_of(rows: Sequence[T], asked: PageRequest, key: Callable[[T], Sequence]) -> Page[T]:
    """The page of `rows` (fetched `limit + 1`) and the cursor of the next one, if any."""
    if len(rows) <= asked.limit:
        return Page(list(rows))
    items = list(rows[:asked.limit])
    return Page(items, encode(key(items[-1])))
