"""A service on a scratch PostgreSQL database of its own, for the benches that run a service's rounds
in-process on many rows (bench/billing_renewals.py, bench/domains_expiry_scan.py): created, migrated,
handed over, and dropped at the end whatever happens."""
from __future__ import annotations

import importlib
import os
import resource
import tempfile
from contextlib import contextmanager

POSTGRES = os.environ.get("PORTICO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@contextmanager
def scratch_service(component: str):
    """The component's Service (its bootstrap) on a fresh database; the bus is the filesystem's, the
    clock the service's own (no shift file)."""
    database = f"portico_bench_{component}_{os.getpid()}"
    os.environ.update({"PORTICO_DATA_DIR": tempfile.mkdtemp(prefix=f"portico-bench-{component}-"),
                       "PORTICO_LOG_LEVEL": "WARNING", "PORTICO_BROKER_URL": "filesystem://",
                       f"{component.upper()}_DATABASE_URL": f"{POSTGRES}/{database}"})
    os.environ.pop("PORTICO_CLOCK_DIR", None)
    from sqlalchemy import create_engine, text

    from portico_kernel import migrate

    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    bootstrap = importlib.import_module(f"services.{component}.bootstrap").bootstrap
    try:
        migrate.upgrade(component)
        yield bootstrap()
    finally:
        bootstrap().engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
