"""What the gateway knows about API keys, 2FA and resellers, kept in its own database, and the
copy each web worker holds in memory so that no routed call waits on a database.

The consumer process writes the read models from events (TwoFactorPolicyChanged,
TwoFactorStatusChanged, ResellerLinked/Unlinked, MemberBlocked/Unblocked; gateway/adapters/repository.py); the key-management
handlers write the keys.
Each worker re-reads everything every REFRESH_SECONDS in a thread, so a change made anywhere takes
effect everywhere within about that time.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from portico_kernel.db import fetch_page, upsert
from portico_kernel.paging import Page, PageRequest

from ..domain.api_keys import ApiKey
from .keystore import now
from . import orm

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0


@dataclass(frozen=True)
class Snapshot:
    keys_by_prefix: dict[str, ApiKey] = field(default_factory=dict)
    orgs_requiring_two_factor: frozenset[str] = frozenset()
    people_with_two_factor: frozenset[str] = frozenset()
    customers_of: dict[str, frozenset[str]] = field(default_factory=dict)  # reseller org -> customer orgs
    blocked_members: frozenset[tuple[str, str]] = frozenset()  # (org, user), OR-13
    revoked_grants: frozenset[str] = frozenset()  # grants and token families of applications, ID-13
    # ID-13: (org or "*", user) -> (still out of it, when the applications' ground last ended, timestamp)
    delegation_endings: dict[tuple[str, str], tuple[bool, float]] = field(default_factory=dict)

    def manages(self, reseller_org_id: str, customer_org_id: str) -> bool:
        return customer_org_id in self.customers_of.get(reseller_org_id, frozenset())


def _timestamp(at: datetime) -> float:
    from datetime import timezone
    return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).timestamp()


class SecurityStore:
    def __init__(self, session_factory):
        self.session_factory = session_factory

    def snapshot(self) -> Snapshot:
        with self.session_factory() as session:
            keys = {k.prefix: k for k in session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)))}
            session.expunge_all()
            policies = frozenset(session.scalars(select(orm.org_two_factor_policies.c.org_id)
                                                 .where(orm.org_two_factor_policies.c.required.is_(True))))
            people = frozenset(session.scalars(select(orm.people_two_factor.c.user_id)
                                               .where(orm.people_two_factor.c.enabled.is_(True))))
            customers: dict[str, set[str]] = {}
            for reseller, customer in session.execute(select(orm.reseller_links)):
                customers.setdefault(reseller, set()).add(customer)
            blocked = frozenset(session.execute(select(orm.blocked_members.c.org_id, orm.blocked_members.c.user_id)
                                                .where(orm.blocked_members.c.blocked.is_(True))).tuples())
            revoked = frozenset(session.scalars(select(orm.oauth_revocations.c.id)
                                                .where(orm.oauth_revocations.c.until > now())))
            endings_table = orm.oauth_member_endings
            endings = {(org, user): (bool(ended), _timestamp(at)) for org, user, ended, at in session.execute(
                select(endings_table.c.org_id, endings_table.c.user_id, endings_table.c.ended, endings_table.c.ended_at))}
        return Snapshot(keys, policies, people, {r: frozenset(c) for r, c in customers.items()}, blocked, revoked,
                        endings)

    def add_revocations(self, ids: list[str], at: datetime, until: datetime) -> None:
        """ID-13: identity revoked these grants or token families; refuse their tokens until `until`."""
        table = orm.oauth_revocations
        with self.session_factory() as session, session.begin():
            session.execute(delete(table).where(table.c.until <= at))
            if ids:  # two requests revoking the same family at once: the second finds it written
                session.execute(upsert(session, table).on_conflict_do_nothing(index_elements=["id"]),
                                [{"id": i, "revoked_at": at, "until": until} for i in dict.fromkeys(ids)])

    def keys_of(self, org_id: str, page: PageRequest) -> Page[ApiKey]:
        with self.session_factory() as session:
            return fetch_page(session, select(ApiKey).where(ApiKey.org_id == org_id), (ApiKey.created_at, ApiKey.id), page)

    def add_key(self, key: ApiKey) -> None:
        with self.session_factory() as session, session.begin():
            session.add(key)

    def revoke_key(self, org_id: str, key_id: str, now: datetime) -> bool:
        with self.session_factory() as session, session.begin():
            key = session.get(ApiKey, key_id)
            if key is None or key.org_id != org_id:
                return False
            key.revoke(now)
            return True


class LiveSecurity:
    """The worker's in-memory snapshot and the background task that keeps it fresh."""

    def __init__(self, store: SecurityStore, also_refresh=()):
        self.store = store
        self.also_refresh = also_refresh  # e.g. the signing key ring, so it never goes stale on the loop
        self.current = store.snapshot()
        self._task: asyncio.Task | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def refresh(self) -> None:
        self.current = await asyncio.to_thread(self.store.snapshot)

    async def revoke(self, ids: list[str], ttl_seconds: float) -> None:
        """ID-13: at once in this worker, within REFRESH_SECONDS in the others."""
        if not ids:
            return
        moment = now()
        await asyncio.to_thread(self.store.add_revocations, ids, moment, moment + timedelta(seconds=2 * ttl_seconds + 60))
        current = self.current
        self.current = replace(current, revoked_grants=current.revoked_grants | frozenset(ids))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.refresh()
                for refresh in self.also_refresh:
                    await asyncio.to_thread(refresh)
            except Exception:  # a database hiccup: keep serving the last snapshot, try again
                log.exception("cannot refresh the gateway's security snapshot")
