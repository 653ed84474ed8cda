"""An answer's head and body leave in one write (docs/PERFORMANCE.md, item 15).

uvicorn writes an answer's status line and headers to the socket as soon as the app starts the
answer, and its body in a second write: two system calls and two TCP segments for every answer,
and on loopback the receiver (the gateway's upstream client, or a client) woken twice. The head is
held here until the body's first part (or the answer's end, for a HEAD or an empty body) and
sent with it. Imported by the web app factory (web.py); uvicorn 0.3x to 0.5x, httptools protocol.
"""
from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle


class _HeadHeld:
    """The connection's transport, as the answer's writer sees it until the head has left."""

    __slots__ = ("cycle", "transport", "head")

    def __init__(self, cycle, transport):
        self.cycle, self.transport, self.head = cycle, transport, None

    def write(self, data: bytes) -> None:
        if self.head is None:
            self.head = data
            return
        self.release(data)

    def release(self, data: bytes = b"") -> None:
        self.cycle.transport = self.transport
        if self.head is not None:
            self.transport.write(self.head + data)
            self.head = None

    def __getattr__(self, name):
        return getattr(self.transport, name)


_send = RequestResponseCycle.send


async def _send_in_one_write(self: RequestResponseCycle, message) -> None:
    if message["type"] == "http.response.start" and not self.response_started:
        self.transport = _HeadHeld(self, self.transport)
    try:
        await _send(self, message)
    finally:
        held = self.transport
        if isinstance(held, _HeadHeld) and (message["type"] != "http.response.start" or self.disconnected
                                            or not self.response_started):
            held.release()  # the answer ended with no body to carry the head, or it failed


RequestResponseCycle.send = _send_in_one_write
