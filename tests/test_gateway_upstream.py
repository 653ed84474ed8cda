"""The gateway's calls to the services (gateway/adapters/upstream.py), against a small HTTP server
on loopback that answers as a service would, or fails as one can: connections are kept and used
again, a kept connection the service closed costs a repeatable request nothing and a POST its
answer (never a second delivery), and a service that is silent or away is a 504 or a 502."""
from __future__ import annotations

import asyncio
import socket

import pytest

from gateway.adapters.upstream import UpstreamUnavailable, Upstreams


class Service:
    """An HTTP/1.1 server that answers each request by `reply(method, path, nth)` (nth: of the
    requests on its connection): the raw answer, b"" to close the connection unanswered, or None
    to keep silent."""

    def __init__(self, reply):
        self.reply = reply
        self.connections, self.requests = 0, []

    async def serve(self, reader, writer):
        self.connections += 1
        nth = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ")
                headers = dict(line.split(": ", 1) for line in lines[1:] if line)
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                self.requests.append((method, path, headers, body))
                nth += 1
                answer = self.reply(method, path, nth)
                if answer is None:
                    await asyncio.sleep(3600)
                if not answer:
                    break
                if method == "HEAD":  # the head alone, naming the length a GET's body would have
                    answer = answer.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


def _ok(body: bytes = b'{"ok": true}', *extra: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + b"".join(h + b"\r\n" for h in extra)
            + b"content-length: %d\r\n\r\n" % len(body) + body)


async def _with(service: Service, calls, **upstreams):
    server = await asyncio.start_server(service.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    upstream = Upstreams(base_urls={"orgs": f"http://127.0.0.1:{port}"}, **upstreams)
    try:
        return await calls(upstream)
    finally:
        await upstream.close()
        server.close()


def test_answers_come_whole_and_a_connection_carries_many_requests():
    chunked = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
               b"5\r\n[1, 2\r\n4\r\n, 3]\r\n0\r\n\r\n")
    service = Service(lambda method, path, nth: chunked if path == "/chunked" else _ok(b"[]", b"Link: <a>", b"Link: <b>"))

    async def calls(upstream):
        first = await upstream.request("orgs", "GET", "/v1/orgs?limit=2", {"authorization": "Bearer t"}, None)
        second = await upstream.request("orgs", "GET", "/chunked", {}, None)
        head = await upstream.request("orgs", "HEAD", "/v1/orgs", {}, None)
        posted = await upstream.request("orgs", "POST", "/v1/orgs", {"content-type": "application/json"}, b'{"a": 1}')
        return first, second, head, posted

    first, second, head, posted = asyncio.run(_with(service, calls))
    assert first == (200, [(b"content-type", b"application/json"), (b"link", b"<a>"), (b"link", b"<b>"),
                           (b"content-length", b"2")], b"[]")
    assert second[2] == b"[1, 2, 3]"
    assert head[0] == 200 and head[2] == b""
    assert posted[2] == b"[]"
    assert service.requests[0][:2] == ("GET", "/v1/orgs?limit=2") and service.requests[0][2]["authorization"] == "Bearer t"
    assert service.requests[3][3] == b'{"a": 1}' and service.requests[3][2]["content-length"] == "8"
    assert service.connections == 2, "the answer to HEAD names a length it does not send: its connection is not used again"


def test_a_kept_connection_the_service_closed_is_replaced_for_a_read_and_a_post_is_never_sent_twice():
    """The service closes a kept connection just as the next request arrives on it (its idle time
    ran out): a GET goes again on a new connection; a POST may have been seen, so it is not sent
    again but answered 502."""
    service = Service(lambda method, path, nth: _ok() if nth == 1 else b"")

    async def calls(upstream):
        await upstream.request("orgs", "GET", "/v1/orgs", {}, None)
        again = await upstream.request("orgs", "GET", "/v1/orgs", {}, None)
        await upstream.request("orgs", "GET", "/v1/orgs", {}, None)  # the last answer's connection is kept
        with pytest.raises(UpstreamUnavailable) as refused:
            await upstream.request("orgs", "POST", "/v1/orgs", {}, b"{}")
        return again, refused.value

    again, refused = asyncio.run(_with(service, calls))
    assert again[0] == 200 and refused.status == 502
    assert [method for method, *_ in service.requests] == ["GET", "GET", "GET", "GET", "GET", "POST"]
    assert service.connections == 3


