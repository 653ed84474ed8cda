"""The copy of members' product access a service keeps to decide with portico_kernel/product_access.py
(OR-06..OR-08), without asking orgs on a request.

A service that holds products adds `access_table(metadata)` to its tables (and a migration),
`"MemberAccessChanged": on_member_access_changed` to its handlers, a receive operation for
`orgs.MemberAccessChanged` to contracts/events/asyncapi.yaml, and decides with
`product_access.ensure_may(caller, org_id, type, id, right, MemberAccess(uow.session).get)`.
Each event carries the member's complete access in one organization, so the latest one (by when it
happened) replaces the row; a redelivered older one changes nothing.

How stale it can be: an access change is in orgs' outbox when its transaction commits; the relay
publishes it and the service's consumer applies it, normally within a few seconds (the relay's and
consumer's polling, about one second each on the embedded bus); while the broker is down, until it
is back. Administrators and legal representatives are decided by the role in their token (at most
one access token's life, 300 s, behind a role change).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, MetaData, String, Table, select

from .db import UtcDateTime, upsert


def access_table(metadata: MetaData) -> Table:
    return Table(
        "member_access", metadata,
        Column("org_id", String(36), primary_key=True),
        Column("user_id", String(36), primary_key=True),
        Column("grants", JSON, nullable=False),
        Column("changed_at", UtcDateTime, nullable=False),
    )


def create_table(op) -> None:
    """For a service's Alembic migration."""
    import sqlalchemy as sa
    op.create_table("member_access",
                    sa.Column("org_id", sa.String(36), nullable=False), sa.Column("user_id", sa.String(36), nullable=False),
                    sa.Column("grants", sa.JSON(), nullable=False), sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("org_id", "user_id"))


class MemberAccess:
    def __init__(self, session, table: Table | None = None):
        self.session = session
        self.table = table if table is not None else access_table(MetaData())

    def get(self, org_id: str, user_id: str) -> list[dict] | None:
        row = self.session.execute(select(self.table.c.grants).where(
            self.table.c.org_id == org_id, self.table.c.user_id == user_id)).first()
        return row[0] if row else None

    def set(self, org_id: str, user_id: str, grants: list[dict], at: datetime) -> None:
        values = {"org_id": org_id, "user_id": user_id, "grants": grants, "changed_at": at}
        self.session.execute(upsert(self.session, self.table).values(**values).on_conflict_do_update(
            index_elements=["org_id", "user_id"], set_={"grants": grants, "changed_at": at},
            where=self.table.c.changed_at <= at))


def on_member_access_changed(changed, uow) -> None:
    MemberAccess(uow.session).set(changed.org_id, changed.user_id, list(changed.grants), uow.received.occurred_at)
