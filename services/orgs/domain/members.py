"""Who joins and leaves an organization.

Invitations (OR-03) are not built yet: until then the provider's platform administrators add a
person with an account to an organization in a role.
"""
from __future__ import annotations

from portico_kernel.principal import Principal
from portico_kernel.errors import Conflict, Forbidden, NotFound

from .events import MemberJoined, MemberLeft
from .model import LEGAL_REPRESENTATIVE, Member
from .organizations import membership_in

PLATFORM_ADMIN = "platform:admin"


def add_member(uow, caller: Principal, org_id: str, user_id: str, role: str) -> Member:
    if not (caller.is_staff and caller.has_role(PLATFORM_ADMIN)):
        raise Forbidden("Only the provider's platform administrators add members directly; invite them instead.")
    if uow.organizations.get(org_id) is None:
        raise NotFound("No such organization.")
    person = uow.people.get(user_id)
    if person is None:
        raise NotFound("No person with this user id.", problem="unknown-person")
    if uow.members.get(org_id, user_id) is not None:
        raise Conflict("This person is a member of the organization already.", problem="already-a-member")
    member = Member(org_id=org_id, user_id=user_id, role=role, email=person.email,
                    first_name=person.first_name, last_name=person.last_name)
    uow.members.add(member)
    uow.emit(MemberJoined(org_id=org_id, user_id=user_id, role=role), org_id=org_id)
    uow.commit()
    return member


def leave(uow, caller: Principal, org_id: str) -> None:
    """A member leaves an organization on their own (OR-10: an external user may leave rather than
    set up 2FA); an organization always keeps a legal representative (OR-09)."""
    _, member = membership_in(uow, org_id, caller, leaving=True)
    if member.role == LEGAL_REPRESENTATIVE:
        representatives = [m for m in uow.members.of_organization(org_id) if m.role == LEGAL_REPRESENTATIVE]
        if len(representatives) == 1:
            raise Conflict("You are the organization's last legal representative: make someone else legal "
                           "representative before you leave.", problem="last-legal-representative")
    uow.members.remove(member)
    uow.emit(MemberLeft(org_id=org_id, user_id=caller.user_id), org_id=org_id)
    uow.commit()
