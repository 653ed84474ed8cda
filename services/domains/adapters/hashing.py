"""How domains keeps secrets it must recognise but never show again (DO-01): transfer auth codes as
argon2id hashes, confirmation tokens (256 random bits) as SHA-256 digests to look them up by."""
from __future__ import annotations

import hashlib

import argon2

# RFC 9106's low-memory profile, as identity hashes passwords
_HASHER = argon2.PasswordHasher.from_parameters(argon2.profiles.RFC_9106_LOW_MEMORY)


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(stored: str, secret: str) -> bool:
    try:
        return _HASHER.verify(stored, secret)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
