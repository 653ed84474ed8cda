"""How identity's resources look on the wire (the schemas in contracts/identity.yaml)."""
from __future__ import annotations

from portico_kernel.clock import iso_utc

from ..domain.accounts import SignedIn
from ..domain.model import User


def iso(moment) -> str | None:
    return iso_utc(moment) if moment else None


def user_view(user: User, memberships=()) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "kind": user.kind,
        "language": user.language,
        "country": user.country,
        "time_zone": user.time_zone,
        "platform_roles": list(user.platform_roles),
        "created_at": iso(user.created_at),
        "organizations": [{"org_id": m.org_id, "role": m.role} for m in memberships],
    }


def signed_in_view(result: SignedIn) -> dict:
    return {
        "user": user_view(result.user),
        "session_id": result.session.id,
        "refresh_token": result.refresh_token,
        "claims": result.claims,
    }
