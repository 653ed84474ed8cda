"""The sandbox registry's configuration (README.md, "Configuration"; portico_kernel/config.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from portico_kernel import config

COMPONENT = "sandbox-registry"
DEFAULT_PORT = 7700
# two registrars, so that transfers between them can be rehearsed
DEFAULT_CLIENTS = "portico:portico-sandbox,other:other-sandbox"


def port() -> int:
    return int(config.env("SANDBOX_REGISTRY_PORT", str(DEFAULT_PORT)))


def clients(text: str) -> dict[str, str]:
    """`id:password` pairs separated by commas (EPP client ids are 3-16 characters, passwords 6-16)."""
    found = {}
    for pair in text.split(","):
        pair = pair.strip()
        if not pair:
            continue
        client, sep, password = pair.partition(":")
        if not sep or not 3 <= len(client) <= 16 or not 6 <= len(password) <= 16:
            raise ValueError("SANDBOX_REGISTRY_CLIENTS holds id:password pairs (ids 3-16, passwords 6-16 characters)")
        found[client] = password
    if not found:
        raise ValueError("SANDBOX_REGISTRY_CLIENTS names no registrar")
    return found


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    database_url: str
    tls_dir: Path
    clients: dict[str, str] = field(repr=False)
    transfer_days: int = 5
    idle_seconds: float = 600.0      # registries close sessions idle for about 10 minutes
    max_frame: int = 64 * 1024       # EPP commands are small; a registry need not read more
    commands_per_second: float = 20.0
    burst: int = 40


def load() -> Settings:
    data = config.data_dir()
    return Settings(
        host=config.env("PORTICO_BIND_HOST", "127.0.0.1"),
        port=port(),
        database_url=config.env("SANDBOX_REGISTRY_DATABASE_URL", f"sqlite:///{data / 'sandbox-registry.db'}"),
        tls_dir=Path(config.env("SANDBOX_REGISTRY_TLS_DIR", str(data / "sandbox-registry"))),
        clients=clients(config.env("SANDBOX_REGISTRY_CLIENTS", DEFAULT_CLIENTS)),
        transfer_days=int(config.env("SANDBOX_REGISTRY_TRANSFER_DAYS", "5")),
    )
