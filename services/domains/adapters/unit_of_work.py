from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert

from portico_kernel import events
from portico_kernel.access_model import MemberAccess
from portico_kernel.uow import UnitOfWork, correlation_id, repository

from .orm import member_access as member_access_table
from .registries import registries
from .repository import Documents, DomainOrders, Domains, Notices, OrgCurrencies, Renewals
from .settings_repository import DomainSettings
from .tld_file import tld_catalog


class DomainsUnitOfWork(UnitOfWork):
    """The kernel's unit of work; the events it emits are written to the outbox at the commit, in one
    statement (the expiry scan emits thousands per batch), still in the same transaction as the change."""
    domains = repository(Domains)
    notices = repository(Notices)
    renewals = repository(Renewals)
    settings = repository(DomainSettings)  # name servers, contacts, auth codes, owner changes (DO-01)
    member_access = repository(lambda session: MemberAccess(session, member_access_table))
    orders = repository(DomainOrders)
    currencies = repository(OrgCurrencies)
    documents = repository(Documents)

    def __enter__(self):
        super().__enter__()
        self._outgoing: list[dict] = []
        return self

    def emit(self, record, org_id: str | None = None) -> events.Envelope:
        if self.reading:
            raise RuntimeError("a reading unit of work changes nothing and emits nothing")
        envelope = events.Envelope(type=events.event_type_of(record), producer=self.producer,
                                   payload=events.payload_of(record), org_id=org_id,
                                   correlation_id=correlation_id.get())
        body = envelope.to_dict()
        events.validate(body)
        self._outgoing.append({"id": envelope.id, "routing_key": envelope.routing_key, "envelope": body,
                               "created_at": datetime.now(timezone.utc), "attempts": 0})
        self.emitted.append(envelope)
        return envelope

    def flush(self) -> None:
        self._write_outbox()
        super().flush()

    def commit(self) -> None:
        self._write_outbox()
        super().commit()

    def rollback(self) -> None:
        self._outgoing = []
        super().rollback()

    def _write_outbox(self) -> None:
        if self._outgoing:
            rows, self._outgoing = self._outgoing, []
            self.session.execute(insert(self._outbox), rows)

    @property
    def catalog(self):
        """The TLD rules (data/tlds.yaml)."""
        return tld_catalog()

    def registry_for(self, tld: str):
        """The registry serving `tld` (adapters/registries.py: settings, one EPP session per registry)."""
        return registries().registry_for(tld)

    def billing_currencies(self, org_ids) -> dict[str, str]:
        """The currency of each organization's billing account, as billing announced it."""
        return self.currencies.of_orgs(org_ids)
