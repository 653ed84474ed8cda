"""Access tokens: short-lived EdDSA JWTs the services verify locally (GW-01). What a token says is
decided here; gateway/adapters/tokens.py signs it."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

CLAIMS_FROM_IDENTITY = ("sub", "kind", "org", "roles", "amr", "sid", "auth_time")
# An application's token (ID-13) also names the client, the grant and the token family, so the
# gateway can refuse it at once when any of them is revoked.
DELEGATION_CLAIMS = ("scope", "client_id", "gid", "fid")
# Tokens a caller may bring through the door: people's. The gateway's internal tokens (kinds
# api_key and service) are for the services only and never come back in from outside.
FROM_OUTSIDE = frozenset({"customer", "staff"})


def claims_of_token(claims: dict, *, issuer: str, audience: str, now: datetime, ttl: timedelta) -> dict:
    """The claims of a token for `claims` (identity's, plus an API key's `scope`), living `ttl` from `now`."""
    payload = {name: claims[name] for name in CLAIMS_FROM_IDENTITY if name in claims}
    payload.update({k: v for k, v in claims.items() if k in DELEGATION_CLAIMS and v is not None})
    payload.update({
        "iss": issuer, "aud": audience, "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()), "jti": str(uuid.uuid4()),
    })
    return payload


def revoked(claims: dict, revoked_ids: frozenset[str]) -> bool:
    """An application's token whose grant or family was revoked (ID-13)."""
    return bool(revoked_ids) and (claims.get("gid") in revoked_ids or claims.get("fid") in revoked_ids)


def id_token_claims(claims: dict, *, issuer: str, now: datetime, ttl: timedelta) -> dict:
    """An OpenID Connect ID token: identity's claims (sub, aud = the client, nonce, …) with ours."""
    return {**claims, "iss": issuer, "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp()),
            "jti": str(uuid.uuid4())}


# ID-13: when a person's applications lost their ground in an organization (the person left or was
# removed, was blocked there, or closed the account: EVERY_ORGANIZATION), from the orgs' and
# identity's events. (org, user) -> (still ended, when it last ended, as a timestamp).
EVERY_ORGANIZATION = "*"


def ground_ended(claims: dict, endings: dict) -> bool:
    """An application's token for a person is refused while the person is out of the organization
    of the token, and for good when it was issued before the person last left, was blocked there or
    closed their account (identity revoked those grants; this refuses their tokens at once)."""
    if not endings or not claims.get("client_id") or claims.get("kind") not in FROM_OUTSIDE:
        return False
    issued = claims.get("iat") or 0
    for org in (claims.get("org"), EVERY_ORGANIZATION):
        ending = endings.get((org, claims.get("sub")))
        if ending is not None and (ending[0] or issued <= ending[1]):
            return True
    return False
