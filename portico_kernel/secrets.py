"""Secrets kept in a database (organizations' SMTP passwords, authenticator apps' TOTP seeds) are
encrypted with Fernet keys from PORTICO_SECRET_KEYS, newest first: MultiFernet encrypts with the first
and decrypts with any, so a key is rotated by putting a new one in front (and `rotate` re-encrypts
what is kept). A stolen database or backup holds no usable secret without the keys.

`EncryptedString` is the column type that does it in an adapter's table: the domain sees the
secret, the database only its ciphertext."""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import String, Table, select, update
from sqlalchemy.types import TypeDecorator

from .config import data_dir, env


class Keyring:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("PORTICO_SECRET_KEYS names no key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_environment(cls) -> "Keyring":
        return cls(keys_from_settings("PORTICO_SECRET_KEYS", "secret.key", lambda: Fernet.generate_key().decode()))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise RuntimeError("a stored secret cannot be decrypted with PORTICO_SECRET_KEYS") from error

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


def keys_from_settings(variable: str, file_name: str, make: Callable[[], str]) -> list[str]:
    """The keys in `variable` (separated by commas or spaces, newest first). Without any, in the
    embedded mode only, one key made once by `make` and kept in `file_name` under PORTICO_DATA_DIR
    (the envelope keys of portico_kernel/envelope.py come the same way)."""
    keys = [k.strip() for k in (env(variable) or "").replace(" ", ",").split(",") if k.strip()]
    if keys:
        return keys
    if not env("PORTICO_BROKER_URL", "filesystem://").startswith("filesystem"):
        raise RuntimeError(f"{variable} must be set outside the embedded mode")
    return [_embedded_key(file_name, make)]


def _embedded_key(file_name: str, make: Callable[[], str]) -> str:
    """On one machine without settings: a key made once and kept beside the embedded databases."""
    path = data_dir() / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as file:
            file.write(make())
    return path.read_text().strip()


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The process's keyring, from the settings."""
    return Keyring.from_environment()


class EncryptedString(TypeDecorator):
    """A text column stored encrypted (`length` is the ciphertext's: about 1.4 x the secret + 80)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, _Raw):
            return value
        return keyring().encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().decrypt(value)


def rotate_column(connection, table: Table, column: str) -> int:
    """Re-encrypts every value of an `EncryptedString` column with the first key (after a new key
    was put first in PORTICO_SECRET_KEYS); answers how many. Reads and writes the raw ciphertext."""
    raw = table.c[column]
    key = next(iter(table.primary_key.columns))
    rows = connection.execute(select(key, raw.cast(String)).where(raw.is_not(None))).all()
    for row_key, token in rows:
        connection.execute(update(table).where(key == row_key).values({column: _Raw(keyring().rotate(token))}))
    return len(rows)


class _Raw(str):
    """A ciphertext written as it is (not encrypted once more)."""