def test_a_silent_service_is_a_504_and_an_absent_one_a_502():
    silent = Service(lambda method, path, nth: None)

    async def calls(upstream):
        with pytest.raises(UpstreamUnavailable) as refused:
            await upstream.request("orgs", "GET", "/v1/orgs", {}, None)
        return refused.value

    assert asyncio.run(_with(silent, calls, timeout=0.3)).status == 504

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    upstream = Upstreams(base_urls={"orgs": f"http://127.0.0.1:{port}"})

    async def absent():
        with pytest.raises(UpstreamUnavailable) as refused:
            await upstream.request("orgs", "GET", "/v1/orgs", {}, None)
        return refused.value

    assert asyncio.run(absent()).status == 502


def test_an_answer_that_is_not_http_is_a_502():
    garbled = Service(lambda method, path, nth: b"SMTP ready\r\n\r\n")

    async def calls(upstream):
        with pytest.raises(UpstreamUnavailable) as refused:
            await upstream.request("orgs", "GET", "/v1/orgs", {}, None)
        return refused.value

    assert asyncio.run(_with(garbled, calls)).status == 502


async def _now(upstream: Upstreams, method: str, path: str, body: bytes | None = None):
    """`request_now`'s outcome, awaited here: None when it sent nothing."""
    handed = asyncio.get_running_loop().create_future()
    if not upstream.request_now("orgs", method, path, {}, body, handed.set_result):
        return None
    return await handed


def test_on_a_kept_connection_the_answer_is_handed_over_at_once_and_without_one_nothing_is_sent():
    service = Service(lambda method, path, nth: _ok(path.encode()))

    async def calls(upstream):
        before = await _now(upstream, "GET", "/v1/orgs")
        opened = await upstream.request("orgs", "GET", "/v1/orgs", {}, None)
        handed = [await _now(upstream, "GET", f"/v1/orgs?n={n}") for n in range(3)]
        return before, opened, handed

    before, opened, handed = asyncio.run(_with(service, calls))
    assert before is None and len(service.requests) == 4
    assert [answer[2] for answer in handed] == [b"/v1/orgs?n=0", b"/v1/orgs?n=1", b"/v1/orgs?n=2"]
    assert handed[0][0] == opened[0] == 200 and handed[0][1][0] == (b"content-type", b"application/json")
    assert service.connections == 1


def test_handed_over_a_read_on_a_connection_the_service_closed_goes_again_and_a_post_is_a_502():
    service = Service(lambda method, path, nth: _ok() if nth == 1 else b"")

    async def calls(upstream):
        await upstream.request("orgs", "GET", "/v1/orgs", {}, None)
        again = await _now(upstream, "GET", "/v1/orgs")  # its connection closes unanswered: a new one
        refused = await _now(upstream, "POST", "/v1/orgs", b"{}")
        return again, refused

    again, refused = asyncio.run(_with(service, calls))
    assert again[0] == 200
    assert isinstance(refused, UpstreamUnavailable) and refused.status == 502
    assert [method for method, *_ in service.requests] == ["GET", "GET", "GET", "POST"]


def test_handed_over_a_silent_service_is_a_504_and_a_garbled_answer_a_502():
    def outcome(reply, **upstreams):
        async def calls(upstream):
            await upstream.request("orgs", "GET", "/first", {}, None)
            return await _now(upstream, "GET", "/v1/orgs")

        return asyncio.run(_with(Service(reply), calls, **upstreams))

    silent = outcome(lambda method, path, nth: _ok() if nth == 1 else None, timeout=0.3)
    garbled = outcome(lambda method, path, nth: _ok() if nth == 1 else b"SMTP ready\r\n\r\n")
    assert isinstance(silent, UpstreamUnavailable) and silent.status == 504
    assert isinstance(garbled, UpstreamUnavailable) and garbled.status == 502
