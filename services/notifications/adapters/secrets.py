"""Secrets kept in the database (organizations' SMTP passwords) are encrypted with Fernet keys from
PORTICO_SECRET_KEYS, newest first: MultiFernet encrypts with the first and decrypts with any, so a
key is rotated by putting a new one in front (and `rotate` re-encrypts what is kept)."""
from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portico_kernel.config import data_dir, env


class Keyring:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("PORTICO_SECRET_KEYS names no key")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_environment(cls) -> "Keyring":
        keys = [k.strip() for k in (env("PORTICO_SECRET_KEYS") or "").replace(" ", ",").split(",") if k.strip()]
        if keys:
            return cls(keys)
        if not env("PORTICO_BROKER_URL", "filesystem://").startswith("filesystem"):
            raise RuntimeError("PORTICO_SECRET_KEYS must be set outside the embedded mode")
        return cls([_embedded_key()])

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as error:
            raise RuntimeError("a stored secret cannot be decrypted with PORTICO_SECRET_KEYS") from error

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


def _embedded_key() -> str:
    """On one machine without settings: a key made once and kept beside the embedded databases."""
    path = data_dir() / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as file:
            file.write(Fernet.generate_key().decode())
    return path.read_text().strip()
