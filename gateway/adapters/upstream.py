"""Calls from the gateway to the services: HTTP/1.1 over connections kept alive, a pool of them per
service in each worker, answers read by httptools (the parser uvicorn serves with).

Every routed request makes one such call, and a general-purpose client (aiohttp) cost about a third
of the gateway's CPU for it: cookies, redirects, tracing, URL objects and header multidicts that a
proxy between its own services does not use (docs/PERFORMANCE.md).

A call is awaited (`Upstreams.request`), or, on a connection that rests already, handed back to a
callback from the connection's own (`Upstreams.request_now`): no task and no future, and the answer
goes on in the same turn of the loop that read it (docs/PERFORMANCE.md, item 24).
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Callable
from urllib.parse import urlsplit

import httptools

from portico_kernel import config

IDLE_AT_MOST = 30.0  # seconds a kept connection may rest; the services keep theirs 75 s
KEPT_AT_MOST = 64  # resting connections per service
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class UpstreamUnavailable(Exception):
    def __init__(self, service: str, reason: str, status: int):
        super().__init__(f"The {service} service {reason}; please try again shortly.")
        self.service = service
        self.status = status


class _Gone(Exception):
    """The connection closed before its answer was whole."""

    def __init__(self, answered: bool):
        super().__init__("the connection closed before the answer was whole")
        self.answered = answered  # some of the answer had come: the request was not lost unseen


class _Handed:
    """In a future's place: the answer or the failure handed to a callback at once."""

    __slots__ = ("callback", "finished")

    def __init__(self, callback: Callable[[tuple | None, BaseException | None], None]):
        self.callback, self.finished = callback, False

    def done(self) -> bool:
        return self.finished

    def set_result(self, answer: tuple) -> None:
        self.finished = True
        self.callback(answer, None)

    def set_exception(self, exc: BaseException) -> None:
        self.finished = True
        self.callback(None, exc)


class _Connection(asyncio.Protocol):
    """One kept-alive connection to a service, carrying one request at a time."""

    def __init__(self):
        self.transport: asyncio.Transport | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.answer: asyncio.Future | _Handed | None = None
        self.closed = False
        self.rested_since = 0.0
        self._reset()

    def _reset(self, head_only: bool = False) -> None:
        self.status, self.headers, self.body, self.reusable, self.started = 0, [], [], False, False
        self.head_only = head_only

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        # kept: asking for the running loop costs a system call (getpid) on every request
        self.loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        self.started = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self._fail(_Gone(self.started))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if self.head_only:  # the answer to HEAD names a length it does not send
            self.reusable = False
            self._done()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.reusable = self.parser.should_keep_alive() and not self.head_only
        self._done()

    def _done(self) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_result((self.status, self.headers, b"".join(self.body)))

    def _fail(self, exc: BaseException) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc)

    async def exchange(self, request: bytes, head_only: bool, timeout: float):
        """The answer to `request`; TimeoutError when it is not whole within `timeout` seconds (a
        timer of the loop's, which costs a request less than a timeout context around it)."""
        self._reset(head_only)
        self.answer = self.loop.create_future()
        timer = self.loop.call_later(timeout, self._time_out)
        self.transport.write(request)
        try:
            return await self.answer
        finally:
            timer.cancel()
            self.answer = None

    def send(self, request: bytes, head_only: bool, timeout: float,
             callback: Callable[[tuple | None, BaseException | None], None]) -> None:
        """`request` sent; its answer, or what failed, handed to `callback(answer, failure)`."""
        self._reset(head_only)
        timer = self.loop.call_later(timeout, self._time_out)

        def finished(answer, failure) -> None:
            timer.cancel()
            self.answer = None
            callback(answer, failure)

        self.answer = _Handed(finished)
        self.transport.write(request)

    def _time_out(self) -> None:
        self._fail(TimeoutError())


