"""The gateway's signing keys (GW-01): which one signs, which ones are published, how they rotate.

Rotation never signs anyone out: a new key is published in the JWKS before it signs anything (so
services have fetched it), and the old key stays published until every token it signed has expired.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHM = "EdDSA"


@dataclass(eq=False)
class SigningKey:
    kid: str
    private_pem: str
    public_jwk: dict
    created_at: datetime
    activates_at: datetime
    retires_at: datetime | None = None

    @classmethod
    def generate(cls, now: datetime, activates_at: datetime | None = None) -> "SigningKey":
        private = Ed25519PrivateKey.generate()
        kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private.public_key()))
        public.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
        return cls(kid=kid, private_pem=pem, public_jwk=public, created_at=now, activates_at=activates_at or now)

    @cached_property
    def private_key(self) -> Ed25519PrivateKey:
        """Parsed once per key loaded: parsing the PEM costs more than a signature."""
        return serialization.load_pem_private_key(self.private_pem.encode(), password=None)

    def published(self, now: datetime) -> bool:
        return self.retires_at is None or self.retires_at > now

    def signs(self, now: datetime) -> bool:
        return self.activates_at <= now and self.published(now)


class KeyRing:
    def __init__(self, keys: list[SigningKey]):
        self.keys = sorted(keys, key=lambda k: k.activates_at)

    def signing_key(self, now: datetime) -> SigningKey | None:
        candidates = [k for k in self.keys if k.signs(now)]
        return candidates[-1] if candidates else None

    def jwks(self, now: datetime) -> dict:
        return {"keys": [k.public_jwk for k in self.keys if k.published(now)]}

    def rotate(self, now: datetime, publish_ahead: timedelta, token_ttl: timedelta) -> SigningKey:
        """A new key that signs from `now + publish_ahead`; the current one retires once the tokens
        it signed until then have expired."""
        new = SigningKey.generate(now, activates_at=now + publish_ahead)
        current = self.signing_key(now)
        if current is not None:
            current.retires_at = new.activates_at + token_ttl + timedelta(seconds=30)
        self.keys.append(new)
        return new
