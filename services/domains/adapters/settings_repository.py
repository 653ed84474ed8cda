"""What domains stores about managing a domain (DO-01), over the tables of adapters/orm.py."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import delete, insert, select, update

from portico_kernel.db import is_postgres

from ..domain.manage import (AuthCodeRecord, DomainContact, OrgAddress, OrgContact, OwnerChange, Registrant,
                             TransferLock)
from ..domain.nameservers import NameServer
from ..domain.orders import contact_id_of
from ..domain.registry import HostAddress
from . import orm


class DomainSettings:
    def __init__(self, session):
        self.session = session

    def _run(self, statement):
        return self.session.execute(statement)

    def _upsert(self, table, keys: dict, values: dict) -> None:
        where = [table.c[k] == v for k, v in keys.items()]
        if self._run(select(*[table.c[k] for k in keys]).where(*where)).first() is None:
            self._run(insert(table).values(**keys, **values))
        else:
            self._run(update(table).where(*where).values(**values))

    # name servers
    def nameservers(self, domain_id: str) -> tuple[NameServer, ...]:
        t = orm.domain_nameservers
        rows = self._run(select(t.c.host, t.c.addresses).where(t.c.domain_id == domain_id).order_by(t.c.position)).all()
        return tuple(NameServer(r.host, tuple(HostAddress(a["address"], a["version"]) for a in r.addresses)) for r in rows)

    def set_nameservers(self, domain_id: str, servers: tuple[NameServer, ...]) -> None:
        t = orm.domain_nameservers
        self._run(delete(t).where(t.c.domain_id == domain_id))
        for i, server in enumerate(servers):
            self._run(insert(t).values(domain_id=domain_id, host=server.host, position=i, addresses=[
                {"address": a.address, "version": a.version} for a in server.addresses]))

    # contacts of a domain
    def contacts(self, domain_id: str) -> dict[str, DomainContact]:
        t = orm.domain_contacts
        rows = self._run(select(t).where(t.c.domain_id == domain_id)).all()
        return {r.role: DomainContact(r.domain_id, r.role, r.handle, r.name, r.email, r.contact_id) for r in rows}

    def registrant_of_order(self, domain_id: str) -> DomainContact | None:
        """The registrant the order that brought the domain gave the registry (DO-02, DO-03)."""
        t = orm.domain_orders
        row = self._run(select(t.c.id, t.c.registrant).where(t.c.domain_id == domain_id, t.c.kind == "registration",
                                                             t.c.registrant.is_not(None))
                        .order_by(t.c.created_at.desc())).first()
        if row is None or not isinstance(row.registrant, dict):
            return None
        handle = contact_id_of(SimpleNamespace(id=row.id))
        return DomainContact(domain_id, "registrant", handle, str(row.registrant.get("name") or ""),
                             str(row.registrant.get("email") or ""))

    def set_contact(self, contact: DomainContact) -> None:
        self._upsert(orm.domain_contacts, {"domain_id": contact.domain_id, "role": contact.role},
                     {"handle": contact.handle, "contact_id": contact.contact_id, "name": contact.name,
                      "email": contact.email})

    def remove_contact(self, domain_id: str, role: str) -> None:
        t = orm.domain_contacts
        self._run(delete(t).where(t.c.domain_id == domain_id, t.c.role == role))

    # the organization's contacts and address (read models)
    def org_contact(self, contact_id: str) -> OrgContact | None:
        t = orm.org_contacts
        r = self._run(select(t).where(t.c.contact_id == contact_id)).first()
        return OrgContact(r.contact_id, r.org_id, r.purpose, r.name, r.email) if r else None

    def add_org_contact(self, contact: OrgContact) -> None:
        self._upsert(orm.org_contacts, {"contact_id": contact.contact_id},
                     {"org_id": contact.org_id, "purpose": contact.purpose, "name": contact.name, "email": contact.email})

    def remove_org_contact(self, contact_id: str, org_id: str) -> None:
        t = orm.org_contacts
        self._run(delete(t).where(t.c.contact_id == contact_id, t.c.org_id == org_id))

    def org_address(self, org_id: str) -> OrgAddress | None:
        t = orm.org_addresses
        r = self._run(select(t).where(t.c.org_id == org_id)).first()
        return OrgAddress(r.org_id, r.name, r.country, r.street, r.house_number, r.postcode, r.town, r.language) if r else None

    def set_org_address(self, address: OrgAddress) -> None:
        values = dict(address.__dict__)
        self._upsert(orm.org_addresses, {"org_id": values.pop("org_id")}, values)

    # contacts made at registries
    def registry_handle(self, registry: str, source: str) -> str | None:
        t = orm.registry_contacts
        return self._run(select(t.c.handle).where(t.c.registry == registry, t.c.contact_id == source)).scalar()

    def add_registry_handle(self, registry: str, source: str, handle: str, org_id: str) -> None:
        self._run(insert(orm.registry_contacts).values(registry=registry, contact_id=source, handle=handle, org_id=org_id))

    # auth codes
    def auth_code(self, domain_id: str) -> AuthCodeRecord | None:
        t = orm.auth_codes
        r = self._run(select(t).where(t.c.domain_id == domain_id)).first()
        return AuthCodeRecord(r.domain_id, r.code_hash, r.issued_at, r.valid_until, r.issued_by) if r else None

    def set_auth_code(self, record: AuthCodeRecord) -> None:
        self._upsert(orm.auth_codes, {"domain_id": record.domain_id},
                     {"code_hash": record.code_hash, "issued_at": record.issued_at,
                      "valid_until": record.valid_until, "issued_by": record.issued_by, "retired_at": None})

    def _claimed(self, query):
        if is_postgres(self.session.get_bind()):
            query = query.with_for_update(skip_locked=True)  # another scheduler's rows are skipped
        return self._run(query).all()

    def claim_expired_auth_codes(self, now, limit: int) -> list[AuthCodeRecord]:
        """DO-01: codes whose validity ended and that were not replaced yet, by the index on
        (retired_at, valid_until)."""
        t = orm.auth_codes
        rows = self._claimed(select(t).where(t.c.retired_at.is_(None), t.c.valid_until <= now)
                             .order_by(t.c.valid_until, t.c.domain_id).limit(limit))
        return [AuthCodeRecord(r.domain_id, r.code_hash, r.issued_at, r.valid_until, r.issued_by) for r in rows]

    def retire_auth_code(self, domain_id: str, at) -> None:
        t = orm.auth_codes
        self._run(update(t).where(t.c.domain_id == domain_id, t.c.retired_at.is_(None)).values(retired_at=at))

    # changes of owner
    @staticmethod
    def _change(r) -> OwnerChange:
        return OwnerChange(id=r.id, org_id=r.org_id, domain_id=r.domain_id, token_hash=r.token_hash,
                           registrant=Registrant(**r.registrant), requested_by=r.requested_by,
                           requested_at=r.requested_at, expires_at=r.expires_at, status=r.status,
                           confirmed_at=r.confirmed_at)

    def owner_change_by_token(self, token_hash: str) -> OwnerChange | None:
        t = orm.owner_changes
        r = self._run(select(t).where(t.c.token_hash == token_hash)).first()
        return self._change(r) if r else None

    def pending_owner_change(self, domain_id: str) -> OwnerChange | None:
        t = orm.owner_changes
        r = self._run(select(t).where(t.c.domain_id == domain_id, t.c.status == "pending")
                      .order_by(t.c.requested_at.desc())).first()
        return self._change(r) if r else None

    def save_owner_change(self, change: OwnerChange) -> None:
        self._upsert(orm.owner_changes, {"id": change.id}, {
            "org_id": change.org_id, "domain_id": change.domain_id, "token_hash": change.token_hash,
            "registrant": change.registrant.as_dict(), "requested_by": change.requested_by,
            "requested_at": change.requested_at, "expires_at": change.expires_at, "status": change.status,
            "confirmed_at": change.confirmed_at})

    # transfer locks
    def transfer_lock(self, domain_id: str) -> TransferLock | None:
        t = orm.transfer_locks
        r = self._run(select(t).where(t.c.domain_id == domain_id)).first()
        return TransferLock(r.domain_id, r.locked_until, r.reason) if r else None

    def set_transfer_lock(self, lock: TransferLock) -> None:
        self._upsert(orm.transfer_locks, {"domain_id": lock.domain_id},
                     {"locked_until": lock.locked_until, "reason": lock.reason})

    def transfer_locks_of(self, domain_ids: list[str]) -> dict[str, TransferLock]:
        t = orm.transfer_locks
        if not domain_ids:
            return {}
        rows = self._run(select(t).where(t.c.domain_id.in_(list(domain_ids)))).all()
        return {r.domain_id: TransferLock(r.domain_id, r.locked_until, r.reason) for r in rows}

    def claim_ended_transfer_locks(self, now, limit: int) -> list[TransferLock]:
        """DO-01: locks that ended, by the index on locked_until."""
        t = orm.transfer_locks
        rows = self._claimed(select(t).where(t.c.locked_until <= now)
                             .order_by(t.c.locked_until, t.c.domain_id).limit(limit))
        return [TransferLock(r.domain_id, r.locked_until, r.reason) for r in rows]

    def end_transfer_lock(self, domain_id: str) -> None:
        t = orm.transfer_locks
        self._run(delete(t).where(t.c.domain_id == domain_id))
