"""The gateway's web worker: the kernel's, with the routed reads answered at the connection.

Most calls through the door are reads: a GET without a body to a service's path. For those, the
ASGI exchange around the gateway's answer (a scope, a request cycle, an event, the receive and send
messages and uvicorn's check of every header it sends) cost 30 to 50 µs of a worker's CPU per
request, a sixth or more of all the gateway spends on one (docs/PERFORMANCE.md, item 19). Such a read is
answered here from the parsed request by `GatewayApp.routed_read_now`, the same checks and the same
answer as `GatewayApp.proxy` gives, written in one send. Everything else (the gateway's own paths,
bodies, HEAD, upgrades, `Expect`, HTTP/1.0, a browser's request with an `Origin`, which the CORS
layer answers) takes uvicorn's path.

Where a connection to the service rests, no task is made for a routed read either: the request goes
on in the turn of the loop that read it, and its answer in the turn that read the service's (item
24). With a task for each, a whole turn's requests went on together and then their answers, and
the service sat idle while they crossed the gateway.

Pipelined requests keep their order: a routed read stands in uvicorn's request cycle while it is
answered, so a request behind it waits in uvicorn's queue as behind any other.

    gunicorn --worker-class gateway.entrypoints.web_worker.GatewayWorker gateway.entrypoints.web:app
"""
from __future__ import annotations

import logging

import httptools
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from portico_kernel.asgi import problem_answer
from portico_kernel.web_worker import OneSendPerAnswer, WebWorker

from ..api.proxy import Forwarding
from ..domain.routes import UnsafePath, path_and_route

log = logging.getLogger("portico.gateway")
NOT_PLAIN = frozenset({b"content-length", b"transfer-encoding", b"origin"})


class _NoEvent:
    """uvicorn sets its cycle's event when more of the request comes; a routed read has no body."""

    @staticmethod
    def set() -> None:
        pass


class RoutedRead:
    """One routed read in uvicorn's place of a request cycle: answered once, then the next request."""

    message_event = _NoEvent()

    def __init__(self, protocol: "GatewayProtocol", keep_alive: bool):
        self.protocol = protocol
        self.keep_alive = keep_alive
        self.response_complete = self.disconnected = False
        self.more_body, self.body = True, b""

    def start(self, request) -> None:
        """Answered without a task where it can be: refused at once, or sent on a kept connection
        whose callback writes the answer. A task sends it on a new connection, or names the caller
        behind a trusted proxy first (uvicorn's proxy-header layer is a coroutine)."""
        protocol = self.protocol
        if protocol.proxies is not None:
            protocol._start_asgi_task(self, request)
            return
        routed, headers, query_string, client = request
        try:
            unsent = protocol.door.routed_read_now(routed, headers, query_string, client, self.answer)
        except Exception:  # a fault of ours: answered as any other component answers one
            log.exception("a routed read failed")
            self.answer(*problem_answer(500, "Something went wrong on our side; please try again."))
            return
        if unsent is not None:
            protocol._start_asgi_task(self, unsent)

    async def run_asgi(self, request) -> None:  # the name uvicorn starts a queued cycle by
        protocol = self.protocol
        try:
            if isinstance(request, Forwarding):
                status, answer_headers, body = await protocol.door.send_on(request)
            else:
                routed, headers, query_string, client = request
                if protocol.proxies is not None:
                    client = await protocol.seen_through_proxies(headers, client)
                status, answer_headers, body = await protocol.door.routed_read(routed, headers, query_string, client)
        except Exception:  # a fault of ours: answered as any other component answers one
            log.exception("a routed read failed")
            status, answer_headers, body = problem_answer(500, "Something went wrong on our side; please try again.")
        self.answer(status, answer_headers, body)

    def answer(self, status: int, answer_headers: list, body: bytes) -> None:
        """The answer written in one send, and the connection ready for the next request."""
        protocol = self.protocol
        if self.disconnected or self.response_complete:
            return
        head = [STATUS_LINE.get(status) or STATUS_LINE[502]]  # a status no HTTP knows is the service's fault
        for name, value in (*protocol.server_state.default_headers, *answer_headers):
            head += (name, b": ", value, b"\r\n")
        head.append(b"content-length: %d\r\n" % len(body))
        if not self.keep_alive:
            head.append(b"connection: close\r\n")
        head += (b"\r\n", body)
        protocol.transport.write_now(b"".join(head))
        self.response_complete = True
        if not self.keep_alive:
            protocol.transport.close()
        protocol.on_response_complete()


class GatewayProtocol(OneSendPerAnswer):
    door = None  # the GatewayApp of this worker, found on the first request
    proxies: ProxyHeadersMiddleware | None = None

    def on_headers_complete(self) -> None:
        request = self._routed_read()
        if request is None:
            super().on_headers_complete()
            return
        # a read answered at once, before this one in the same bytes, may have set the keep-alive
        # timer: it must not run out while this one is answered
        self._unset_keepalive_if_required()
        existing, self.cycle = self.cycle, RoutedRead(self, self.parser.should_keep_alive())
        if existing is None or existing.response_complete:
            self.cycle.start(request)
        else:  # behind a request still being answered, as uvicorn queues one
            self.flow.pause_reading()
            self.pipeline.appendleft((self.cycle, request))

    def _routed_read(self):
        """(route, headers, query, client) of a plain GET to a service's path; None for anything else."""
        if self.parser.get_method() != b"GET" or self.parser.get_http_version() != "1.1" \
                or self.parser.should_upgrade() or self.expect_100_continue:
            return None
        if any(name in NOT_PLAIN for name, _ in self.headers):
            return None
        url = httptools.parse_url(self.url)
        try:
            _, routed = path_and_route(url.path)
        except UnsafePath:
            return None
        if routed is None:
            return None
        if GatewayProtocol.door is None:
            from . import web  # loaded by now: it is the app this worker serves

            GatewayProtocol.door = web.door
        return routed, self.headers, url.query or b"", self.client

    async def seen_through_proxies(self, headers: list, client):
        """The caller as uvicorn's proxy-header layer names it behind a trusted proxy."""
        scope = {"type": "http", "headers": headers, "client": client, "scheme": "http"}
        await self.proxies(scope, None, None)
        return scope["client"]

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.config.proxy_headers:
            self.proxies = ProxyHeadersMiddleware(_seen, self.config.forwarded_allow_ips)


async def _seen(scope, receive, send) -> None:
    pass


class GatewayWorker(WebWorker):
    CONFIG_KWARGS = {**WebWorker.CONFIG_KWARGS, "http": GatewayProtocol}
