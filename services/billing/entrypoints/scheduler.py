"""Billing's scheduler: asks the card provider again about charges it has not decided yet (a late
success or decline), and gives up on attempts that never reached it (services/billing/domain/paying.py);
renews subscriptions at their term's end (domain/renewals.py, BI-11); reminds of invoices unpaid past
their due date and suspends their services (domain/dunning.py).
Several may run side by side: settling a charge locks its attempt and is done once; a renewal claims
its subscriptions and invoices each term once; each dunning step locks its invoice and is recorded once.

    python -m services.billing.entrypoints.scheduler
"""
from __future__ import annotations

import time

from portico_kernel.scheduling import run_until_stopped

from ..adapters.batched_unit_of_work import BatchedUnitOfWork
from ..adapters.catalog_file import dunning_policy
from ..bootstrap import bootstrap, payment_provider
from ..domain import dunning, paying, renewals

POLL_EVERY = 1.0  # seconds between two rounds that found nothing decided
DUNNING_EVERY = 5.0  # seconds: reminders fall due by the day, a look every few seconds is plenty
_dunning_next = [0.0]


def settle_pending() -> int:
    return paying.settle_pending(bootstrap().uow, payment_provider())


def renew_due() -> int:
    """BI-11: the renewals due, batch by batch."""
    return renewals.renew_due(lambda: BatchedUnitOfWork(bootstrap().uow()))


def remind_overdue() -> int:
    if time.monotonic() < _dunning_next[0]:
        return 0
    _dunning_next[0] = time.monotonic() + DUNNING_EVERY
    return dunning.overdue_round(bootstrap().uow, dunning_policy())


ROUNDS = (settle_pending, renew_due, remind_overdue)


def all_rounds() -> int:
    return sum(round_of_work() for round_of_work in ROUNDS)


def main() -> None:
    run_until_stopped("billing", "settling pending card charges, renewing subscriptions, reminding of overdue invoices",
                      all_rounds, idle=POLL_EVERY)


if __name__ == "__main__":
    main()
