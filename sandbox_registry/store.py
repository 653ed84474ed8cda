"""The sandbox registry's own database (SQLite embedded, PostgreSQL otherwise), SQLAlchemy Core.

A registry's records are documents: each contact, host and domain is kept as one JSON record, with
the links a deletion must respect (a domain's registrant, contacts and name servers) in a table of
their own so that "is this contact still used?" is an indexed question. The tables are created on
start: the sandbox is a test registry whose state may be thrown away, not data to migrate.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone

from sqlalchemy import (
    Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, delete, func, insert, select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from .rules import Domain, Transfer

metadata = MetaData()

contacts = Table(
    "sandbox_contacts", metadata,
    Column("contact_id", String(16), primary_key=True),
    Column("record", Text, nullable=False),
)
hosts = Table(
    "sandbox_hosts", metadata,
    Column("name", String(253), primary_key=True),
    Column("record", Text, nullable=False),
)
domains = Table(
    "sandbox_domains", metadata,
    Column("name", String(253), primary_key=True),
    Column("record", Text, nullable=False),
)
links = Table(
    "sandbox_domain_links", metadata,
    Column("domain", String(253), primary_key=True),
    Column("kind", String(8), primary_key=True),      # contact or host
    Column("target", String(253), primary_key=True, index=True),
)
messages = Table(
    "sandbox_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client", String(16), nullable=False, index=True),
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Column("record", Text, nullable=False),
)


def engine_for(url: str) -> Engine:
    if url.startswith("postgresql"):
        from portico_kernel.migrate import ensure_database

        ensure_database(url)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


# --- records as JSON --------------------------------------------------------------------------

def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat()


_DOMAIN_MOMENTS = ("created_at", "expires_at", "updated_at", "transferred_at", "owner_changed_at",
                   "auto_renewed_from", "deleted_at", "restore_requested_at")


def domain_to_json(domain: Domain) -> str:
    data = asdict(domain)
    for key in _DOMAIN_MOMENTS:
        data[key] = _text(getattr(domain, key))
    data["statuses"] = sorted(domain.statuses)
    if domain.transfer is not None:
        data["transfer"]["requested_at"] = _text(domain.transfer.requested_at)
        data["transfer"]["act_until"] = _text(domain.transfer.act_until)
    return json.dumps(data)


def domain_from_json(text: str) -> Domain:
    data = json.loads(text)
    for key in _DOMAIN_MOMENTS:
        data[key] = _moment(data[key])
    data["statuses"] = set(data["statuses"])
    data["contacts"] = [tuple(pair) for pair in data["contacts"]]
    if data["transfer"] is not None:
        transfer = data["transfer"]
        transfer["requested_at"] = _moment(transfer["requested_at"])
        transfer["act_until"] = _moment(transfer["act_until"])
        data["transfer"] = Transfer(**transfer)
    return Domain(**data)


class Store:
    """One transaction's view of the registry (`with store.transaction() as tx`)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def transaction(self) -> "Transaction":
        return Transaction(self.engine)


class Transaction:
    def __init__(self, engine: Engine):
        self._engine = engine
        self._context = None
        self.conn: Connection | None = None

    def __enter__(self) -> "Transaction":
        self._context = self._engine.begin()
        self.conn = self._context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._context.__exit__(*exc)

    # domains
    def domain(self, name: str) -> Domain | None:
        row = self.conn.execute(select(domains.c.record).where(domains.c.name == name)).first()
        return None if row is None else domain_from_json(row.record)

    def add_domain(self, domain: Domain) -> None:
        self.conn.execute(insert(domains).values(name=domain.name, record=domain_to_json(domain)))
        self._link(domain)

    def save_domain(self, domain: Domain) -> None:
        self.conn.execute(update(domains).where(domains.c.name == domain.name).values(record=domain_to_json(domain)))
        self._link(domain)

    def remove_domain(self, name: str) -> None:
        self.conn.execute(delete(links).where(links.c.domain == name))
        self.conn.execute(delete(domains).where(domains.c.name == name))

    def _link(self, domain: Domain) -> None:
        self.conn.execute(delete(links).where(links.c.domain == domain.name))
        targets = {("contact", domain.registrant), *(("contact", c) for _, c in domain.contacts),
                   *(("host", h) for h in domain.nameservers)}
        if targets:
            self.conn.execute(insert(links), [{"domain": domain.name, "kind": k, "target": t} for k, t in targets])

    def linked(self, kind: str, target: str) -> bool:
        return self.conn.execute(select(links.c.domain).where(links.c.kind == kind, links.c.target == target)
                                 .limit(1)).first() is not None

    def hosts_below(self, name: str) -> list[str]:
        """The hosts inside this domain (subordinate hosts keep it from being deleted)."""
        pattern = "%." + name.replace("\\", "").replace("%", "").replace("_", "\\_")
        return sorted(r.name for r in self.conn.execute(select(hosts.c.name).where(hosts.c.name.like(pattern, escape="\\"))))

    # contacts and hosts: plain dictionaries
    def contact(self, contact_id: str) -> dict | None:
        row = self.conn.execute(select(contacts.c.record).where(contacts.c.contact_id == contact_id)).first()
        return None if row is None else json.loads(row.record)

    def put_contact(self, record: dict, *, new: bool) -> None:
        if new:
            self.conn.execute(insert(contacts).values(contact_id=record["id"], record=json.dumps(record)))
        else:
            self.conn.execute(update(contacts).where(contacts.c.contact_id == record["id"]).values(record=json.dumps(record)))

    def remove_contact(self, contact_id: str) -> None:
        self.conn.execute(delete(contacts).where(contacts.c.contact_id == contact_id))

    def host(self, name: str) -> dict | None:
        row = self.conn.execute(select(hosts.c.record).where(hosts.c.name == name)).first()
        return None if row is None else json.loads(row.record)

    def put_host(self, record: dict, *, new: bool, old_name: str | None = None) -> None:
        if new:
            self.conn.execute(insert(hosts).values(name=record["name"], record=json.dumps(record)))
        else:
            self.conn.execute(update(hosts).where(hosts.c.name == (old_name or record["name"]))
                              .values(name=record["name"], record=json.dumps(record)))

    def remove_host(self, name: str) -> None:
        self.conn.execute(delete(hosts).where(hosts.c.name == name))

    # the poll queue
    def enqueue(self, client: str, queued_at: datetime, record: dict) -> None:
        self.conn.execute(insert(messages).values(client=client, queued_at=queued_at, record=json.dumps(record)))

    def oldest_message(self, client: str) -> tuple[int, datetime, dict, int] | None:
        count = self.conn.execute(select(func.count()).select_from(messages).where(messages.c.client == client)).scalar_one()
        row = self.conn.execute(select(messages).where(messages.c.client == client).order_by(messages.c.id).limit(1)).first()
        if row is None:
            return None
        queued_at = row.queued_at if row.queued_at.tzinfo else row.queued_at.replace(tzinfo=timezone.utc)
        return row.id, queued_at, json.loads(row.record), count

    def acknowledge(self, client: str, message_id: int) -> int | None:
        """Removes the message; None when the client has no such message. Returns how many remain."""
        gone = self.conn.execute(delete(messages).where(messages.c.client == client, messages.c.id == message_id)).rowcount
        if not gone:
            return None
        return self.conn.execute(select(func.count()).select_from(messages).where(messages.c.client == client)).scalar_one()
