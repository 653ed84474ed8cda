"""Domain errors: a rule said no. The web layer turns each into a problem+json answer.

The domain names what went wrong (`code`); only the web layer knows HTTP statuses.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "invalid"  # one of: invalid, not-found, conflict, gone, forbidden, unauthorized, too-many-requests,
    # payment-required, unavailable

    def __init__(self, detail: str, *, problem: str | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.problem = problem  # a specific problem type, e.g. "two-factor-required"
        self.extra = extra


class Invalid(DomainError):
    code = "invalid"


def invalid_field(name: str, reason: str) -> Invalid:
    """Refused input, naming the one field at fault (the answer's `invalid_params`)."""
    return Invalid(f"{name}: {reason}", invalid_params=[{"name": name, "reason": reason}])


class NotFound(DomainError):
    code = "not-found"


class Conflict(DomainError):
    code = "conflict"


class Forbidden(DomainError):
    code = "forbidden"


class Gone(DomainError):
    """Something that existed and can no longer be used (an expired, revoked or used link)."""
    code = "gone"


class Unauthorized(DomainError):
    code = "unauthorized"


class TooManyRequests(DomainError):
    code = "too-many-requests"
