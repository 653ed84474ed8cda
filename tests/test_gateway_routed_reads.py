"""Reads routed at the gateway's connection (gateway/entrypoints/web_worker.py): a GET without a body
to a service's path is answered as every other request is, in order on a kept connection, with the
same answer uvicorn's path gives."""
from __future__ import annotations

import asyncio
import json
import socket
import uuid
from urllib.parse import urlsplit

import pytest


@pytest.fixture(scope="module")
def person(api):
    return api.customer_with_org()


def _connection(stack) -> socket.socket:
    address = urlsplit(stack.gateway)
    return socket.create_connection((address.hostname, address.port), timeout=15)


def _request(method: str, path: str, token: str | None, request_id: str, *extra: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: gateway", f"X-Request-Id: {request_id}", *extra]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _answers(connection: socket.socket, count: int) -> list[tuple[int, dict, bytes]]:
    """`count` answers read off the connection, each by its Content-Length."""
    buffer, answers = b"", []
    while len(answers) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = connection.recv(65536)
            assert chunk, f"the connection closed after {len(answers)} answers"
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(buffer) < length:
            chunk = connection.recv(65536)
            assert chunk, "the connection closed in an answer's body"
            buffer += chunk
        answers.append((int(lines[0].split()[1]), headers, buffer[:length]))
        buffer = buffer[length:]
    return answers


def test_pipelined_requests_are_answered_in_order_whichever_way_each_is_served(stack, person):
    """Routed reads, the gateway's own path, a read with a body and a refused read, sent at once on
    one connection: each answer comes back in its request's place."""
    token = person["token"]
    requests = [("GET", "/v1/orgs", token, b""), ("GET", "/.well-known/jwks.json", None, b""), ("GET", "/v1/orgs?limit=1", token, b""),
                ("GET", "/v1/orgs", None, b""), ("GET", "/v1/orgs", token, b'{"ignored": true}'),
                ("GET", "/v1/orgs", token, b"")]
    ids = [str(uuid.uuid4()) for _ in requests]
    sent = b"".join(_request(method, path, bearer_token, request_id, body=body)
                    for (method, path, bearer_token, body), request_id in zip(requests, ids))
    with _connection(stack) as connection:
        connection.sendall(sent)
        answers = _answers(connection, len(requests))
    assert [headers["x-request-id"] for _, headers, _ in answers] == ids
    assert [status for status, _, _ in answers] == [200, 200, 200, 401, 200, 200]
    assert json.loads(answers[0][2])[0]["id"] == person["org_id"] == json.loads(answers[5][2])[0]["id"]
    assert json.loads(answers[3][2])["instance"] == f"urn:portico:request:{ids[3]}"


def test_a_routed_read_answers_as_uvicorns_path_does(stack, person):
    """The same read, once at the connection and once through ASGI (a browser's Origin sends it
    there): the same status, body and headers but the request id, the date and CORS's own."""
    token = person["token"]
    with _connection(stack) as connection:
        connection.sendall(_request("GET", "/v1/orgs?limit=5", token, str(uuid.uuid4())))
        [(status, headers, body)] = _answers(connection, 1)
        connection.sendall(_request("GET", "/v1/orgs?limit=5", token, str(uuid.uuid4()), "Origin: https://elsewhere.test"))
        [(status_asgi, headers_asgi, body_asgi)] = _answers(connection, 1)
    assert status == status_asgi == 200 and body == body_asgi
    skip = {"x-request-id", "date", "vary", "access-control-allow-origin", "access-control-expose-headers"}
    assert {k: v for k, v in headers.items() if k not in skip} == {k: v for k, v in headers_asgi.items() if k not in skip}


def test_a_read_with_a_body_or_sent_with_connection_close_is_answered_and_the_connection_closed(stack, person):
    token = person["token"]
    with _connection(stack) as connection:
        connection.sendall(_request("GET", "/v1/orgs", token, str(uuid.uuid4()), body=b'{"ignored": true}'))
        [(status, _, _)] = _answers(connection, 1)
        assert status == 200
        connection.sendall(_request("GET", "/v1/orgs", token, str(uuid.uuid4()), "Connection: close"))
        [(status, headers, _)] = _answers(connection, 1)
        assert (status, headers.get("connection")) == (200, "close")
        assert connection.recv(65536) == b""


def test_a_routed_read_in_http_1_0_and_an_unsafe_path_take_uvicorns_path(stack, person):
    with _connection(stack) as connection:
        connection.sendall(b"GET /v1/orgs/../identity HTTP/1.1\r\nHost: gateway\r\n\r\n")
        [(status, _, body)] = _answers(connection, 1)
        assert status == 400 and json.loads(body)["type"].endswith("/invalid-path")
    with _connection(stack) as connection:
        connection.sendall(f"GET /v1/orgs HTTP/1.0\r\nAuthorization: Bearer {person['token']}\r\n\r\n".encode())
        [(status, _, body)] = _answers(connection, 1)
        assert status == 200 and json.loads(body)[0]["id"] == person["org_id"]


def test_behind_a_trusted_proxy_the_caller_is_the_one_it_names():
    """What uvicorn's proxy-header layer makes of the caller, for a read answered without that layer."""
    import uvicorn
    from uvicorn.server import ServerState

    from gateway.entrypoints.web_worker import GatewayProtocol
    from tests.test_web_worker import Wire

    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(lambda *a: None, forwarded_allow_ips="10.0.0.1", log_level="warning")
        protocol = GatewayProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        protocol.connection_made(Wire())

        def seen(peer: str, forwarded: str):
            return loop.run_until_complete(protocol.seen_through_proxies([(b"x-forwarded-for", forwarded.encode())],
                                                                         (peer, 5000)))

        assert seen("10.0.0.1", "203.0.113.9")[0] == "203.0.113.9"
        assert seen("198.51.100.4", "203.0.113.9") == ("198.51.100.4", 5000)
    finally:
        loop.close()
