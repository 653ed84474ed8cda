"""`make test`: the layering contracts (import-linter), the unit tier, then the end-to-end suite in
embedded mode and in real mode against PostgreSQL and RabbitMQ.

Real mode runs when both answer on 127.0.0.1 (or at PORTICO_TEST_POSTGRES_URL / PORTICO_TEST_BROKER_URL);
under CI (CI=true) it is required. `python -m tests.run unit` runs the contracts and the unit tier
(tests/unit: domain rules against in-memory fakes, no stack, seconds); `python -m tests.run
embedded|real` runs one end-to-end mode. Further arguments go to pytest.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

POSTGRES = os.environ.get("PORTICO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
BROKER = os.environ.get("PORTICO_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def reachable(url: str) -> bool:
    parsed = urlparse(url.replace("postgresql+psycopg", "postgresql"))
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=2):
            return True
    except OSError:
        return False


UNIT = "tests/unit"


def layering() -> int:
    print("\n=== Portico layering contracts (.importlinter) ===", flush=True)
    return subprocess.call([str(Path(sys.executable).parent / "lint-imports")])


def unit(extra: list[str]) -> int:
    print("\n=== Portico tests, unit tier ===", flush=True)
    # confcutdir: the end-to-end conftest (tests/conftest.py) is not even loaded
    code = subprocess.call([sys.executable, "-m", "pytest", UNIT, f"--confcutdir={UNIT}", *extra])
    return 0 if code == 5 and "-k" in extra else code


def run(mode: str, extra: list[str]) -> int:
    print(f"\n=== Portico tests, {mode} mode ===", flush=True)
    env = {**os.environ, "PORTICO_TEST_MODE": mode}
    code = subprocess.call([sys.executable, "-m", "pytest", f"--ignore={UNIT}", *extra], env=env)
    return 0 if code == 5 and "-k" in extra else code  # 5: a -k selection matched nothing in this mode


def main(argv: list[str]) -> int:
    modes = [a for a in argv if a in ("unit", "embedded", "real")] or ["unit", "embedded", "real"]
    extra = [a for a in argv if a not in ("unit", "embedded", "real")]
    failed = 0
    if "unit" in modes:
        if layering() != 0 or unit(extra) != 0:
            return 1  # a broken layer or rule fails fast, before the stack starts
        modes.remove("unit")
    for mode in modes:
        if mode == "real" and not (reachable(POSTGRES) and reachable(BROKER)):
            if os.environ.get("CI") == "true":
                print("real mode: PostgreSQL or RabbitMQ is not reachable, and CI requires them", flush=True)
                return 1
            print("real mode: skipped, PostgreSQL and RabbitMQ are not reachable on this machine "
                  "(set PORTICO_TEST_POSTGRES_URL / PORTICO_TEST_BROKER_URL)", flush=True)
            continue
        failed |= run(mode, extra) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
