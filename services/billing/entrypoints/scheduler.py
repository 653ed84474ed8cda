"""Billing's scheduler: asks the card provider again about charges it has not decided yet (a late
success or decline), and gives up on attempts that never reached it (services/billing/domain/paying.py).
Several may run side by side: settling a charge locks its attempt and is done once.

    python -m services.billing.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap, payment_provider
from ..domain import paying

POLL_EVERY = 1.0  # seconds between two rounds that found nothing decided


def settle_pending() -> int:
    return paying.settle_pending(bootstrap().uow, payment_provider())


def main() -> None:
    run_until_stopped("billing", "settling pending card charges", settle_pending, idle=POLL_EVERY)


if __name__ == "__main__":
    main()
