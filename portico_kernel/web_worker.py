"""The web worker every component is served by: gunicorn's uvicorn worker (uvloop, httptools),
with each answer leaving in one send.

uvicorn writes an answer's head when the application starts it and the body when it sends it: two
system calls, two segments on the wire, and a peer that wakes twice to read one answer. A routed
read pays that at each hop (service to gateway, gateway to client), so it cost every read one send
and one receive on each side. Here the writes of one turn of the event loop are joined and sent
once at its end (docs/PERFORMANCE.md, item 15).

    gunicorn --worker-class portico_kernel.web_worker.WebWorker <package>.entrypoints.web:app
"""
from __future__ import annotations

import asyncio
import gc

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker


class OneSendPerTurn:
    """A transport whose writes within one turn of the loop leave as one send, in order."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport, self._loop = transport, loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(b"".join(pending))

    def write_now(self, data: bytes) -> None:
        """`data` sent at once, after what waits to be sent: for a writer that sends a whole answer."""
        pending, self._pending = self._pending, None
        if not self._transport.is_closing():
            self._transport.write(b"".join((*pending, data)) if pending else data)

    def close(self) -> None:
        self.flush()  # what was written goes out before the connection closes
        self._transport.close()

    # the calls uvicorn makes on every request, without the detour through __getattr__
    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class OneSendPerAnswer(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol on a transport that joins an answer's head and body."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(OneSendPerTurn(transport, self.loop))


class WebWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "auto", "http": OneSendPerAnswer}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Trusting no proxy (every service, and a gateway with none in front), uvicorn's proxy-header
        # layer would only pass each request on: the caller is the peer either way.
        if not any(self.cfg.forwarded_allow_ips):
            self.config.proxy_headers = False

    def load_wsgi(self) -> None:
        super().load_wsgi()
        # The application's modules, contracts and caches live as long as the worker. Frozen, they
        # are out of the collector's sight, and a full collection walks only what requests leave
        # (docs/PERFORMANCE.md, item 20).
        gc.collect()
        gc.freeze()
