"""How tickets keeps secrets at rest: values sealed with the envelope keys (portico_kernel/envelope.py,
PORTICO_ENVELOPE_KEYS), and keyed digests to find a support code (TI-05) without keeping it readable.

A digest is HMAC-SHA256 under a key derived from each envelope key (HKDF, its own purpose), so a
stolen database gives no way to try codes offline; after a rotation the older keys still find the
codes stored before it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from portico_kernel.envelope import SETTING, RecordField, envelope
from portico_kernel.secrets import keys_from_settings

_PURPOSE = b"portico tickets support code digest v1"


def _derived(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(key)


class CodeDigests:
    """The keyed digests of a support code, the newest key's first."""

    def __init__(self, keys: list[tuple[str, bytes]]):
        self._keys = [(key_id, _derived(key)) for key_id, key in keys]

    def digests(self, code: str) -> list[str]:
        return [f"{key_id}.{hmac.new(key, code.encode('utf-8'), hashlib.sha256).hexdigest()}"
                for key_id, key in self._keys]


def _entries() -> list[tuple[str, bytes]]:
    envelope()  # in the embedded mode, makes the key file once
    keys = []
    for entry in keys_from_settings(SETTING, "envelope.key", lambda: ""):
        key_id, _, encoded = entry.strip().partition(":")
        encoded = encoded.strip()
        keys.append((key_id, base64.urlsafe_b64decode(encoded.replace("+", "-").replace("/", "_")
                                                      + "=" * (-len(encoded) % 4))))
    return keys


@lru_cache(maxsize=1)
def code_digests() -> CodeDigests:
    return CodeDigests(_entries())


def seal(value: str, table: str, row: str, field: str) -> str:
    return envelope().seal(value, RecordField(table, row, field))


def open_sealed(token: str, table: str, row: str, field: str):
    """The value as SensitiveText (hidden in repr and str)."""
    return envelope().open(token, RecordField(table, row, field))
