"""Billing's scheduler: asks the card provider again about charges it has not decided yet (a late
success or decline), and gives up on attempts that never reached it (services/billing/domain/paying.py);
reminds of invoices unpaid past their due date and suspends their services (domain/dunning.py).
Several may run side by side: settling a charge locks its attempt and is done once; each dunning
step locks its invoice and is recorded once.

    python -m services.billing.entrypoints.scheduler
"""
from __future__ import annotations

import time

from portico_kernel.scheduling import run_until_stopped

from ..adapters.catalog_file import dunning_policy
from ..bootstrap import bootstrap, payment_provider
from ..domain import dunning, paying

POLL_EVERY = 1.0  # seconds between two rounds that found nothing decided
DUNNING_EVERY = 5.0  # seconds: reminders fall due by the day, a look every few seconds is plenty
_dunning_next = [0.0]


def settle_pending() -> int:
    return paying.settle_pending(bootstrap().uow, payment_provider())


def remind_overdue() -> int:
    if time.monotonic() < _dunning_next[0]:
        return 0
    _dunning_next[0] = time.monotonic() + DUNNING_EVERY
    return dunning.overdue_round(bootstrap().uow, dunning_policy())


def rounds() -> int:
    return settle_pending() + remind_overdue()


def main() -> None:
    run_until_stopped("billing", "settling pending card charges, reminding of overdue invoices", rounds,
                      idle=POLL_EVERY)


if __name__ == "__main__":
    main()
