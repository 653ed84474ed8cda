"""Signing access tokens (GW-01) with the gateway's current key."""
from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from ..domain.tokens import claims_of_token, id_token_claims
from .keys import ALGORITHM, SigningKey


def issue(key: SigningKey, claims: dict, *, issuer: str, audience: str, now: datetime, ttl: timedelta) -> str:
    payload = claims_of_token(claims, issuer=issuer, audience=audience, now=now, ttl=ttl)
    return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def issue_id_token(key: SigningKey, claims: dict, *, issuer: str, now: datetime, ttl: timedelta) -> str:
    """Its audience is the client, so no service accepts it as an access token."""
    payload = id_token_claims(claims, issuer=issuer, now=now, ttl=ttl)
    return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
