"""Envelope encryption of single values kept in a database (TI-02: the credentials a customer gives a
support ticket in its "sensitive data" field).

Every value gets its own data key (AES-256-GCM, a random 96-bit nonce); the data key is wrapped with
a key-encryption key (KEK) from PORTICO_ENVELOPE_KEYS (`id:base64key` pairs, newest first; AES key
wrap, RFC 3394). The associated data names the record the value belongs to (table, row, field), so a
ciphertext copied to another row or field does not open. A stolen database or backup holds no usable
value without the KEKs, and a KEK never touches the data itself:

- rotating: put a new KEK first; values sealed before still open with the older KEK, and `rewrap`
  wraps a value's data key with the newest KEK without decrypting or changing the value. Once every
  value is rewrapped (`rewrap_column`), the old KEK can be removed.
- the stored text is self-describing: `pe1.<kek id>.<wrapped data key>.<nonce>.<ciphertext>`
  (base64url without padding), one text column.

Errors say what went wrong and never carry the value or a key; an opened value is a `SensitiveText`
whose repr and str hide it, so it does not end up in logs or tracebacks by accident.

The domain never imports this module (.importlinter): adapters seal and open at the repository.
Keys come like portico_kernel/secrets.py's Fernet keys: from the settings, or on one machine in the
embedded mode a key made once under PORTICO_DATA_DIR (`envelope.key`).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from sqlalchemy import Table, select, update

from .secrets import keys_from_settings

VERSION = "pe1"
SETTING = "PORTICO_ENVELOPE_KEYS"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KEY_BYTES = 32  # AES-256, for data keys and KEKs alike
_NONCE_BYTES = 12
_TAG_BYTES = 16
_WRAPPED_BYTES = _KEY_BYTES + 8


class EnvelopeError(Exception):
    """A value cannot be sealed or opened; the message never holds the value or a key."""


class UnknownKey(EnvelopeError):
    """The value was sealed with a KEK that PORTICO_ENVELOPE_KEYS no longer (or never) holds."""


class Unreadable(EnvelopeError):
    """The stored text is no sealed value, was altered, or belongs to another record."""


@dataclass(frozen=True)
class RecordField:
    """Where a value is kept: its table, its row's id and its field; bound to the ciphertext."""

    table: str
    row: str
    field: str

    def associated_data(self) -> bytes:
        parts = (self.table, self.row, self.field)
        if not all(isinstance(part, str) and part for part in parts):
            raise EnvelopeError("a sealed value's record needs a table, a row id and a field, as text")
        return json.dumps([VERSION, *parts], separators=(",", ":")).encode("utf-8")


