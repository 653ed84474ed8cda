"""Request bodies are hostile until proven otherwise: bounded in size, strictly UTF-8, JSON of a
bounded depth whose strings a database and a mail header can hold.

Every component (services and the gateway, its own endpoints and its routed paths) reads bodies
through these rules, so no malformed body reaches a handler and none is answered 5xx.
"""
from __future__ import annotations

import json
import math

from .config import env

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32  # no contract nests deeper than a few levels
EXCERPT = 40  # characters of a refused value that an answer may echo


def max_body_bytes() -> int:
    """PORTICO_MAX_BODY_BYTES, the largest request body any component reads (default 1 MiB)."""
    try:
        return max(1024, int(env("PORTICO_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))))
    except ValueError:
        return DEFAULT_MAX_BODY_BYTES


def too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes, the most this API reads."


class InvalidBody(Exception):
    """The body cannot be a JSON document this API accepts; `field` names where (RFC 9457 invalid_params)."""

    def __init__(self, detail: str, field: str = "(body)"):
        super().__init__(detail)
        self.detail, self.field = detail, field


def excerpt(value, limit: int = EXCERPT) -> str:
    """A short, escaped rendering of a refused value: never the whole of it, never a raw control
    character or an unpaired surrogate."""
    text = value if isinstance(value, str) else repr(value)
    short = text[:limit]
    escaped = short.encode("unicode_escape", errors="backslashreplace").decode("ascii")
    return escaped + (f"… ({len(text)} characters)" if len(text) > limit else "")


def _rejected_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes):
    """The JSON document in `raw`, or InvalidBody naming what is wrong and where."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidBody(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        # NaN and Infinity are not JSON (RFC 8259); Python's parser would accept them.
        document = json.loads(text, parse_constant=_rejected_constant)
    except RecursionError:
        raise InvalidBody(f"The JSON body is nested deeper than {MAX_DEPTH} levels.") from None
    except json.JSONDecodeError as exc:
        raise InvalidBody(f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits, NaN
        raise InvalidBody(f"The body holds a value JSON parsing refuses: {excerpt(str(exc), 80)}") from None
    check_document(document)
    return document


def check_document(document) -> None:
    """Refuses nesting beyond MAX_DEPTH, strings with NUL or unpaired surrogates (no database or
    mail header can hold them), and non-finite numbers. Iterative, so depth costs no stack."""
    pending = [(document, (), 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidBody(f"The JSON body is nested deeper than {MAX_DEPTH} levels.", _name(path))
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, path + (excerpt(key),))
                pending.append((item, path + (key,), depth + 1))
        elif isinstance(value, list):
            pending.extend((item, path + (str(index),), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidBody("Numbers must be finite.", _name(path))


def _check_text(text: str, path: tuple) -> None:
    if "\x00" in text:
        raise InvalidBody("Text must not contain the NUL character (\\u0000).", _name(path))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidBody("Text must not contain unpaired surrogates (such as \\ud800).", _name(path)) from None


def _name(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "(body)"
