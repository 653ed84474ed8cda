"""Tickets' scheduler: deletes the tickets of organizations deleted more than the retention period
ago (domain/closure.py). Several may run side by side: each round claims the organizations it purges
(SKIP LOCKED on PostgreSQL), and purging twice deletes nothing more.

    python -m services.tickets.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap
from ..domain import closure

POLL_EVERY = 5.0  # seconds: retention runs out by the day


def purge_deleted_organizations() -> int:
    with bootstrap().uow() as uow:
        purged = closure.purge_deleted_organizations(uow)
        uow.commit()
        return purged


ROUNDS = (purge_deleted_organizations,)


def all_rounds() -> int:
    return sum(round_of_work() for round_of_work in ROUNDS)


def main() -> None:
    run_until_stopped("tickets", "deleting the tickets of organizations deleted beyond the retention period",
                      all_rounds, idle=POLL_EVERY)


if __name__ == "__main__":
    main()
