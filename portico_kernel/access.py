"""Authorization by organization: every object belongs to one organization, and a customer reaches
only the objects of the organization their token is for."""
from __future__ import annotations

from datetime import datetime

from .principal import Principal
from .errors import Forbidden

# OR-09: how long a re-entered password vouches for a grave change (one access token's life)
RECENT_PASSWORD_SECONDS = 300


def active_org(caller: Principal) -> str:
    """The organization a customer's request acts in; refused when the token names none."""
    if caller.org_id is None:
        raise Forbidden("This token acts for no organization; sign in again once your organization exists.",
                        problem="no-organization")
    return caller.org_id


def ensure_recent_password(caller: Principal, now: datetime, max_age: int = RECENT_PASSWORD_SECONDS) -> None:
    """A grave change (removing a member, OR-09) needs the password re-entered moments ago: the
    token's `auth_time`, set by identity at `POST /v1/auth/password-check`. An API key has no password."""
    auth_time = caller.claims.get("auth_time")
    if caller.is_api_key or not isinstance(auth_time, int) or now.timestamp() - auth_time > max_age:
        raise Forbidden("Re-enter your password first (POST /v1/auth/password-check) and send the token it answers.",
                        problem="password-required")
