"""Identity's scheduler: sends the mails that are due (security alerts, email verification links)
and retries those that failed (services/identity/domain/mail.py); now and then it forgets failed
sign-ins that no longer count. Several may run side by side; each claims its mails atomically.

    python -m services.identity.entrypoints.scheduler
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from functools import partial

from portico_kernel.service import configure_logging

from ..bootstrap import bootstrap, mailer, public_url
from ..domain import mail, profile, security

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = 60.0  # seconds


def main() -> None:
    configure_logging()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    render_email_change = partial(profile.email_change_mail, public_url=public_url())
    log.info("identity scheduler: sending mails over SMTP")
    backoff, housekeeping_at = mail.IDLE_WAIT, 0.0
    while not stopped.is_set():
        try:
            if time.monotonic() >= housekeeping_at:
                with bootstrap().uow() as uow:
                    security.forget_old_failures(uow)
                housekeeping_at = time.monotonic() + HOUSEKEEPING_EVERY
            if mail.send_due(bootstrap().uow, mailer(), security.alert_mail, render_email_change) == 0:
                stopped.wait(mail.IDLE_WAIT)
            backoff = mail.IDLE_WAIT
        except Exception as error:  # the database is away: wait for it
            log.warning("identity scheduler: cannot reach the database (%s); retrying in %.0fs", error, backoff)
            stopped.wait(backoff)
            backoff = min(backoff * 2, 30.0)


if __name__ == "__main__":
    main()
