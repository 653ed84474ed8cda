"""Identity's scheduler: now and then it forgets failed sign-ins that no longer count
(services/identity/domain/security.py). Several may run side by side: the work is idempotent.
Identity's mails are the notifications service's (services/notifications/).

    python -m services.identity.entrypoints.scheduler
"""
from __future__ import annotations

import logging
import signal
import threading

from portico_kernel.service import configure_logging

from ..bootstrap import bootstrap
from ..domain import security

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = 60.0  # seconds


def main() -> None:
    configure_logging()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    log.info("identity scheduler: forgetting old failed sign-ins")
    backoff = 1.0
    while not stopped.is_set():
        try:
            with bootstrap().uow() as uow:
                security.forget_old_failures(uow)
            backoff = 1.0
            stopped.wait(HOUSEKEEPING_EVERY)
        except Exception as error:  # the database is away: wait for it
            log.warning("identity scheduler: cannot reach the database (%s); retrying in %.0fs", error, backoff)
            stopped.wait(backoff)
            backoff = min(backoff * 2, 30.0)


if __name__ == "__main__":
    main()
