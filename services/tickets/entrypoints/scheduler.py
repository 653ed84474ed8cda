"""Tickets' scheduler: warns before and reports at the moment a ticket's first response or
resolution falls due, counted in office time (TI-04, premium targets BI-18; domain/sla_tracking.py).
Several may run side by side: each round locks the clocks it looks at (SKIP LOCKED on PostgreSQL)
and every warning and breach is claimed by a unique key in the transaction of its event, so each is
emitted once.

    python -m services.tickets.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap, sla_rules
from ..domain import sla_tracking

POLL_EVERY = 1.0  # seconds between two rounds that found nothing due


def service_level_round() -> int:
    with bootstrap().uow() as uow:
        emitted = sla_tracking.check_due(uow, sla_rules(), uow.clock.now())
        uow.commit()
    return emitted


ROUNDS = (service_level_round,)


def all_rounds() -> int:
    return sum(round_of_work() for round_of_work in ROUNDS)


def main() -> None:
    run_until_stopped("tickets", "warning before and reporting breaches of service levels", all_rounds,
                      idle=POLL_EVERY)


if __name__ == "__main__":
    main()
