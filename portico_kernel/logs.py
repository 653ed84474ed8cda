"""Log lines are bounded and carry no secret: whatever a library logs about a hostile request (a
rejected 50 MB value, a bearer token, a password in a JSON body) is redacted and cut before any
handler formats it."""
from __future__ import annotations

import logging
import re

MAX_MESSAGE = 2000
MAX_TRACEBACK = 8000
REDACTED = "[redacted]"
SECRETS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\b(pk_)[A-Za-z0-9]+_[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)(['\"]?(?:password|new_password|current_password|app_password|secret|refresh_token|access_token"
               r"|code|recovery_code|token)['\"]?\s*[:=]\s*)(['\"])(?:\\.|(?!\2).)*\2?"),
    re.compile(r"(?i)(['\"]?(?:password|secret|token)['\"]?\s*[:=]\s*)(?!['\"])[^\s,;&}]+"),
)


def redact(text: str, limit: int = MAX_MESSAGE) -> str:
    if len(text) > 4 * limit:  # cut first: the patterns need not scan megabytes
        text = text[:4 * limit]
    for pattern in SECRETS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters cut]"


_installed = False


def bound_and_redact() -> None:
    """Every record of this process is redacted and bounded when it is made (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def bounded_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except Exception:  # a message that cannot be formatted is logged as its template
            record.msg, record.args = redact(str(record.msg)), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), MAX_TRACEBACK)
        return record

    logging.setLogRecordFactory(bounded_record)
