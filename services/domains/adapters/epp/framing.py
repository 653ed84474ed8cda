"""EPP data units over TCP (RFC 5734 section 4): a 4-byte big-endian length that counts itself,
then the UTF-8 XML instance.

Works on a socket (`recv`/`sendall`, TLS or not), a binary file-like stream (`read`/`write`) and an
asyncio stream. A length below 4, or above the limit, is refused before anything is read or held:
a peer cannot make us allocate what it announces.
"""
from __future__ import annotations

import struct
from typing import Any

HEADER = struct.Struct(">I")
HEADER_SIZE = HEADER.size
# a domain info with hundreds of hosts stays far below; registries cap frames around this size too
MAX_FRAME = 1024 * 1024
_CHUNK = 64 * 1024


class FrameError(ValueError):
    """The peer broke the framing (a length out of range, a frame cut short): the connection
    cannot be trusted to be in step any more and is closed."""


class ConnectionClosed(EOFError):
    """The peer closed the connection between two frames."""


def encode(payload: bytes, max_size: int = MAX_FRAME) -> bytes:
    total = len(payload) + HEADER_SIZE
    if total > max_size:
        raise FrameError(f"frame of {total} bytes is over the limit of {max_size}")
    return HEADER.pack(total) + payload


def payload_length(header: bytes, max_size: int = MAX_FRAME) -> int:
    """How many bytes of XML follow a header, after checking the announced length."""
    (total,) = HEADER.unpack(header)
    if total < HEADER_SIZE:
        raise FrameError(f"frame length {total} is below the header's own 4 bytes")
    if total > max_size:
        raise FrameError(f"frame length {total} is over the limit of {max_size}")
    return total - HEADER_SIZE


def _receiver(stream: Any):
    if hasattr(stream, "recv"):
        return stream.recv
    return stream.read


def _read_exactly(receive, size: int, *, at_frame_start: bool) -> bytes:
    # sockets and TLS give what they have: keep asking until the frame is whole
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = receive(min(size - got, _CHUNK))
        if not chunk:
            if got == 0 and at_frame_start:
                raise ConnectionClosed("the peer closed the connection")
            raise FrameError(f"connection closed after {got} of {size} bytes")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_frame(stream: Any, max_size: int = MAX_FRAME) -> bytes:
    """The next frame's XML from a socket or binary stream."""
    receive = _receiver(stream)
    header = _read_exactly(receive, HEADER_SIZE, at_frame_start=True)
    length = payload_length(header, max_size)
    return _read_exactly(receive, length, at_frame_start=False) if length else b""


def write_frame(stream: Any, payload: bytes, max_size: int = MAX_FRAME) -> None:
    frame = encode(payload, max_size)
    if hasattr(stream, "sendall"):
        stream.sendall(frame)
    else:
        stream.write(frame)
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()


async def read_frame_async(reader: Any, max_size: int = MAX_FRAME) -> bytes:
    """The next frame from an `asyncio.StreamReader` (for a server)."""
    import asyncio

    try:
        header = await reader.readexactly(HEADER_SIZE)
    except asyncio.IncompleteReadError as cut:
        if not cut.partial:
            raise ConnectionClosed("the peer closed the connection") from None
        raise FrameError("connection closed inside a frame header") from None
    length = payload_length(header, max_size)
    try:
        return await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as cut:
        raise FrameError(f"connection closed after {len(cut.partial)} of {length} bytes") from None


async def write_frame_async(writer: Any, payload: bytes, max_size: int = MAX_FRAME) -> None:
    writer.write(encode(payload, max_size))
    await writer.drain()
