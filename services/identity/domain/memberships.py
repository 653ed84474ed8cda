"""Keeps identity's copy of who belongs to which organization, from the orgs service's events.

The copy decides the `org` and `roles` claims of a person's tokens."""
from __future__ import annotations

from portico_kernel.events import Envelope

from .model import Membership


def on_member_joined(event: Envelope, uow) -> None:
    payload = event.payload
    existing = uow.memberships.get(payload["user_id"], payload["org_id"])
    if existing is None:
        uow.memberships.add(Membership(user_id=payload["user_id"], org_id=payload["org_id"], role=payload["role"]))
    else:
        existing.role = payload["role"]


def on_member_left(event: Envelope, uow) -> None:
    existing = uow.memberships.get(event.payload["user_id"], event.payload["org_id"])
    if existing is not None:
        uow.session.delete(existing)


HANDLERS = {"MemberJoined": on_member_joined, "MemberLeft": on_member_left}
