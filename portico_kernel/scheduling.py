"""The loop of a scheduler process (a component's timed work, beside its web, consumer and relay).

Runs one round of work after another until SIGTERM or SIGINT: at once again while a round found
work to do, after `idle` seconds when it found none, and with back-off while the database is away.
Several schedulers of one component may run side by side: each round's work must claim what it
does (or be idempotent).
"""
from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from .service import configure_logging

log = logging.getLogger(__name__)


def run_until_stopped(name: str, doing: str, round_of_work: Callable[[], int], idle: float) -> None:
    """`round_of_work` answers how much it did; `name` and `doing` say in the log whose scheduler
    it is and what it does."""
    configure_logging()
    log.info("%s scheduler: %s", name, doing)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    backoff = 1.0
    while not stopped.is_set():
        try:
            if round_of_work() == 0:
                stopped.wait(idle)
            backoff = 1.0
        except Exception as error:  # the database is away: wait for it
            log.warning("%s scheduler: cannot do its work (%s); retrying in %.0fs", name, error, backoff)
            stopped.wait(backoff)
            backoff = min(backoff * 2, 30.0)
