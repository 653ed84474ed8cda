"""Imported bank statements and their entries (domain/bank_statements.py), kept once each: the
unique constraints on a file's identity and an entry's key answer a second import, also one running
at the same moment."""
from __future__ import annotations

from dataclasses import fields

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from portico_kernel.db import fetch_page, is_postgres
from portico_kernel.paging import PageRequest

from ..domain.bank_statements import BankEntry, BankStatementImport
from .orm import bank_entries, bank_statements

_ENTRY_COLUMNS = [f.name for f in fields(BankEntry)]
_STATEMENT_COLUMNS = [f.name for f in fields(BankStatementImport)]
_IMPORTS_LOCK = 2026_1126_0013  # a PostgreSQL advisory lock: one import or assignment at a time

_STATEMENTS = select(bank_statements)
_ENTRIES_ALL = select(bank_entries)
_ENTRIES_BY_STATUS = select(bank_entries).where(bank_entries.c.status == bindparam("status"))
_ENTRIES_OF_STATEMENT = select(bank_entries).where(bank_entries.c.statement_id == bindparam("statement_id"))


def _entry_values(entry: BankEntry) -> dict:
    values = {name: getattr(entry, name) for name in _ENTRY_COLUMNS}
    values["entry_key"] = values.pop("key")
    values["note"] = values["note"][:300]
    return values


def _entry(row) -> BankEntry:
    values = {name: getattr(row, name) for name in _ENTRY_COLUMNS if name != "key"}
    return BankEntry(key=row.entry_key, **values)


def _statement(row) -> BankStatementImport:
    values = {name: getattr(row, name) for name in _STATEMENT_COLUMNS}
    values["known_entries"] = list(values["known_entries"] or [])
    return BankStatementImport(**values)


class BankStatements:
    def __init__(self, session):
        self.session = session

    def serialized(self) -> None:
        """Imports and assignments wait for each other (SQLite: the writer holds the database's
        write lock already)."""
        if is_postgres(self.session.get_bind()):
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORTS_LOCK})

    def statement_by_identity(self, message_id: str, content_hash: str) -> BankStatementImport | None:
        row = self.session.execute(select(bank_statements).where(bank_statements.c.message_id == message_id,
                                                                 bank_statements.c.content_hash == content_hash)).first()
        return _statement(row) if row else None

    def add_statement(self, statement: BankStatementImport) -> bool:
        """False when the same file was imported meanwhile."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(bank_statements).values(
                    **{name: getattr(statement, name) for name in _STATEMENT_COLUMNS}))
            return True
        except IntegrityError:
            return False

    def save_statement(self, statement: BankStatementImport) -> None:
        values = {name: getattr(statement, name) for name in _STATEMENT_COLUMNS if name != "id"}
        self.session.execute(update(bank_statements).where(bank_statements.c.id == statement.id).values(**values))

    def count_assigned(self, statement_id: str) -> None:
        self.session.execute(update(bank_statements).where(bank_statements.c.id == statement_id).values(
            matched_count=bank_statements.c.matched_count + 1,
            unmatched_count=bank_statements.c.unmatched_count - 1))

    def claim_entry(self, entry: BankEntry) -> bool:
        """The entry is written, or False when a file imported earlier (or at this moment) brought it."""
        if self.session.execute(select(bank_entries.c.id).where(bank_entries.c.entry_key == entry.key)).first():
            return False
        try:
            with self.session.begin_nested():
                self.session.execute(insert(bank_entries).values(**_entry_values(entry)))
            return True
        except IntegrityError:
            return False

    def save_entry(self, entry: BankEntry, only_if: str | None = None) -> bool:
        values = _entry_values(entry)
        for kept in ("id", "entry_key", "statement_id", "created_at"):
            values.pop(kept)
        query = update(bank_entries).where(bank_entries.c.id == entry.id)
        if only_if is not None:
            query = query.where(bank_entries.c.status == only_if)
        return self.session.execute(query.values(**values)).rowcount == 1

    def locked_entry(self, entry_id: str) -> BankEntry | None:
        query = select(bank_entries).where(bank_entries.c.id == entry_id)
        if is_postgres(self.session.get_bind()):
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return _entry(row) if row else None

    def entry(self, entry_id: str) -> BankEntry | None:
        row = self.session.execute(select(bank_entries).where(bank_entries.c.id == entry_id)).first()
        return _entry(row) if row else None

    def statement(self, statement_id: str) -> BankStatementImport | None:
        row = self.session.execute(select(bank_statements).where(bank_statements.c.id == statement_id)).first()
        return _statement(row) if row else None

    def statements(self, page: PageRequest):
        """Newest first."""
        found = fetch_page(self.session, _STATEMENTS, (bank_statements.c.imported_at, bank_statements.c.id), page,
                           descending=True, scalars=False, key=lambda row: (row.imported_at, row.id))
        return found.map(_statement)

    def entries(self, page: PageRequest, *, status: str | None = None, statement_id: str | None = None):
        """Oldest first: as the bank booked them."""
        order = (bank_entries.c.created_at, bank_entries.c.position, bank_entries.c.id)
        if statement_id is not None:
            query, params = _ENTRIES_OF_STATEMENT, {"statement_id": statement_id}
        elif status is not None:
            query, params = _ENTRIES_BY_STATUS, {"status": status}
        else:
            query, params = _ENTRIES_ALL, {}
        found = fetch_page(self.session, query, order, page, params=params, scalars=False,
                           key=lambda row: (row.created_at, row.position, row.id))
        return found.map(_entry)
