"""Keeps identity's copy of who belongs to which organization, from the orgs service's events.

The copy decides the `org` and `roles` claims of a person's tokens."""
from __future__ import annotations

from . import oauth
from .events import (MemberBlocked, MemberJoined, MemberLeft, MemberRoleChanged, OrganizationCreated,
                     OrganizationDetailsChanged)
from .model import KnownOrganization, Membership


def on_member_joined(joined: MemberJoined, uow) -> None:
    existing = uow.memberships.get(joined.user_id, joined.org_id)
    if existing is None:
        uow.memberships.add(Membership(user_id=joined.user_id, org_id=joined.org_id, role=joined.role))
    else:
        existing.role = joined.role


def on_member_left(left: MemberLeft, uow) -> None:
    """Left, removed, or leaving with their account closed: the grants to that organization end (ID-13)."""
    existing = uow.memberships.get(left.user_id, left.org_id)
    if existing is not None:
        uow.memberships.remove(existing)
    oauth.end_grants_of(uow, left.user_id, left.org_id, "left the organization")


def on_member_blocked(blocked: MemberBlocked, uow) -> None:
    """OR-13, ID-13: a blocked member's grants to the organization end (unblocking does not revive them)."""
    oauth.end_grants_of(uow, blocked.user_id, blocked.org_id, "blocked in the organization")


def _name(uow, org_id: str, name: str) -> None:
    at = uow.received.occurred_at if getattr(uow, "received", None) is not None else None
    known = uow.organizations.get(org_id)
    if known is None:
        uow.organizations.add(KnownOrganization(org_id=org_id, name=name, changed_at=at or _now(uow)))
    elif at is None or known.changed_at is None or known.changed_at <= at:  # a late redelivery changes nothing
        known.name, known.changed_at = name, at or _now(uow)


def _now(uow):
    return uow.clock.now()


def on_organization_created(created: OrganizationCreated, uow) -> None:
    _name(uow, created.org_id, created.name)


def on_organization_details_changed(changed: OrganizationDetailsChanged, uow) -> None:
    _name(uow, changed.org_id, changed.name)


def on_member_role_changed(changed: MemberRoleChanged, uow) -> None:
    """OR-04, OR-05: the member's next tokens carry the new role."""
    existing = uow.memberships.get(changed.user_id, changed.org_id)
    if existing is not None:
        existing.role = changed.role
