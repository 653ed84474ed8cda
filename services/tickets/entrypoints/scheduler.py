"""Tickets' scheduler: warns before and reports at the moment a ticket's first response or
resolution falls due, counted in office time (TI-04, premium targets BI-18; domain/sla_tracking.py),
and deletes the tickets of organizations deleted more than the retention period ago
(domain/closure.py). Several may run side by side: each round locks the clocks it looks at (SKIP
LOCKED on PostgreSQL) and every warning and breach is claimed by a unique key in the transaction of
its event, so each is emitted once; each purge claims the organizations it purges, and purging twice
deletes nothing more.

    python -m services.tickets.entrypoints.scheduler
"""
from __future__ import annotations

import time

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap, sla_rules
from ..domain import closure, sla_tracking

POLL_EVERY = 1.0  # seconds between two rounds that found nothing due
PURGE_EVERY = 5.0  # seconds: retention runs out by the day
_purge_next = [0.0]


def service_level_round() -> int:
    with bootstrap().uow() as uow:
        emitted = sla_tracking.check_due(uow, sla_rules(), uow.clock.now())
        uow.commit()
    return emitted


def purge_deleted_organizations() -> int:
    if time.monotonic() < _purge_next[0]:
        return 0
    _purge_next[0] = time.monotonic() + PURGE_EVERY
    with bootstrap().uow() as uow:
        purged = closure.purge_deleted_organizations(uow)
        uow.commit()
        return purged


ROUNDS = (service_level_round, purge_deleted_organizations)


def all_rounds() -> int:
    return sum(round_of_work() for round_of_work in ROUNDS)


def main() -> None:
    run_until_stopped("tickets", "warning before and reporting breaches of service levels, deleting the tickets of "
                      "organizations deleted beyond the retention period", all_rounds, idle=POLL_EVERY)


if __name__ == "__main__":
    main()
