"""A unit of work that keeps a batch's writes and sends them at its commit, a few statements per table
(the renewal's round: thousands of invoices per transaction, BI-11).

It answers the domain as billing's unit of work does: issuing, paying and bookkeeping run unchanged
on it. What they write (invoices and their lines, postings, payments, prepaid movements, events) is
kept in memory until `commit()`; what they read of it is answered from there (an invoice by its
reference, an organization's unpaid invoices, an account's balance), so a batch's reads do not
go to the database once per subscription. Of the events that only state where something stands
(`BillingStandingChanged`), the batch sends the last per organization. The numbers of a series are taken as a block: the series'
counter row is locked at its first number and written once at the commit, so numbers stay without
gaps. Whatever it does not keep itself goes to the wrapped unit of work as it is.
"""
from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import json

from sqlalchemy import JSON, bindparam, insert, select, text, update

from portico_kernel.db import is_postgres

from portico_kernel import events as kernel_events
from portico_kernel.uow import correlation_id
from datetime import datetime, timezone

from ..domain.invoices import OPEN, PARTIALLY_PAID
from ..domain.model import BillingAccount
from .orm import (
    billing_accounts, invoice_lines, invoice_series, invoices, ledger_entries, ledger_postings, payments, prepaid_movements,
)

UNPAID = (OPEN, PARTIALLY_PAID)
_ACCOUNT_FIELDS = [f.name for f in fields(BillingAccount)]
# Events that state where something stands now: of several in one batch, the last one says it all
# (OR-15: what an organization owes and holds).
LATEST_ONLY = frozenset({"BillingStandingChanged"})


def copy_rows(session, table, rows: list[dict]) -> None:
    """Rows into a table: on PostgreSQL by COPY (one stream for thousands of rows), elsewhere as
    one statement run for each row."""
    if not rows:
        return
    if not is_postgres(session.get_bind()):
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[name]) if name in as_json and row[name] is not None else row[name]
                            for name in columns])


def _columns_of(table, objects: list) -> list[dict]:
    return [{column.name: getattr(o, column.name) for column in table.columns} for o in objects]


class _Invoices:
    def __init__(self, real):
        self.real = real
        self.new: dict[str, Any] = {}  # id -> Document, as it is now
        self.by_ref: dict[tuple[str, str], Any] = {}
        self.known_absent: set[tuple[str, str]] = set()
        self.series: dict[str, int] = {}  # series -> last number given in this batch
        self.unpaid_base: dict[str, int] = {}
        self.of_org: dict[str, list[str]] = {}  # the new invoices of each organization

    def __getattr__(self, name):
        return getattr(self.real, name)

    def next_sequence(self, series: str) -> int:
        if series not in self.series:
            self.series[series] = self.real.next_sequence(series)  # locks the counter until the commit
        else:
            self.series[series] += 1
        return self.series[series]

    def add(self, document) -> None:
        self.new[document.invoice.id] = document
        self.of_org.setdefault(document.invoice.org_id, []).append(document.invoice.id)
        if document.reference is not None:
            self.by_ref[(document.invoice.org_id, document.reference)] = document

    def invoiced_references(self, wanted):
        found = self.real.invoiced_references(wanted)
        self.known_absent.update(pair for pair in wanted if pair not in found)
        return found

    def by_reference(self, org_id: str, reference: str):
        key = (org_id, reference)
        if key in self.by_ref:
            return self.by_ref[key]
        if key in self.known_absent:
            return None
        return self.real.by_reference(org_id, reference)

    def get(self, invoice_id: str):
        return self.new.get(invoice_id) or self.real.get(invoice_id)

    def save_status(self, invoice) -> None:
        if invoice.id in self.new:
            self.new[invoice.id] = replace(self.new[invoice.id], invoice=invoice)
        else:
            self.real.save_status(invoice)

    def prime_unpaid(self, org_ids) -> None:
        missing = [org for org in org_ids if org not in self.unpaid_base]
        if missing:
            self.unpaid_base.update(self.real.unpaid_counts(missing))

    def unpaid_count(self, org_id: str) -> int:
        if org_id not in self.unpaid_base:
            self.prime_unpaid([org_id])
        return self.unpaid_base[org_id] + sum(
            1 for d in (self.new[i] for i in self.of_org.get(org_id, ()))
            if d.kind == "invoice" and d.invoice.status in UNPAID)

    def write(self, session) -> None:
        for series, last in self.series.items():
            session.execute(update(invoice_series).where(invoice_series.c.series == series).values(last_sequence=last))
        documents = list(self.new.values())
        if not is_postgres(session.get_bind()):
            self.real.add_all(documents)
            return
        copy_rows(session, invoices, [self.real._row(d) for d in documents])
        copy_rows(session, invoice_lines, [
            {"invoice_id": d.invoice.id, "position": index, "description": line.description[:300],
             "net_minor": line.net.minor, "vat_rate": str(line.vat_rate), "product_id": ref[0], "subscription_id": ref[1]}
            for d in documents for index, (line, ref) in enumerate(zip(d.invoice.lines, d.line_refs), start=1)])


