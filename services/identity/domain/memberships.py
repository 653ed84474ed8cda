"""Keeps identity's copy of who belongs to which organization, from the orgs service's events.

The copy decides the `org` and `roles` claims of a person's tokens."""
from __future__ import annotations

from .events import MemberJoined, MemberLeft, MemberRoleChanged
from .model import Membership


def on_member_joined(joined: MemberJoined, uow) -> None:
    existing = uow.memberships.get(joined.user_id, joined.org_id)
    if existing is None:
        uow.memberships.add(Membership(user_id=joined.user_id, org_id=joined.org_id, role=joined.role))
    else:
        existing.role = joined.role


def on_member_left(left: MemberLeft, uow) -> None:
    existing = uow.memberships.get(left.user_id, left.org_id)
    if existing is not None:
        uow.memberships.remove(existing)


def on_member_role_changed(changed: MemberRoleChanged, uow) -> None:
    """OR-04, OR-05: the member's next tokens carry the new role."""
    existing = uow.memberships.get(changed.user_id, changed.org_id)
    if existing is not None:
        existing.role = changed.role
