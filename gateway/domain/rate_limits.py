"""Rate limits per API key (GW-03): a token bucket per key that holds up to a minute's allowance
and refills continuously, so a key may burst up to its limit and then runs at its rate.

Buckets live in each gateway worker's memory: with N workers behind a load balancer a key gets up
to N times its limit in total. That keeps the check free of any shared store on the hot path.
"""
from __future__ import annotations

import math
import time


class RateLimiter:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str, per_minute: int) -> float:
        """0 when the call may go ahead; otherwise the seconds until it may."""
        now = self.clock()
        rate = per_minute / 60.0
        tokens, at = self._buckets.get(key, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - at) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate

    @staticmethod
    def retry_after(wait: float) -> int:
        return max(1, math.ceil(wait))
