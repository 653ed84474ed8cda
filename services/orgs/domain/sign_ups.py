"""Someone signed up (ID-01, OR-03): a personal organization, or the inviting one.

Beside organizations.py and invitations.py rather than in either: it uses both.
"""
from __future__ import annotations

from .events import MemberJoined, OrganizationCreated, UserRegistered
from .invitations import join_on_sign_up
from .model import LEGAL_REPRESENTATIVE, Member, Organization, Person


def on_user_registered(person: UserRegistered, uow) -> None:
    """ID-01: someone who signs up on their own gets an organization in their name, as its legal
    representative, under the id identity gave it; OR-03: someone who signs up through an
    invitation joins the inviting organization instead."""
    known = uow.people.get(person.user_id)
    if known is None:  # anyone with an account can be made a member
        uow.people.add(Person(user_id=person.user_id, email=person.email, first_name=person.first_name,
                              last_name=person.last_name, language=person.language))
    if person.invitation_id:
        join_on_sign_up(uow, person)
        return
    if not person.self_signup:
        return
    org = Organization.personal(person.user_id, person.first_name, person.last_name, person.country,
                                org_id=person.personal_org_id)
    uow.organizations.add(org)
    uow.members.add(Member(org_id=org.id, user_id=person.user_id, role=LEGAL_REPRESENTATIVE,
                           email=person.email, first_name=person.first_name, last_name=person.last_name))
    uow.emit(OrganizationCreated(org_id=org.id, name=org.name, type=org.type, country=org.country,
                                 created_by=org.created_by, language=person.language), org_id=org.id)
    uow.emit(MemberJoined(org_id=org.id, user_id=person.user_id, role=LEGAL_REPRESENTATIVE), org_id=org.id)
