"""What happens to organizations: created for a person who signs up (ID-01), read by members."""
from __future__ import annotations

from portico_kernel.errors import NotFound
from portico_kernel.events import Envelope

from .events import MemberJoined, OrganizationCreated
from .model import LEGAL_REPRESENTATIVE, Member, Organization


def on_user_registered(event: Envelope, uow) -> None:
    """ID-01: someone who signs up on their own gets an organization in their name, as its legal representative."""
    person = event.payload
    if not person["self_signup"]:
        return
    org = Organization.personal(person["user_id"], person["first_name"], person["last_name"], person["country"])
    uow.organizations.add(org)
    uow.members.add(Member(org_id=org.id, user_id=person["user_id"], role=LEGAL_REPRESENTATIVE,
                           email=person["email"], first_name=person["first_name"], last_name=person["last_name"]))
    uow.emit(OrganizationCreated(org_id=org.id, name=org.name, type=org.type, country=org.country,
                                 created_by=org.created_by), org_id=org.id)
    uow.emit(MemberJoined(org_id=org.id, user_id=person["user_id"], role=LEGAL_REPRESENTATIVE), org_id=org.id)


def organizations_of(uow, user_id: str) -> list[tuple[Organization, Member]]:
    return uow.organizations.of_member(user_id)


def membership_in(uow, org_id: str, user_id: str) -> tuple[Organization, Member]:
    """Members see their organization; to anyone else it does not exist."""
    member = uow.members.get(org_id, user_id)
    org = uow.organizations.get(org_id) if member else None
    if org is None:
        raise NotFound("No such organization.")
    return org, member


HANDLERS = {"UserRegistered": on_user_registered}