class SensitiveText:
    """An opened value: `reveal()` gives the text; repr and str do not."""

    __slots__ = ("_text",)

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise TypeError("sensitive text must be a str")
        self._text = text

    def reveal(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return "SensitiveText(<hidden>)"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        if not isinstance(other, SensitiveText):
            return NotImplemented
        return hmac.compare_digest(self._text.encode("utf-8"), other._text.encode("utf-8"))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        raise TypeError("sensitive text is not pickled")

    # immutable: a copy is the same value (dataclasses.asdict of a record holding one keeps it hidden)
    def __copy__(self) -> "SensitiveText":
        return self

    def __deepcopy__(self, memo) -> "SensitiveText":
        return self


class KeyEncryptionKey:
    """One KEK of PORTICO_ENVELOPE_KEYS; its repr names only its id."""

    __slots__ = ("id", "_key")

    def __init__(self, key_id: str, key: bytes):
        if not isinstance(key_id, str) or not _KEY_ID.match(key_id):
            raise ValueError(f"{SETTING}: a key id is 1–64 letters, digits, - or _")
        if not isinstance(key, bytes) or len(key) != _KEY_BYTES:
            raise ValueError(f"{SETTING}: key {key_id!r} is not {_KEY_BYTES} bytes (AES-256)")
        self.id = key_id
        self._key = key

    @classmethod
    def parse(cls, entry: str, number: int) -> "KeyEncryptionKey":
        """`id:base64key` (standard or URL-safe base64)."""
        key_id, colon, encoded = entry.strip().partition(":")
        if not colon or not key_id:
            raise ValueError(f"{SETTING}: entry {number} is not id:base64key")
        try:
            key = _b64decode(encoded.strip())
        except ValueError:
            raise ValueError(f"{SETTING}: key {key_id!r} is not base64") from None
        return cls(key_id, key)

    def __repr__(self) -> str:
        return f"KeyEncryptionKey({self.id!r})"


@dataclass(frozen=True)
class _Sealed:
    key_id: str
    wrapped: bytes
    nonce: bytes
    ciphertext: bytes

    @classmethod
    def parse(cls, token: str) -> "_Sealed":
        if not isinstance(token, str):
            raise Unreadable("a sealed value is text")
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != VERSION:
            raise Unreadable(f"the stored text is no sealed value of version {VERSION}")
        _, key_id, wrapped, nonce, ciphertext = parts
        if not _KEY_ID.match(key_id):
            raise Unreadable("the stored text names no valid key id")
        try:
            sealed = cls(key_id, *(_b64decode(part, canonical=True) for part in (wrapped, nonce, ciphertext)))
        except ValueError:
            raise Unreadable("the stored text is not base64url where it must be") from None
        if len(sealed.wrapped) != _WRAPPED_BYTES or len(sealed.nonce) != _NONCE_BYTES or len(sealed.ciphertext) < _TAG_BYTES:
            raise Unreadable("the stored text has parts of the wrong length")
        return sealed

    def __str__(self) -> str:
        return ".".join((VERSION, self.key_id, _b64encode(self.wrapped), _b64encode(self.nonce), _b64encode(self.ciphertext)))


class Envelope:
    """Seals and opens values with the KEKs, newest first (the first one wraps new data keys)."""

    def __init__(self, keys: Sequence[KeyEncryptionKey]):
        if not keys:
            raise ValueError(f"{SETTING} names no key")
        ids = [key.id for key in keys]
        duplicate = next((key_id for key_id in ids if ids.count(key_id) > 1), None)
        if duplicate is not None:
            raise ValueError(f"{SETTING}: key id {duplicate!r} is given twice")
        self._keys = {key.id: key for key in keys}
        self._newest = keys[0]

    @classmethod
    def from_entries(cls, entries: Sequence[str]) -> "Envelope":
        return cls([KeyEncryptionKey.parse(entry, number) for number, entry in enumerate(entries, start=1)])

    @classmethod
    def from_environment(cls) -> "Envelope":
        return cls.from_entries(keys_from_settings(SETTING, "envelope.key", _new_embedded_entry))

    @property
    def newest_key_id(self) -> str:
        return self._newest.id

    def __repr__(self) -> str:
        return f"Envelope(keys={list(self._keys)!r})"

    def seal(self, value: str | SensitiveText, record: RecordField) -> str:
        """The stored text of `value` kept at `record`."""
        if isinstance(value, SensitiveText):
            value = value.reveal()
        if not isinstance(value, str):
            raise EnvelopeError("only text is sealed")
        associated_data = record.associated_data()
        data_key = AESGCM.generate_key(bit_length=_KEY_BYTES * 8)
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, value.encode("utf-8"), associated_data)
        wrapped = aes_key_wrap(self._newest._key, data_key)
        return str(_Sealed(self._newest.id, wrapped, nonce, ciphertext))

    def open(self, token: str, record: RecordField) -> SensitiveText:
        """The value sealed in `token` for `record`; refuses another record's, an altered one, and
        one whose KEK is gone."""
        sealed = _Sealed.parse(token)
        associated_data = record.associated_data()
        data_key = self._unwrap(sealed)
        try:
            plaintext = AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, associated_data)
        except InvalidTag:  # it says nothing more, and is not chained on
            raise Unreadable(
                f"the sealed value does not open for {record.table}.{record.field}: "
                "it was altered or belongs to another record") from None
        try:
            return SensitiveText(plaintext.decode("utf-8"))
        except UnicodeDecodeError:
            raise Unreadable("the sealed value is not text") from None

    def rewrap(self, token: str) -> str:
        """The same value with its data key wrapped by the newest KEK; the ciphertext stays as it is.
        Answers `token` itself when it already uses the newest KEK."""
        sealed = _Sealed.parse(token)
        if sealed.key_id == self._newest.id:
            return token
        data_key = self._unwrap(sealed)
        return str(_Sealed(self._newest.id, aes_key_wrap(self._newest._key, data_key), sealed.nonce, sealed.ciphertext))

    def key_id(self, token: str) -> str:
        """The id of the KEK that wraps the value's data key."""
        return _Sealed.parse(token).key_id

    def is_current(self, token: str) -> bool:
        return self.key_id(token) == self._newest.id

    def _unwrap(self, sealed: _Sealed) -> bytes:
        kek = self._keys.get(sealed.key_id)
        if kek is None:
            raise UnknownKey(f"the sealed value's key {sealed.key_id!r} is not in {SETTING}")
        try:
            return aes_key_unwrap(kek._key, sealed.wrapped)
        except InvalidUnwrap:
            raise Unreadable(f"the sealed value's data key does not unwrap with key {sealed.key_id!r}: it was altered") from None


def _new_embedded_entry() -> str:
    return "embedded:" + base64.b64encode(os.urandom(_KEY_BYTES)).decode("ascii")


def new_key_entry(key_id: str) -> str:
    """A fresh `id:base64key` entry to put first in PORTICO_ENVELOPE_KEYS."""
    key = KeyEncryptionKey(key_id, os.urandom(_KEY_BYTES))
    return f"{key.id}:{base64.b64encode(key._key).decode('ascii')}"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str, *, canonical: bool = False) -> bytes:
    """Standard or URL-safe base64; `canonical`: only base64url without padding, exactly as
    `_b64encode` writes it (so no two texts hold the same sealed value)."""
    if not canonical:
        text = text.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if canonical and _b64encode(data) != text:
        raise ValueError("not base64url as written")
    return data


@lru_cache(maxsize=1)
def envelope() -> Envelope:
    """The process's envelope, from the settings."""
    return Envelope.from_environment()


def rewrap_column(connection, table: Table, column: str, keys: Envelope | None = None) -> int:
    """Rewraps every value of a column of sealed values with the newest KEK (after a new one was put
    first in PORTICO_ENVELOPE_KEYS); answers how many changed. Only the wrapped data keys change."""
    keys = keys or envelope()
    stored = table.c[column]
    key = next(iter(table.primary_key.columns))
    changed = 0
    for row_key, token in connection.execute(select(key, stored).where(stored.is_not(None))).all():
        rewrapped = keys.rewrap(token)
        if rewrapped != token:
            connection.execute(update(table).where(key == row_key).values({column: rewrapped}))
            changed += 1
    return changed
