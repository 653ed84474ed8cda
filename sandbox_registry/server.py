"""The EPP server: TLS over TCP (RFC 5734), one asyncio task per connection.

Per connection: the greeting first, then one frame at a time, each answered before the next is
read. A frame announcing more than the limit is refused before anything of it is read (2500 and
the connection closes, since the stream can no longer be trusted to be in step); a connection
idle too long is closed; a client sending commands faster than the rate allows gets 2502 and is
closed, as is a connection beyond the most the registry serves at once. The commands themselves run in a worker thread (`commands.Registry.answer`).
"""
from __future__ import annotations

import asyncio
import logging
import ssl
import time

from services.domains.adapters.epp import framing
from services.domains.adapters.epp.codes import Result

from .commands import Registry, Session

log = logging.getLogger("sandbox_registry")


def tls_context(certificate: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2   # RFC 5734 as updated by RFC 9325
    context.load_cert_chain(certificate, key)
    return context


class RateLimit:
    """A token bucket: `rate` commands a second, `burst` at once."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class EppServer:
    def __init__(self, registry: Registry, context: ssl.SSLContext, *, idle_seconds: float = 600,
                 max_frame: int = 64 * 1024, commands_per_second: float = 20, burst: int = 40,
                 max_connections: int = 64):
        self.registry = registry
        self.context = context
        self.idle_seconds = idle_seconds
        self.max_frame = max_frame
        self.commands_per_second = commands_per_second
        self.burst = burst
        self.max_connections = max_connections
        self.connections = 0

    async def start(self, host: str, port: int) -> asyncio.AbstractServer:
        return await asyncio.start_server(self.serve, host, port, ssl=self.context,
                                          ssl_handshake_timeout=30, limit=self.max_frame + 16)

    async def _send(self, writer: asyncio.StreamWriter, payload: bytes) -> None:
        await framing.write_frame_async(writer, payload, max_size=framing.MAX_FRAME)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session()
        limit = RateLimit(self.commands_per_second, self.burst)
        self.connections += 1
        try:
            if self.connections > self.max_connections:
                await self._send(writer, self.registry.closing(Result.SESSION_LIMIT_CLOSING,
                                                               "too many connections at once"))
                return
            await self._send(writer, self.registry.greeting())
            while True:
                try:
                    data = await asyncio.wait_for(framing.read_frame_async(reader, self.max_frame),
                                                  self.idle_seconds)
                except (asyncio.TimeoutError, framing.ConnectionClosed):
                    return
                except framing.FrameError as error:
                    await self._send(writer, self.registry.closing(Result.FAILED_CLOSING, str(error)))
                    await self._discard(reader)
                    return
                if not limit.take():
                    await self._send(writer, self.registry.closing(Result.SESSION_LIMIT_CLOSING,
                                                                   "too many commands a second"))
                    return
                answer = await asyncio.to_thread(self.registry.answer, session, data)
                await self._send(writer, answer.payload)
                if answer.close:
                    return
        except (ConnectionError, ssl.SSLError, OSError):
            return
        except Exception:   # one broken connection never stops the registry
            log.exception("an EPP connection failed")
        finally:
            self.connections -= 1
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 5)
            except (asyncio.TimeoutError, ConnectionError, ssl.SSLError, OSError):
                pass

    async def _discard(self, reader: asyncio.StreamReader) -> None:
        """Reads away (a bounded amount of) what the peer is still sending, so that closing does
        not reset the connection before it has read our answer."""
        left = 2 * self.max_frame
        try:
            while left > 0:
                chunk = await asyncio.wait_for(reader.read(min(left, 16384)), 0.5)
                if not chunk:
                    return
                left -= len(chunk)
        except (asyncio.TimeoutError, ConnectionError, ssl.SSLError, OSError):
            return
