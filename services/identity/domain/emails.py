"""ID-01: which email addresses a person may give as theirs — the login email (sign-up, staff
accounts, a new login email) and the recovery email — and how they are normalized. One rule,
used everywhere an address is taken in; docs/SECURITY.md says what it accepts.

email-validator (without DNS checks) decides the syntax (RFC 5321/5322 with internationalized
addresses, RFC 6531) and normalizes: Unicode NFC, the domain in lower case and in its Unicode form.
On top of it, what makes an address deceive a person or break a mail: look-alike letters of another
script mixed with Latin, fullwidth and other compatibility forms, control, format (zero-width,
bidirectional) and unassigned characters, lone surrogates, more than one '@'.
"""
from __future__ import annotations

import hashlib
import unicodedata

from email_validator import EmailNotValidError, validate_email

from portico_kernel.errors import Invalid

from .model import email_key

MAX_LENGTH = 320
# Cc control (NUL, CR, LF …), Cf format (zero-width, bidirectional), Cs surrogate, Co private use,
# Cn unassigned.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
REASON_LENGTH = 200  # reasons name characters by code point and never echo the address


def checked_email(value: str, field: str = "email") -> str:
    """The address normalized, or Invalid naming `field`."""
    normalized, reason = _verdict(value)
    if reason is not None:
        raise Invalid(f"{field}: {reason}", invalid_params=[{"name": field, "reason": reason}])
    return normalized


def sign_in_keys(value: str) -> list[str]:
    """The keys a sign-in looks the account up by, the first also counting its failures. Never
    fails: an address no account can have is answered like an unknown one (ID-03). Accounts made
    before this rule are found by their key of the time."""
    normalized, reason = _verdict(value)
    keys = [] if reason is not None else [email_key(normalized)]
    legacy = value.strip(" ").casefold()  # older accounts' keys; a trailing CR/LF finds none
    if _storable(legacy) and legacy not in keys:
        keys.append(legacy)
    return keys or ["unusable:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()]


def _verdict(value: str) -> tuple[str | None, str | None]:
    text = value.strip(" ")  # spaces around a pasted address; any other whitespace is refused
    if len(text) > MAX_LENGTH:
        return None, f"longer than {MAX_LENGTH} characters"
    for char in text:
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            return None, f"contains a control, invisible or unassigned character (U+{ord(char):04X})"
    if text.count("@") != 1:
        return None, "must contain exactly one @"
    text = unicodedata.normalize("NFC", text)
    if unicodedata.normalize("NFKC", text) != text:
        return None, "contains fullwidth or other compatibility characters; type the address in its plain form"
    try:
        # test_environment: no DNS, and the reserved .test domain (RFC 6761) is accepted for test systems.
        normalized = validate_email(text, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as error:
        return None, str(error)[:REASON_LENGTH]
    local_part, domain = normalized.rsplit("@", 1)
    for part in (local_part, *domain.split(".")):
        scripts = {_script(char) for char in part if char.isalpha()}
        if "LATIN" in scripts and len(scripts) > 1:
            return None, "mixes Latin letters with letters of another script that look alike"
    return normalized, None


def _script(letter: str) -> str:
    """The script a letter belongs to, by the first word of its Unicode name (LATIN, CYRILLIC, GREEK …)."""
    return unicodedata.name(letter, "UNKNOWN").split(" ", 1)[0]


def _storable(key: str) -> bool:
    """Whether a key can be looked up in any of our databases as it is."""
    return (0 < len(key) <= MAX_LENGTH and "\x00" not in key
            and not any("\ud800" <= char <= "\udfff" for char in key))
