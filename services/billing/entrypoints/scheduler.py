"""Billing's scheduler: asks the card provider again about charges it has not decided yet (a late
success or decline), and gives up on attempts that never reached it (services/billing/domain/paying.py);
renews subscriptions at their term's end (services/billing/domain/renewals.py, BI-11).
Several may run side by side: settling a charge locks its attempt and is done once; a renewal
claims its subscriptions and invoices each term once.

    python -m services.billing.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..adapters.batched_unit_of_work import BatchedUnitOfWork
from ..bootstrap import bootstrap, payment_provider
from ..domain import paying, renewals

POLL_EVERY = 1.0  # seconds between two rounds that found nothing decided


def settle_pending() -> int:
    return paying.settle_pending(bootstrap().uow, payment_provider())


def renew_due() -> int:
    """BI-11: the renewals due, batch by batch."""
    return renewals.renew_due(lambda: BatchedUnitOfWork(bootstrap().uow()))


ROUNDS = (settle_pending, renew_due)


def all_rounds() -> int:
    return sum(round_of_work() for round_of_work in ROUNDS)


def main() -> None:
    run_until_stopped("billing", "settling pending card charges, renewing subscriptions", all_rounds,
                      idle=POLL_EVERY)


if __name__ == "__main__":
    main()
