"""Files attached to a ticket's messages (TI-01): their type is read from their first bytes and must
agree with the type declared; only the types support needs are taken, up to a size."""
from __future__ import annotations

import re

from portico_kernel.errors import invalid_field

MAX_BYTES = 512 * 1024  # each file; a message's body (JSON, base64) must stay within 1 MiB
MAX_FILES = 3
_FILENAME = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,200}$")

# (content type, its magic bytes at offset 0)
_MAGIC = (
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
    ("application/pdf", b"%PDF-"),
    ("application/zip", b"PK\x03\x04"),
)
TEXT_TYPES = ("text/plain", "text/csv")
ALLOWED = tuple(sorted({t for t, _ in _MAGIC} | set(TEXT_TYPES)))


def sniffed_type(content: bytes) -> str | None:
    """The type the content is, by its first bytes; text/plain for UTF-8 text without control
    characters (but tab and line ends); None for anything else (executables, HTML are refused)."""
    for content_type, magic in _MAGIC:
        if content.startswith(magic):
            return content_type
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text) or "\x7f" in text:
        return None
    if re.search(r"<\s*(html|script|svg|!doctype|iframe)\b", text[:4096], re.IGNORECASE):
        return None  # a page a browser would run, whatever its name says
    return "text/plain"


def checked(index: int, filename: str, declared: str, content: bytes) -> str:
    """The attachment's content type, once its name, size and type are accepted."""
    where = f"attachments[{index}]"
    if not _FILENAME.match(filename or "") or filename.strip(" .") == "":
        raise invalid_field(f"{where}.filename", "a file name without control characters or slashes, at most 200 characters")
    if not content:
        raise invalid_field(f"{where}.content", "the file is empty")
    if len(content) > MAX_BYTES:
        raise invalid_field(f"{where}.content", f"the file is larger than {MAX_BYTES // 1024} KiB")
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in ALLOWED:
        raise invalid_field(f"{where}.content_type", f"one of {', '.join(ALLOWED)}")
    sniffed = sniffed_type(content)
    if sniffed is None or not (sniffed == declared or (sniffed == "text/plain" and declared in TEXT_TYPES)):
        raise invalid_field(f"{where}.content", f"the file's content is not {declared}")
    return declared
