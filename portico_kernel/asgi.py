"""Plain ASGI pieces the kernel's middlewares and the gateway's routed path share: reading a bounded
body, handing it on, and answering in one piece."""
from __future__ import annotations

from .problems import CONTENT_TYPE, problem_bytes


async def read_bounded(receive, limit: int) -> bytes | None:
    """The whole request body, or None once it grows past `limit` (the rest is not read)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def declared_length(headers) -> int | None:
    """Content-Length as a number; None when absent; -1 when it is not a number."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else -1
    return None


def replaying(body: bytes, receive):
    """A `receive` that hands the app `body` whole, once, then whatever the client sends next."""
    replayed = False

    async def replay():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def send_answer(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def problem_answer(status: int, detail: str, problem: str | None = None, headers=(), **extra):
    """(status, headers, body) of a problem+json answer."""
    return status, [(b"content-type", CONTENT_TYPE.encode()), *headers], problem_bytes(status, detail, problem, **extra)


async def send_problem(send, status: int, detail: str, problem: str | None = None, headers=(), **extra) -> None:
    await send_answer(send, *problem_answer(status, detail, problem, headers, **extra))
