"""The web worker every component runs on (portico_kernel/web_worker.py) sends each answer in one
write: its head and body reach the peer together, streamed answers stay whole and in order, and
nothing written is lost when the connection closes after the answer."""
from __future__ import annotations

import asyncio

import pytest
import uvicorn
from uvicorn.server import ServerState

from portico_kernel import launcher
from portico_kernel.web_worker import OneSendPerAnswer, WebWorker


class Wire:
    """The connection's far end, as the server's transport: what was sent, send by send."""

    def __init__(self):
        self.sends: list[bytes] = []
        self.closed_after = None  # how many sends had gone when the connection was closed

    def write(self, data: bytes) -> None:
        assert self.closed_after is None, "written after close"
        self.sends.append(bytes(data))

    def close(self) -> None:
        if self.closed_after is None:
            self.closed_after = len(self.sends)

    def is_closing(self) -> bool:
        return self.closed_after is not None

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol) -> None:
        pass


def answered(app, request: bytes) -> Wire:
    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(app, http=OneSendPerAnswer, lifespan="off", log_level="warning")
        config.load()
        protocol = OneSendPerAnswer(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        wire = Wire()
        protocol.connection_made(wire)
        protocol.data_received(request)
        loop.run_until_complete(asyncio.sleep(0.05))
        protocol.connection_lost(None)
        loop.run_until_complete(asyncio.sleep(0))
        return wire
    finally:
        loop.close()


async def one_answer(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json"),
                                                                   (b"content-length", b"13")]})
    await send({"type": "http.response.body", "body": b'{"items": []}'})


async def streamed(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for part in (b"first ", b"second ", b"third"):
        await send({"type": "http.response.body", "body": part, "more_body": True})
        await asyncio.sleep(0)  # each part in a later turn of the loop
    await send({"type": "http.response.body", "body": b""})


GET = b"GET /v1/orgs HTTP/1.1\r\nhost: orgs\r\n\r\n"


def test_an_answers_head_and_body_leave_in_one_send():
    wire = answered(one_answer, GET)
    assert len(wire.sends) == 1
    head, _, body = wire.sends[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and body == b'{"items": []}'


def test_a_streamed_answer_arrives_whole_and_in_order():
    wire = answered(streamed, GET)
    whole = b"".join(wire.sends)
    assert whole.startswith(b"HTTP/1.1 200 OK") and b"transfer-encoding: chunked" in whole
    assert whole.endswith(b"6\r\nfirst \r\n7\r\nsecond \r\n5\r\nthird\r\n0\r\n\r\n")


def test_what_was_written_goes_out_before_the_connection_closes():
    wire = answered(one_answer, b"GET /v1/orgs HTTP/1.1\r\nhost: orgs\r\nconnection: close\r\n\r\n")
    assert wire.closed_after == len(wire.sends) == 1
    assert wire.sends[0].endswith(b'{"items": []}')


def test_a_bad_request_is_answered_before_the_connection_closes():
    wire = answered(one_answer, b"NOT HTTP\r\n\r\n")
    assert wire.closed_after == len(wire.sends) == 1
    assert wire.sends[0].startswith(b"HTTP/1.1 400")


@pytest.mark.parametrize("component", launcher.COMPONENTS)
def test_every_component_is_served_by_the_web_worker(component):
    """compose and the manifests name the launcher's worker (tests/test_deploy.py)."""
    import importlib

    module, _, name = launcher.web_worker(component).rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), name), WebWorker)
