"""The gateway's repositories used inside a unit of work: the read models its consumer writes
from other services' events (2FA policies and statuses, reseller links)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from portico_kernel.db import upsert

from . import orm


class ReadModels:
    """The consumer's side: upserts of the read models inside the inbox's unit of work."""

    def __init__(self, session):
        self.session = session

    def _upsert(self, table, values: dict, keys: list[str]) -> None:
        statement = upsert(self.session, table).values(**values)
        updates = {k: v for k, v in values.items() if k not in keys}
        changed_at = table.c.get("changed_at")
        if updates:
            statement = statement.on_conflict_do_update(
                index_elements=keys, set_=updates,
                # an event older than what we know (redelivered late) changes nothing
                where=(changed_at <= values["changed_at"]) if changed_at is not None else None)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        self.session.execute(statement)

    def set_policy(self, org_id: str, required: bool, at: datetime) -> None:
        self._upsert(orm.org_two_factor_policies, {"org_id": org_id, "required": required, "changed_at": at}, ["org_id"])

    def set_two_factor(self, user_id: str, enabled: bool, methods: list[str], at: datetime) -> None:
        self._upsert(orm.people_two_factor, {"user_id": user_id, "enabled": enabled, "methods": methods,
                                             "changed_at": at}, ["user_id"])

    def link(self, reseller_org_id: str, customer_org_id: str) -> None:
        self._upsert(orm.reseller_links, {"reseller_org_id": reseller_org_id, "customer_org_id": customer_org_id},
                     ["reseller_org_id", "customer_org_id"])

    def unlink(self, reseller_org_id: str, customer_org_id: str) -> None:
        self.session.execute(delete(orm.reseller_links).where(
            orm.reseller_links.c.reseller_org_id == reseller_org_id,
            orm.reseller_links.c.customer_org_id == customer_org_id))

    def set_blocked(self, org_id: str, user_id: str, blocked: bool, at: datetime) -> None:
        self._upsert(orm.blocked_members, {"org_id": org_id, "user_id": user_id, "blocked": blocked, "changed_at": at},
                     ["org_id", "user_id"])

    def end_delegations(self, org_id: str, user_id: str, at: datetime, *, left: bool) -> None:
        """ID-13: the person's applications lose their ground in the organization at `at`; `left`:
        the person is out of it until they join again. A redelivered event changes nothing."""
        table = orm.oauth_member_endings
        row = self.session.execute(select(table).where(table.c.org_id == org_id, table.c.user_id == user_id)).first()
        if row is None:
            self.session.execute(insert(table).values(org_id=org_id, user_id=user_id, ended=left, ended_at=at,
                                                      changed_at=at))
            return
        values = {"ended_at": max(row.ended_at, at)}
        if left and at >= row.changed_at:
            values.update(ended=True, changed_at=at)
        self.session.execute(update(table).where(table.c.org_id == org_id, table.c.user_id == user_id).values(**values))

    def rejoined(self, org_id: str, user_id: str, at: datetime) -> None:
        table = orm.oauth_member_endings
        self.session.execute(update(table).where(table.c.org_id == org_id, table.c.user_id == user_id,
                                                 table.c.changed_at <= at).values(ended=False, changed_at=at))
