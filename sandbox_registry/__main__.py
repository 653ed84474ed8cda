"""`python -m sandbox_registry`: the sandbox registry's process."""
from __future__ import annotations

import asyncio
import logging
import signal

from portico_kernel.clock import clock_of
from services.domains.adapters.tld_file import tld_catalog

from . import certificate, settings
from .commands import Registry
from .server import EppServer, tls_context
from .store import Store, engine_for


async def run() -> None:
    config = settings.load()
    certificate_path, key_path = certificate.ensure(config.tls_dir)
    registry = Registry(Store(engine_for(config.database_url)), tld_catalog(), clock_of(settings.COMPONENT),
                        config.clients, transfer_days=config.transfer_days)
    server = EppServer(registry, tls_context(str(certificate_path), str(key_path)),
                       idle_seconds=config.idle_seconds, max_frame=config.max_frame,
                       commands_per_second=config.commands_per_second, burst=config.burst)
    listening = await server.start(config.host, config.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"sandbox registry: EPP over TLS on {config.host}:{config.port}, certificate {certificate_path}",
          flush=True)
    async with listening:
        await stop.wait()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run())


if __name__ == "__main__":
    main()
