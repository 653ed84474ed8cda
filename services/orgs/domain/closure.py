"""ID-11: a person closes their account; orgs forgets them and confirms to identity."""
from __future__ import annotations

from .events import AccountClosureRequested, MemberLeft, PersonalDataErased

# A personal organization (ID-01) is named after its person; once they are forgotten it is not.
CLOSED_PERSONAL_ORGANIZATION = "Closed account"


def on_account_closure_requested(closing: AccountClosureRequested, uow) -> None:
    """The person leaves every organization (identity refused the closure while they were the
    last legal representative of one with other members); their membership rows, their entry
    among the people who can be added (which copies name and email) and whether they have 2FA
    go; a personal organization left without members loses the person's name."""
    user_id = closing.user_id
    for org, member in uow.organizations.of_member(user_id):
        others = [m for m in uow.members.of_organization(org.id) if m.user_id != user_id]
        uow.members.remove(member)
        uow.emit(MemberLeft(org_id=org.id, user_id=user_id), org_id=org.id)
        if not others and org.type == "private":
            org.name = CLOSED_PERSONAL_ORGANIZATION
    person = uow.people.get(user_id)
    if person is not None:
        uow.people.remove(person)
    two_factor = uow.two_factor.get(user_id)
    if two_factor is not None:
        uow.two_factor.remove(two_factor)
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=user_id, service="orgs"))
