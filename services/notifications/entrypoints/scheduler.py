"""The notifications scheduler: sends the emails that are due and retries those that failed
(services/notifications/domain/mailing.py). Several may run side by side; each claims its emails
atomically.

    python -m services.notifications.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap, keyring, mailer, templates
from ..domain import mailing



def send_due() -> int:
    return mailing.send_due(bootstrap().uow, mailer(), templates(), lambda token: keyring().decrypt(token))


def main() -> None:
    run_until_stopped("notifications", "sending emails over SMTP", send_due, idle=mailing.IDLE_WAIT)


if __name__ == "__main__":
    main()
