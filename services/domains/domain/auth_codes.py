"""Transfer auth codes (DO-01): strong random codes the TLD's registry accepts (tlds.yaml `auth_code`).

A code lets anyone holding it move the domain to another registrar, so it is made from the operating
system's randomness, as long as the TLD allows up to `PREFERRED_LENGTH`, answered once, mailed to the
registrant, and kept here only as a hash (never logged, never listed). It is valid for the TLD's
`valid_days` (None: until replaced).
"""
from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta

from .tld_rules import AuthCodeRule

PREFERRED_LENGTH = 20  # about 120 bits from the default alphabet; shorter only where a TLD caps it
# Characters every EPP registry takes in authInfo/pw and that survive XML, mail and copy-and-paste:
# no quotes, no <, >, &, no backslash, no look-alike I/l/O/0/1.
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
DIGITS = "23456789"
SPECIALS = "!#$%*+-=?@^_~"
DEFAULT_ALPHABET = LETTERS + DIGITS + SPECIALS
MAX_ATTEMPTS = 1000


class NoCodePossible(ValueError):
    """The TLD's rule cannot be met (its alphabet lacks a character class it demands)."""


def _classes(alphabet: str) -> dict[str, str]:
    return {"letter": "".join(c for c in alphabet if c.isalpha()),
            "digit": "".join(c for c in alphabet if c.isdigit()),
            "special": "".join(c for c in alphabet if not c.isalnum())}


def length_for(rule: AuthCodeRule) -> int:
    return max(rule.min_length, min(rule.max_length, PREFERRED_LENGTH))


def new_auth_code(rule: AuthCodeRule, *, choice=secrets.choice) -> str:
    """A random code meeting the rule: each character drawn uniformly from the alphabet, drawn again
    until the required character classes are there (a rejection, so no position is predictable)."""
    alphabet = rule.alphabet or DEFAULT_ALPHABET
    classes = _classes(alphabet)
    missing = [needed for needed in rule.must_contain if not classes[needed]]
    if missing:
        raise NoCodePossible(f"the alphabet has no {missing[0]}, which the rule demands")
    length = length_for(rule)
    for _ in range(MAX_ATTEMPTS):
        code = "".join(choice(alphabet) for _ in range(length))
        if rule.problem(code) is None:
            return code
    raise NoCodePossible("no code meeting the rule was drawn")  # pragma: no cover - 1000 misses in a row


def valid_until(rule: AuthCodeRule, issued_at: datetime) -> datetime | None:
    return issued_at + timedelta(days=rule.valid_days) if rule.valid_days else None


def new_token() -> str:
    """A confirmation token for a mailed link (change of owner): 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


ALPHABETS = {"letters": string.ascii_letters, "digits": string.digits}
