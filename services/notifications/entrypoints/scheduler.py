"""The notifications scheduler: sends the emails that are due and retries those that failed
(services/notifications/domain/mailing.py). Several may run side by side; each claims its emails
atomically.

    python -m services.notifications.entrypoints.scheduler
"""
from __future__ import annotations

import logging
import signal
import threading

from portico_kernel.service import configure_logging

from ..bootstrap import bootstrap, keyring, mailer, templates
from ..domain import mailing

log = logging.getLogger(__name__)


def main() -> None:
    configure_logging()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    log.info("notifications scheduler: sending emails over SMTP")
    backoff = mailing.IDLE_WAIT
    while not stopped.is_set():
        try:
            if mailing.send_due(bootstrap().uow, mailer(), templates(), lambda token: keyring().decrypt(token)) == 0:
                stopped.wait(mailing.IDLE_WAIT)
            backoff = mailing.IDLE_WAIT
        except Exception as error:  # the database is away: wait for it
            log.warning("notifications scheduler: cannot reach the database (%s); retrying in %.0fs", error, backoff)
            stopped.wait(backoff)
            backoff = min(backoff * 2, 30.0)


if __name__ == "__main__":
    main()
