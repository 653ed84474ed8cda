"""The gateway's own rules: what an access token says (GW-01) and an API key's rate limit (GW-03)."""
from __future__ import annotations

from datetime import timedelta

from gateway.domain.rate_limits import RateLimiter
from gateway.domain.tokens import FROM_OUTSIDE, claims_of_token


def test_GW_01_a_token_carries_identitys_claims_and_lives_its_ttl(clock):
    claims = claims_of_token({"sub": "u-1", "kind": "customer", "org": "o-1", "roles": ["member"], "amr": ["pwd"],
                              "sid": "s-1", "email": "not@passed.on"},
                             issuer="portico", audience="portico", now=clock.now(), ttl=timedelta(minutes=5))
    assert "email" not in claims
    assert claims["exp"] - claims["iat"] == 300 and claims["iat"] == int(clock.now().timestamp())
    assert (claims["sub"], claims["iss"], claims["aud"]) == ("u-1", "portico", "portico") and claims["jti"]


def test_GW_01_only_peoples_tokens_come_in_from_outside():
    assert FROM_OUTSIDE == {"customer", "staff"}


def test_GW_03_a_key_may_burst_to_its_limit_then_runs_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.take("k-1", 60) for _ in range(60)] == [0.0] * 60
    wait = limiter.take("k-1", 60)
    assert wait > 0 and RateLimiter.retry_after(wait) == 1
    now[0] += 1.0  # one call a second at 60 a minute
    assert limiter.take("k-1", 60) == 0.0
    assert limiter.take("k-2", 60) == 0.0  # each key has its own bucket