class _Pool:
    """The resting connections to one service."""

    def __init__(self, service: str, base_url: str):
        self.service = service
        address = urlsplit(base_url)
        self.host, self.port = address.hostname, address.port or 80
        self.prefix = address.path.rstrip("/")
        self.host_header = address.netloc.encode("latin-1")
        self.resting: deque[_Connection] = deque()

    def take(self) -> _Connection | None:
        now = time.monotonic()
        while self.resting:
            connection = self.resting.pop()  # the most recently used: the least likely to have gone
            if not connection.closed and now - connection.rested_since < IDLE_AT_MOST:
                return connection
            connection.transport.close()
        return None

    def give_back(self, connection: _Connection) -> None:
        if connection.reusable and not connection.closed and len(self.resting) < KEPT_AT_MOST:
            connection.rested_since = time.monotonic()
            self.resting.append(connection)
        else:
            connection.transport.close()

    async def exchange(self, connection: _Connection, request: bytes, method: str, timeout: float):
        """The answer to `request`; the connection rests again after it, or is closed."""
        try:
            answer = await connection.exchange(request, method == "HEAD", timeout)
        except BaseException:  # cancelled or failed half-way: what comes next on it is not ours
            connection.transport.close()
            raise
        self.give_back(connection)
        return answer

    async def open(self, connect_timeout: float) -> _Connection:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(connect_timeout):
            _transport, connection = await loop.create_connection(_Connection, self.host, self.port)
        return connection

    def close(self) -> None:
        while self.resting:
            self.resting.pop().transport.close()


class Upstreams:
    def __init__(self, timeout: float = 30.0, connect_timeout: float = 3.0, base_urls: dict[str, str] | None = None):
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self.base_urls = base_urls or {service: config.url_of(service) for service in config.SERVICES}
        self._pools = {service: _Pool(service, url) for service, url in self.base_urls.items()}
        self._running: set[asyncio.Task] = set()

    async def request(self, service: str, method: str, path_qs: str, headers: dict[str, str], body: bytes | None):
        """(status, headers as lower-case (name, value) bytes, body) of the service's answer;
        raises UpstreamUnavailable."""
        pool = self._pools[service]
        request = _request_bytes(pool, method, path_qs, headers, body)
        try:
            connection = pool.take()
            if connection is not None:
                try:
                    return await pool.exchange(connection, request, method, self.timeout)
                except _Gone as gone:
                    # A kept connection the service had just closed: the request never reached
                    # it, so one that may be repeated is sent again on a new connection.
                    if gone.answered or method not in IDEMPOTENT:
                        raise
            return await pool.exchange(await pool.open(self.connect_timeout), request, method, self.timeout)
        except (OSError, _Gone, httptools.HttpParserError) as exc:  # TimeoutError is an OSError
            raise _unavailable(service, exc) from exc

    def request_now(self, service: str, method: str, path_qs: str, headers: dict[str, str], body: bytes | None,
                    answered: Callable[[tuple | UpstreamUnavailable], None]) -> bool:
        """Sends the request at once on a connection that rests, and hands `answered` the answer, or
        the UpstreamUnavailable met, from the connection's callback. False, and nothing sent, when
        no connection rests: `request` opens one."""
        pool = self._pools[service]
        connection = pool.take()
        if connection is None:
            return False
        request = _request_bytes(pool, method, path_qs, headers, body)

        def finished(answer: tuple | None, failure: BaseException | None) -> None:
            if failure is None:
                pool.give_back(connection)
                answered(answer)
                return
            connection.transport.close()  # failed half-way: what comes next on it is not ours
            if isinstance(failure, _Gone) and not failure.answered and method in IDEMPOTENT:
                # as `request` does: a kept connection the service had just closed; sent again on a new one
                self._later(self._on_a_new_connection(pool, request, method, answered))
            else:
                answered(_unavailable(service, failure))

        connection.send(request, method == "HEAD", self.timeout, finished)
        return True

    async def _on_a_new_connection(self, pool: _Pool, request: bytes, method: str, answered) -> None:
        try:
            answer = await pool.exchange(await pool.open(self.connect_timeout), request, method, self.timeout)
        except (OSError, _Gone, httptools.HttpParserError) as exc:
            answer = _unavailable(pool.service, exc)
        answered(answer)

    def _later(self, call) -> None:
        task = asyncio.ensure_future(call)
        self._running.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._running.discard)

    async def close(self) -> None:
        for pool in self._pools.values():
            pool.close()


def _unavailable(service: str, failure: BaseException) -> UpstreamUnavailable:
    if isinstance(failure, TimeoutError):
        return UpstreamUnavailable(service, "did not answer in time", 504)
    return UpstreamUnavailable(service, "cannot be reached", 502)


def _request_bytes(pool: _Pool, method: str, path_qs: str, headers: dict[str, str], body: bytes | None) -> bytes:
    """The request as it goes on the wire: the caller's headers were taken from a parsed request
    (no line breaks can be in them) or are the gateway's own."""
    lines = [f"{method} {pool.prefix}{path_qs} HTTP/1.1".encode("latin-1"), b"host: " + pool.host_header]
    lines += [f"{name}: {value}".encode("latin-1") for name, value in headers.items()
              if name.lower() not in ("host", "content-length", "transfer-encoding", "connection")]
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(b"content-length: %d" % len(body or b""))
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")