class _Receivables:
    def __init__(self, real, invoices: _Invoices):
        self.real = real
        self.invoices = invoices
        self.methods: list[tuple] = []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def locked(self, invoice_id: str):
        if invoice_id in self.invoices.new:
            return self.invoices.new[invoice_id].invoice
        return self.real.locked(invoice_id)

    def get(self, invoice_id: str):
        if invoice_id in self.invoices.new:
            return self.invoices.new[invoice_id].invoice
        return self.real.get(invoice_id)

    def save(self, invoice) -> None:
        self.invoices.save_status(invoice)

    def set_payment_method(self, invoice_id: str, method: str, at, by) -> None:
        if invoice_id in self.invoices.new:
            self.methods.append((invoice_id, method, at, by))
        else:
            self.real.set_payment_method(invoice_id, method, at, by)

    def write(self) -> None:
        for args in self.methods:
            self.real.set_payment_method(*args)


class _Accounts:
    """The batch's accounts, their rows locked once (in the order of their organizations) and read as
    plain records; the balances that changed are written in one statement at the commit."""

    def __init__(self, real, invoices: _Invoices, session):
        self.real = real
        self.invoices = invoices
        self.session = session
        self.locked: dict[str, Any] = {}
        self.read_balance: dict[str, int] = {}

    def __getattr__(self, name):
        return getattr(self.real, name)

    def locked_of_orgs(self, org_ids):
        wanted = sorted(set(org_ids) - set(self.locked))
        for start in range(0, len(wanted), 1000):
            query = (select(billing_accounts).where(billing_accounts.c.org_id.in_(wanted[start:start + 1000]))
                     .order_by(billing_accounts.c.org_id))
            if is_postgres(self.session.get_bind()):
                query = query.with_for_update()
            for row in self.session.execute(query).mappings():
                account = BillingAccount(**{name: row[name] for name in _ACCOUNT_FIELDS})
                self.locked[account.org_id] = account
                self.read_balance[account.org_id] = account.balance_minor
        self.invoices.prime_unpaid(org_ids)
        return {org: self.locked[org] for org in org_ids if org in self.locked}

    def locked_of_org(self, org_id: str):
        return self.locked_of_orgs([org_id]).get(org_id)

    def of_org(self, org_id: str):
        return self.locked.get(org_id) or self.real.of_org(org_id)

    def write(self) -> None:
        changed = [(org, a.balance_minor) for org, a in self.locked.items() if a.balance_minor != self.read_balance[org]]
        if not changed:
            return
        if is_postgres(self.session.get_bind()):
            self.session.execute(text(
                "UPDATE billing_accounts SET balance_minor = v.balance FROM unnest(CAST(:orgs AS text[]), "
                "CAST(:balances AS bigint[])) AS v(org_id, balance) WHERE billing_accounts.org_id = v.org_id"),
                {"orgs": [org for org, _ in changed], "balances": [balance for _, balance in changed]})
        else:
            self.session.execute(update(billing_accounts).where(billing_accounts.c.org_id == bindparam("org"))
                                 .values(balance_minor=bindparam("balance")),
                                 [{"org": org, "balance": balance} for org, balance in changed])


