"""`/healthz` (the process is alive) and `/readyz` (its database and the broker answer).

Every contract routes both here; a process registers its own readiness checks at start. `/readyz`
names each dependency's state. It answers 503 only for the checks marked essential (the database):
while the broker is away the outbox keeps every event, so taking the service out of rotation would
turn a delay into an outage.
"""
from __future__ import annotations

from typing import Callable

_checks: dict[str, Callable[[], None]] = {}
_essential: set[str] = set()


def register(checks: dict[str, Callable[[], None]], essential: set[str] = frozenset({"database"})) -> None:
    _checks.clear()
    _checks.update(checks)
    _essential.clear()
    _essential.update(essential)


def healthz():
    return {"status": "alive"}, 200


def readyz():
    results = {}
    for name, check in _checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a check reports any failure as "not ready", never as a 500
            results[name] = f"unavailable: {type(exc).__name__}"
    ready = all(results[name] == "ok" for name in results if name in _essential)
    degraded = ready and any(value != "ok" for value in results.values())
    status = "degraded" if degraded else "ready" if ready else "not ready"
    return {"status": status, "checks": results}, 200 if ready else 503
