"""The domains scheduler (DO-04 … DO-07): the daily expiry scan, run again and again
(services/domains/domain/expiry.py): the owners' reminders before and after expiry, the renewals of
domains with automatic renewal or the renewal warranty, and the states after expiry (expired,
redemption, pending delete, released).
Several may run side by side: each batch claims its domains (on PostgreSQL their rows are locked and
others' skipped), each notice and each term's renewal has a unique key, and what is asked of the
registry is safe to repeat, so nothing is sent, asked or renewed twice, also after a crash.

    python -m services.domains.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap
from ..domain import expiry

POLL_EVERY = 1.0  # seconds between two rounds that found nothing due (tests move the clock by days)


def scan_due() -> int:
    return expiry.scan(bootstrap().uow)


def main() -> None:
    run_until_stopped("domains", "sending expiry reminders, asking for renewals, moving expired domains on",
                      scan_due, idle=POLL_EVERY)


if __name__ == "__main__":
    main()
