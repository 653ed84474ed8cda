"""RFC 9457 problem details, shared by every service and the gateway."""
from __future__ import annotations

import json

from .errors import DomainError

PROBLEM_BASE = "https://portico.dev/problems/"
CONTENT_TYPE = "application/problem+json"

STATUS = {
    "invalid": 400, "unauthorized": 401, "forbidden": 403, "not-found": 404,
    "conflict": 409, "too-many-requests": 429,
}
TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


def problem_body(status: int, detail: str, problem: str | None = None, title: str | None = None, **extra) -> dict:
    body = {
        "type": PROBLEM_BASE + problem if problem else "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return body


def problem_bytes(status: int, detail: str, problem: str | None = None, **extra) -> bytes:
    return json.dumps(problem_body(status, detail, problem, **extra)).encode()


def from_domain_error(error: DomainError) -> tuple[int, dict]:
    status = STATUS[error.code]
    return status, problem_body(status, error.detail, error.problem, **error.extra)
