"""Dunning (BI-06, BI-16): what happens to an invoice left unpaid past its due date.

- Reminders at the configured days after the due date (services/billing/data/catalog.yaml,
  `dunning`), each level once per invoice (`InvoiceOverdue`, which notifications mails as the
  organization's invoice notification preferences say). When the clock has passed several levels
  at once (the scheduler was away), only the highest of them is sent: two reminders on one day
  would say the same thing twice.
- Every reminder names the day the invoice's services are suspended if it stays unpaid: the
  configured day, but never sooner than `notice_days` after the reminder, so nobody is suspended
  on a day they were not told of. On that day the services billed on the invoice are suspended
  (`ServiceSuspended` per subscription, which shows as `suspended` in my services).
- Once the invoice is paid, by whatever path, or cancelled, its services resume (`ServiceResumed`)
  unless another unpaid invoice still holds them.

Each step an invoice takes is recorded under a unique (invoice, level) in the transaction that
announces it, with the invoice's row locked: a second scheduler, or the same one after a crash,
finds the step taken and does nothing. Suspension is recorded as the level after the last reminder.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from portico_kernel.clock import iso_utc

from . import invoices as invoice_rules
from .events import InvoiceOverdue, ServiceResumed, ServiceSuspended

SUSPENDED, ACTIVE = "suspended", "active"
UNPAID = (invoice_rules.OPEN, invoice_rules.PARTIALLY_PAID)


class PolicyRefused(ValueError):
    """The dunning configuration does not make sense; refused at start, not at the first reminder."""


@dataclass(frozen=True)
class Policy:
    reminder_days: tuple[int, ...]  # days after the due date, one per level
    suspend_after_days: int
    notice_days: int = 7  # the least time between a reminder and the suspension it announces

    @property
    def suspension_level(self) -> int:
        return len(self.reminder_days) + 1

    @classmethod
    def from_data(cls, data: dict | None) -> "Policy":
        data = data or {}
        days = tuple(int(d) for d in data.get("reminder_days", (3, 14)))
        policy = cls(days, int(data.get("suspend_after_days", 30)), int(data.get("notice_days", 7)))
        if not days or any(d <= 0 for d in days) or list(days) != sorted(set(days)):
            raise PolicyRefused("dunning.reminder_days are days after the due date, rising, at least one")
        if len(days) > 9:
            raise PolicyRefused("dunning has at most 9 reminder levels")
        if policy.suspend_after_days <= days[-1] or policy.notice_days < 0:
            raise PolicyRefused("dunning.suspend_after_days comes after the last reminder")
        return policy


@dataclass(frozen=True)
class Step:
    level: int  # a reminder's level, or the policy's suspension level
    suspend_on: date | None = None  # what a reminder announces


def next_step(policy: Policy, due_on: date, today: date, taken: dict[int, date | None], *,
              suspendable: bool) -> Step | None:
    """The step an unpaid invoice takes today, given the steps taken (level -> the suspension day
    it announced), or None. `suspendable`: the invoice bills services that can be suspended."""
    if policy.suspension_level in taken:
        return None
    late = (today - due_on).days
    reminded = [level for level in taken if level < policy.suspension_level]
    if reminded:
        announced = taken[max(reminded)]
        if announced is not None and today >= announced:
            return Step(policy.suspension_level)
        if announced is None and late >= policy.suspend_after_days:  # nothing to suspend: dunning ends
            return Step(policy.suspension_level)
    reached = [index + 1 for index, days in enumerate(policy.reminder_days) if late >= days]
    if reached and reached[-1] > max(reminded, default=0):
        suspend_on = None
        if suspendable:
            suspend_on = max(due_on + timedelta(days=policy.suspend_after_days),
                             today + timedelta(days=policy.notice_days))
        return Step(reached[-1], suspend_on)
    return None


def _money(minor: int, currency: str) -> dict:
    return {"amount_minor": minor, "currency": currency}


def _subscriptions_of(document) -> list[str]:
    """The subscriptions an invoice bills, each once, in the order of its lines."""
    seen: list[str] = []
    for _product_id, subscription_id in document.line_refs:
        if subscription_id and subscription_id not in seen:
            seen.append(subscription_id)
    return seen


def overdue_round(bootstrap_uow, policy: Policy) -> int:
    """The scheduler's round: every invoice whose next step is due takes it, each in a transaction
    of its own. Answers how many steps were taken."""
    with bootstrap_uow(reading=True) as uow:
        today = uow.clock.now().date()
        candidates = uow.dunning.overdue(today - timedelta(days=policy.reminder_days[0]), policy.suspension_level)
    due = [invoice_id for invoice_id, due_on, taken, suspendable in candidates
           if next_step(policy, due_on, today, taken, suspendable=suspendable) is not None]
    done = 0
    for invoice_id in due:
        with bootstrap_uow() as uow:
            if take_step(uow, policy, invoice_id):
                done += 1
    return done


def take_step(uow, policy: Policy, invoice_id: str) -> bool:
    """The invoice's due step, under its row's lock (a payment of it waits, or it waits for one):
    a reminder, or the suspension of its services. A step already taken is not taken again."""
    invoice = uow.receivables.locked(invoice_id)
    if invoice is None or invoice.status not in UNPAID or invoice.credit_note_of is not None:
        return False
    document = uow.invoices.get(invoice_id)
    if document.kind != "invoice":
        return False
    now = uow.clock.now()
    subscriptions = _subscriptions_of(document)
    step = next_step(policy, invoice.due_on, now.date(), uow.dunning.steps_of(invoice_id),
                     suspendable=bool(subscriptions))
    if step is None or not uow.dunning.take(invoice_id, step.level, now, step.suspend_on):
        return False
    if step.level == policy.suspension_level:
        _suspend(uow, document, subscriptions, now)
    else:
        uow.emit(InvoiceOverdue(
            invoice_id=invoice.id, org_id=invoice.org_id, number=invoice.number, level=step.level,
            total=_money(invoice.total.minor, invoice.currency),
            outstanding=_money(invoice.outstanding.minor, invoice.currency), due_on=invoice.due_on.isoformat(),
            reminded_at=iso_utc(now), suspend_on=step.suspend_on.isoformat() if step.suspend_on else None,
            payment_reference=document.payment_reference), org_id=invoice.org_id)
    uow.commit()
    return True


def _suspend(uow, document, subscription_ids: list[str], now: datetime) -> None:
    invoice = document.invoice
    for subscription_id in subscription_ids:
        subscription = uow.subscriptions.get(subscription_id, for_update=True)
        if subscription is None or subscription.status == "ended":
            continue
        uow.dunning.hold(invoice.id, subscription_id, now)  # this invoice keeps it suspended until paid
        if subscription.status == SUSPENDED:  # another unpaid invoice suspended it already
            continue
        uow.subscriptions.save(replace(subscription, status=SUSPENDED))
        uow.emit(ServiceSuspended(org_id=invoice.org_id, product_type=_type_of(uow, invoice.currency, subscription),
                                  product_id=subscription.id, subscription_id=subscription.id, invoice_id=invoice.id,
                                  reason="unpaid_invoice", suspended_at=iso_utc(now)), org_id=invoice.org_id)


def _type_of(uow, currency: str, subscription) -> str:
    return uow.catalog.product(currency, subscription.product_id).type


def settled(uow, invoice) -> None:
    """The invoice is paid (or cancelled): what it alone kept suspended resumes. Called under the
    invoice's row lock, where the invoice changes state."""
    if uow.clock.now().date() <= invoice.due_on:  # not overdue yet: never reminded of, it holds nothing
        return
    held = uow.dunning.held_by(invoice.id)
    if not held:
        return
    now = uow.clock.now()
    uow.dunning.release(invoice.id, now)
    for subscription_id in held:
        subscription = uow.subscriptions.get(subscription_id, for_update=True)
        if subscription is None or subscription.status != SUSPENDED:
            continue
        if uow.dunning.holders(subscription_id):  # another unpaid invoice still holds it
            continue
        uow.subscriptions.save(replace(subscription, status=ACTIVE))
        uow.emit(ServiceResumed(org_id=invoice.org_id, product_type=_type_of(uow, invoice.currency, subscription),
                                product_id=subscription.id, subscription_id=subscription.id,
                                resumed_at=iso_utc(now)), org_id=invoice.org_id)
