"""Identity's scheduler: now and then it forgets failed sign-ins that no longer count
(services/identity/domain/security.py). Several may run side by side: the work is idempotent.
Identity's mails are the notifications service's (services/notifications/).

    python -m services.identity.entrypoints.scheduler
"""
from __future__ import annotations

from portico_kernel.scheduling import run_until_stopped

from ..bootstrap import bootstrap
from ..domain import security

HOUSEKEEPING_EVERY = 60.0  # seconds


def forget_old_failures() -> int:
    with bootstrap().uow() as uow:
        security.forget_old_failures(uow)
    return 0  # nothing more to do before the next round


def main() -> None:
    run_until_stopped("identity", "forgetting old failed sign-ins", forget_old_failures, idle=HOUSEKEEPING_EVERY)


if __name__ == "__main__":
    main()
