"""Password rules (NIST SP 800-63B): a minimum length and no composition rules."""
from __future__ import annotations

from typing import Protocol

from portico_kernel.errors import Invalid

MIN_LENGTH = 8
MAX_LENGTH = 256


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    def burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown account answers as slowly as a known one."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"The password must have at least {MIN_LENGTH} characters.",
                      invalid_params=[{"name": "password", "reason": f"shorter than {MIN_LENGTH} characters"}])
    if len(password) > MAX_LENGTH:
        raise Invalid(f"The password must have at most {MAX_LENGTH} characters.",
                      invalid_params=[{"name": "password", "reason": f"longer than {MAX_LENGTH} characters"}])
