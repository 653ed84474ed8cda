"""Domains' scheduler: carries out paid orders at the registry and follows transfers in until the
registry completes them (domain/orders.py, DO-02, DO-03); and the daily expiry scan, run again and
again (domain/expiry.py, DO-04 … DO-07): the owners' reminders before and after expiry, the renewals
of domains with automatic renewal or the renewal warranty, and the states after expiry (expired,
redemption, pending delete, released); and, for managed domains (domain/upkeep.py, DO-01), the
auth codes whose validity ended replaced at the registry by unknown ones, and ended transfer locks lifted.
Several may run side by side: each order is claimed (its row locked, others skip it) for one step;
each batch of the scan claims its domains (on PostgreSQL their rows are locked and others' skipped),
each notice and each term's renewal has a unique key, and what is asked of the registry is safe to
repeat, so nothing is sent, asked or renewed twice, also after a crash.

    python -m services.domains.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap, catalog, registry_for
from ..domain import expiry, orders, restores, upkeep

POLL_EVERY = 1.0  # seconds between two rounds that found nothing to do (tests move the clock by days)


def carry_out_orders() -> int:
    return orders.carry_out_due(bootstrap().uow, registry_for, catalog(),
                                more_steps={"restore": restores.carry_out_restore})  # DO-05


def scan_expiries() -> int:
    return expiry.scan(bootstrap().uow)


def keep_registry_up_to_date() -> int:
    """DO-01: expired auth codes replaced at the registry, ended transfer locks lifted."""
    return upkeep.run(bootstrap().uow, registry_for)


ROUNDS = (carry_out_orders, scan_expiries, keep_registry_up_to_date)


def all_rounds() -> int:
    return sum(round_of_work() for round_of_work in ROUNDS)


def main() -> None:
    run_until_stopped("domains", "carrying out paid domain orders at the registry, sending expiry reminders, "
                      "asking for renewals, moving expired domains on", all_rounds, idle=POLL_EVERY)


if __name__ == "__main__":
    main()
