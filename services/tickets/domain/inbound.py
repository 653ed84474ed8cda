"""A customer's email answer to a ticket (TI-01): addressed to reply+<token>@<reply domain>, from a
member of the ticket's organization. What is new in the mail (the quoted history cut off) lands in
the thread; anything else is refused or ignored, and logged without its content."""
from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTE_HEADER = re.compile(r"^\s*(On|Am|Le|Il)\b.{0,200}\b(wrote|schrieb|a écrit|ha scritto)\b.{0,100}:\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*(-----\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Messaggio originale)\s*-----|_{10,})\s*$",
                        re.IGNORECASE)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_BODY = 20000


@dataclass(frozen=True)
class InboundFile:
    filename: str
    content_type: str
    content: bytes


def token_of(address: str, reply_domain: str) -> str | None:
    """The ticket's token from a recipient address reply+<token>@<reply domain>, else None."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or domain.lower() != reply_domain.lower() or not local.lower().startswith("reply+"):
        return None
    token = local[len("reply+"):].lower()
    return token if _TOKEN.match(token) else None


def new_text(body: str) -> str:
    """The answer without the quoted history below it (a '>' line, "On … wrote:", a separator)."""
    kept = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.startswith(">") or _QUOTE_HEADER.match(line) or _SEPARATOR.match(line):
            break
        kept.append(line)
    text = "\n".join(kept).strip()
    return "".join(c for c in text if c in "\n\t" or ord(c) >= 32)[:MAX_BODY]