class _Kept:
    """Payments or prepaid movements: mapped objects, added to the session at the commit."""

    def __init__(self, real):
        self.real = real
        self.rows: list = []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def add(self, row) -> None:
        self.rows.append(row)

    def pending_of_invoice(self, invoice_id: str):
        kept = [p for p in self.rows if getattr(p, "invoice_id", None) == invoice_id and p.status == "pending"]
        return kept[0] if kept else self.real.pending_of_invoice(invoice_id)


class _Ledger:
    def __init__(self, real):
        self.real = real
        self.postings: list[tuple] = []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def post(self, posting, invoice_id: str | None = None) -> None:
        self.postings.append((posting, invoice_id))


class BatchedUnitOfWork:
    """Wraps billing's unit of work for one batch; use it as that one is used (`with`, `commit`)."""

    def __init__(self, inner):
        self._inner = inner

    def __enter__(self):
        self._inner.__enter__()
        inner = self._inner
        self.invoices = _Invoices(inner.invoices)
        self.receivables = _Receivables(inner.receivables, self.invoices)
        self.accounts = _Accounts(inner.accounts, self.invoices, inner.session)
        self.payments = _Kept(inner.payments)
        self.movements = _Kept(inner.movements)
        self.ledger = _Ledger(inner.ledger)
        self._events: list[dict] = []
        self._latest: dict[tuple[str, str | None], Any] = {}
        self.emitted: list = []
        return self

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def flush(self) -> None:
        """What was kept is answered from memory; nothing to send before the commit."""

    def emit(self, record: Any, org_id: str | None = None):
        if self._inner.reading:
            raise RuntimeError("a reading unit of work changes nothing and emits nothing")
        kind = kernel_events.event_type_of(record)
        if kind in LATEST_ONLY:  # sent at the commit, the last of the batch per organization
            self._latest[(kind, org_id)] = record
            return None
        return self._keep(kind, record, org_id)

    def _keep(self, kind: str, record: Any, org_id: str | None):
        # the record's fields as they are: the schema's check below lets only JSON's types through
        payload = {f.name: getattr(record, f.name) for f in fields(record)}
        envelope = kernel_events.Envelope(type=kind, producer=self._inner.producer, payload=payload, org_id=org_id,
                                          correlation_id=correlation_id.get())
        # as Envelope.to_dict() writes it, without copying the payload once more
        body = {"type": envelope.type, "producer": envelope.producer, "payload": envelope.payload,
                "org_id": envelope.org_id, "correlation_id": envelope.correlation_id, "version": envelope.version,
                "id": envelope.id, "occurred_at": envelope.occurred_at}
        kernel_events.validate(body)
        self._events.append({"id": envelope.id, "routing_key": envelope.routing_key, "envelope": body,
                             "created_at": datetime.now(timezone.utc), "attempts": 0})
        self.emitted.append(envelope)
        return envelope

    def commit(self) -> None:
        session = self._inner.session
        self.accounts.write()
        self.invoices.write(session)  # the invoices first: what follows refers to them
        self.receivables.write()
        postings = self.ledger.postings
        copy_rows(session, ledger_postings, [
            {"id": p.id, "reason": p.reason[:200], "invoice_id": invoice_id, "posted_at": p.posted_at}
            for p, invoice_id in postings])
        copy_rows(session, ledger_entries, [
            {"posting_id": p.id, "position": index, "account": entry.account, "amount_minor": entry.amount.minor,
             "currency": entry.amount.currency}
            for p, _ in postings for index, entry in enumerate(p.entries, start=1)])
        copy_rows(session, payments, _columns_of(payments, self.payments.rows))
        copy_rows(session, prepaid_movements, _columns_of(prepaid_movements, self.movements.rows))
        for (kind, org_id), record in self._latest.items():
            self._keep(kind, record, org_id)
        copy_rows(session, self._inner._outbox, self._events)
        self._inner.commit()
        self.__init_kept()

    def __init_kept(self) -> None:
        self.invoices.new.clear()
        self.invoices.by_ref.clear()
        self.invoices.series.clear()
        self.invoices.unpaid_base.clear()
        self.invoices.of_org.clear()
        self.receivables.methods.clear()
        self.accounts.locked.clear()
        self.accounts.read_balance.clear()
        self.payments.rows.clear()
        self.movements.rows.clear()
        self.ledger.postings.clear()
        self._events = []
        self._latest = {}
