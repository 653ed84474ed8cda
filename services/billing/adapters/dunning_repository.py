"""Dunning's records (domain/dunning.py): the steps unpaid invoices took, and which invoice keeps
which subscription suspended."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import exists, insert, select, update

from portico_kernel.db import upsert

from ..domain.dunning import UNPAID
from .orm import dunning_steps, invoice_lines, invoices, suspension_holds


class Dunning:
    def __init__(self, session):
        self.session = session

    def overdue(self, due_before: date, suspension_level: int) -> list[tuple[str, date, dict, bool]]:
        """Unpaid invoices due on or before `due_before` whose dunning has not ended: (id, due date,
        steps taken, whether it bills subscriptions)."""
        ended = exists().where(dunning_steps.c.invoice_id == invoices.c.id, dunning_steps.c.level == suspension_level)
        rows = self.session.execute(select(invoices.c.id, invoices.c.due_on).where(
            invoices.c.status.in_(UNPAID), invoices.c.kind == "invoice", invoices.c.due_on <= due_before, ~ended)
            .order_by(invoices.c.due_on, invoices.c.id)).all()
        ids = [row.id for row in rows]
        taken: dict[str, dict] = defaultdict(dict)
        billing_subscriptions: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for step in self.session.execute(select(dunning_steps).where(dunning_steps.c.invoice_id.in_(chunk))):
                taken[step.invoice_id][step.level] = step.suspend_on
            billing_subscriptions.update(self.session.scalars(select(invoice_lines.c.invoice_id).where(
                invoice_lines.c.invoice_id.in_(chunk), invoice_lines.c.subscription_id.isnot(None))))
        return [(row.id, row.due_on, dict(taken[row.id]), row.id in billing_subscriptions) for row in rows]

    def steps_of(self, invoice_id: str) -> dict[int, date | None]:
        return {row.level: row.suspend_on for row in
                self.session.execute(select(dunning_steps).where(dunning_steps.c.invoice_id == invoice_id))}

    def take(self, invoice_id: str, level: int, at, suspend_on: date | None) -> bool:
        """Records the step; False when it was taken already (the unique (invoice, level))."""
        # RETURNING rather than the row count, which not every driver gives for a skipped insert
        done = self.session.execute(upsert(self.session, dunning_steps).values(
            invoice_id=invoice_id, level=level, taken_at=at, suspend_on=suspend_on).on_conflict_do_nothing()
            .returning(dunning_steps.c.level))
        return done.first() is not None

    def hold(self, invoice_id: str, subscription_id: str, at) -> None:
        self.session.execute(insert(suspension_holds).values(invoice_id=invoice_id, subscription_id=subscription_id,
                                                             held_at=at, released_at=None))

    def held_by(self, invoice_id: str) -> list[str]:
        return list(self.session.scalars(select(suspension_holds.c.subscription_id).where(
            suspension_holds.c.invoice_id == invoice_id, suspension_holds.c.released_at.is_(None))
            .order_by(suspension_holds.c.subscription_id)))

    def release(self, invoice_id: str, at) -> None:
        self.session.execute(update(suspension_holds).where(
            suspension_holds.c.invoice_id == invoice_id, suspension_holds.c.released_at.is_(None)).values(released_at=at))

    def holders(self, subscription_id: str) -> list[str]:
        """The invoices that still keep the subscription suspended."""
        return list(self.session.scalars(select(suspension_holds.c.invoice_id).where(
            suspension_holds.c.subscription_id == subscription_id, suspension_holds.c.released_at.is_(None))))
