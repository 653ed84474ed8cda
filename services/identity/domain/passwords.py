"""Password rules (NIST SP 800-63B): a minimum length, no composition rules, and none of the
passwords attackers try first."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from portico_kernel.errors import Invalid

from .model import unreadable_character

MIN_LENGTH = 8
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...

    def burn(self, password: str) -> None:
        """Spend the time of one verification, so an unknown account answers as slowly as a known one."""


def check_password_rules(password: str, field: str = "password") -> None:
    """`field` names the request field in the problem (e.g. new_password)."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"The password must have at least {MIN_LENGTH} characters.",
                      invalid_params=[{"name": field, "reason": f"shorter than {MIN_LENGTH} characters"}])
    if len(password) > MAX_LENGTH:
        raise Invalid(f"The password must have at most {MAX_LENGTH} characters.",
                      invalid_params=[{"name": field, "reason": f"longer than {MAX_LENGTH} characters"}])
    if (character := unreadable_character(password)) is not None:
        raise Invalid("The password contains a character that cannot be typed.",
                      invalid_params=[{"name": field, "reason": f"contains a control character or lone surrogate ({character})"}])
    if password.casefold() in common_passwords():
        raise Invalid("This password is one of the most common ones, which attackers try first; choose another.",
                      problem="common-password",
                      invalid_params=[{"name": field, "reason": "one of the most common passwords"}])


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))
