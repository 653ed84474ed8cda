"""Database migrations: each service's Alembic scripts live in its own `migrations/` folder.

`python -m portico_kernel.migrate identity` brings one service's database to the newest revision
(creating the PostgreSQL database first if the server lets us); the Kubernetes migration Jobs and
`make up` run the same command.
"""
from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from . import config


def script_location(component: str) -> Path:
    base = config.REPO_ROOT / ("gateway" if component == "gateway" else f"services/{component}")
    return base / "migrations"


def alembic_config(component: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location(component)))
    cfg.set_main_option("sqlalchemy.url", config.load(component).database_url.replace("%", "%%"))
    cfg.attributes["component"] = component
    return cfg


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def upgrade(component: str) -> None:
    ensure_database(config.load(component).database_url)
    command.upgrade(alembic_config(component), "head")


def main(argv: list[str] | None = None) -> None:
    components = (argv if argv is not None else sys.argv[1:]) or ["gateway", *config.SERVICES]
    for component in components:
        upgrade(component)
        print(f"{component}: database at the newest revision", flush=True)


if __name__ == "__main__":
    main()
