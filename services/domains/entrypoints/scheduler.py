"""Domains' scheduler: carries out paid orders at the registry and follows transfers in until the
registry completes them (domain/orders.py, DO-02, DO-03).
Several may run side by side: each order is claimed (its row locked, others skip it) for one step.

    python -m services.domains.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap, catalog, registry_for
from ..domain import orders

POLL_EVERY = 1.0  # seconds between two rounds that found nothing to do


def carry_out_orders() -> int:
    return orders.carry_out_due(bootstrap().uow, registry_for, catalog())


ROUNDS = (carry_out_orders,)


def all_rounds() -> int:
    return sum(round_of_work() for round_of_work in ROUNDS)


def main() -> None:
    run_until_stopped("domains", "carrying out paid domain orders at the registry", all_rounds, idle=POLL_EVERY)


if __name__ == "__main__":
    main()
