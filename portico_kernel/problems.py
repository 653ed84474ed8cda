"""RFC 9457 problem details, shared by every service and the gateway.

Every refusal names one of the project's problem types (docs/API.md lists them all): a specific
one when a rule said no (`email-taken`), else the one its status implies (`not-found`). Its
`instance` names the request (the id the gateway answers in X-Request-Id), so a client and an
operator speak of the same call. Framework-free: the web layers of the kernel and the gateway use it.
"""
from __future__ import annotations

import contextvars
import json

from .errors import DomainError

PROBLEM_BASE = "https://portico.dev/problems/"
CONTENT_TYPE = "application/problem+json"

# The request being answered (the gateway's X-Request-Id; X-Correlation-Id at the services).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

STATUS = {
    "invalid": 400, "unauthorized": 401, "forbidden": 403, "not-found": 404,
    "conflict": 409, "gone": 410, "too-many-requests": 429,
    "payment-required": 402, "unavailable": 503,  # a card declined; an outside system away for a while
}
TITLES = {
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 410: "Gone", 413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}
# The type of a refusal that names no specific one, by status.
BY_STATUS = {
    400: "invalid-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    409: "conflict", 410: "gone", 413: "body-too-large", 415: "unsupported-media-type", 422: "unprocessable",
    429: "too-many-requests", 500: "internal-error", 502: "service-unavailable", 503: "service-unavailable",
    504: "service-unavailable",
}
# What a refusal of the framework says, in place of the library's own words.
GENERIC_DETAIL = {
    400: "The request is not valid.",
    401: "Sign in first: this call needs a valid access token (Authorization: Bearer …).",
    403: "You may not do this.",
    404: "Nothing is found at this address.",
    405: "This address does not answer this method; the Allow header names those it answers.",
    409: "This conflicts with the current state.",
    413: "The request body is too large.",
    415: "The body must be JSON (Content-Type: application/json).",
    429: "Too many requests; try again later.",
    500: "Something went wrong on our side; the request id names it to support.",
}


def type_uri(problem: str) -> str:
    return PROBLEM_BASE + problem


def instance_of(rid: str | None) -> str | None:
    return f"urn:portico:request:{rid}" if rid else None


def problem_body(status: int, detail: str, problem: str | None = None, title: str | None = None,
                 instance: str | None = None, **extra) -> dict:
    body = {
        "type": type_uri(problem or BY_STATUS.get(status, "error" if status < 500 else "internal-error")),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    named = instance or instance_of(request_id.get())
    if named:
        body["instance"] = named
    body.update(extra)
    return body


def problem_bytes(status: int, detail: str, problem: str | None = None, **extra) -> bytes:
    return json.dumps(problem_body(status, detail, problem, **extra)).encode()


def is_ours(body: dict | None) -> bool:
    return isinstance(body, dict) and str(body.get("type", "")).startswith(PROBLEM_BASE)


def generic(status: int) -> dict:
    """A refusal the framework made, in the project's words."""
    return problem_body(status, GENERIC_DETAIL.get(status, TITLES.get(status, "Error") + "."))


def from_domain_error(error: DomainError) -> tuple[int, dict]:
    status = STATUS[error.code]
    return status, problem_body(status, error.detail, error.problem, **error.extra)
