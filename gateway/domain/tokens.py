"""Access tokens: short-lived EdDSA JWTs the services verify locally (GW-01). What a token says is
decided here; gateway/adapters/tokens.py signs it."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

CLAIMS_FROM_IDENTITY = ("sub", "kind", "org", "roles", "amr", "sid", "auth_time")
# Tokens a caller may bring through the door: people's. The gateway's internal tokens (kinds
# api_key and service) are for the services only and never come back in from outside.
FROM_OUTSIDE = frozenset({"customer", "staff"})


def claims_of_token(claims: dict, *, issuer: str, audience: str, now: datetime, ttl: timedelta) -> dict:
    """The claims of a token for `claims` (identity's, plus an API key's `scope`), living `ttl` from `now`."""
    payload = {name: claims[name] for name in CLAIMS_FROM_IDENTITY if name in claims}
    payload.update({k: v for k, v in claims.items() if k == "scope"})
    payload.update({
        "iss": issuer, "aud": audience, "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()), "jti": str(uuid.uuid4()),
    })
    return payload
