"""What happens to organizations: created for a person who signs up (ID-01, sign_ups.py), read by members
and by the API keys that act for them (OR-19), closed to members without 2FA once the
organization requires it (OR-10), whichever organization their token acts for."""
from __future__ import annotations

from portico_kernel import two_factor
from portico_kernel.principal import Principal
from portico_kernel.errors import Forbidden, NotFound
from portico_kernel.paging import ALL, Page, PageRequest
from portico_kernel.roles import MANAGING_ROLES

from .events import LoginEmailChanged, MemberLeft, PersonRenamed, TwoFactorStatusChanged
from .model import Member, Organization, TwoFactorStatus


def on_login_email_changed(change: LoginEmailChanged, uow) -> None:
    """ID-07: the person's verified new address replaces the copies orgs keeps (member lists, people)."""
    user_id, new_email = change.user_id, change.new_email
    person = uow.people.get(user_id)
    if person is not None:
        person.email = new_email
    for _, member in uow.organizations.of_member(user_id):
        member.email = new_email


def on_person_renamed(renamed: PersonRenamed, uow) -> None:
    """ID-05: the person's new name replaces the copies orgs keeps (member lists, people)."""
    user_id, first_name, last_name = renamed.user_id, renamed.first_name, renamed.last_name
    person = uow.people.get(user_id)
    if person is not None:
        person.first_name, person.last_name = first_name, last_name
    for _, member in uow.organizations.of_member(user_id):
        member.first_name, member.last_name = first_name, last_name


def on_two_factor_status_changed(changed: TwoFactorStatusChanged, uow) -> None:
    """OR-10: who has set up 2FA, so that an organization's requirement lets them in (the latest
    change wins, by when it happened)."""
    user_id, enabled, at = changed.user_id, changed.enabled, uow.received.occurred_at
    status = uow.two_factor.get(user_id)
    if status is None:
        uow.two_factor.add(TwoFactorStatus(user_id=user_id, enabled=enabled, changed_at=at))
    else:
        status.update(enabled, at)


def organizations_of(uow, caller: Principal, page: PageRequest = ALL) -> Page[tuple[Organization, str | None]]:
    """A person's organizations with their role in each, but those whose 2FA requirement they do
    not meet (OR-10; GET /v1/me names every membership); for an API key, the one organization it
    acts for (OR-19), without a role."""
    if caller.is_api_key:
        org = uow.organizations.get(caller.org_id) if caller.org_id else None
        return Page([(org, None)] if org else [])
    return uow.organizations.listed_for(caller.user_id, page).keep(
        lambda org: not two_factor.blocks(caller.claims, required=org.two_factor_required,
                                          has_two_factor=uow.two_factor.enabled)).map(lambda org: (org, org.my_role))


def visible_to(uow, caller: Principal, org_id: str) -> tuple[Organization, Member | None]:
    """Members see their organization, an API key the organization it acts for (the gateway put it
    in the token after checking the key's reseller links); to anyone else it does not exist."""
    if caller.is_api_key:
        org = uow.organizations.get(org_id) if caller.org_id == org_id else None
        if org is None:
            raise NotFound("No such organization.")
        return org, None
    return membership_in(uow, org_id, caller)


def membership_in(uow, org_id: str, caller: Principal, *, leaving: bool = False) -> tuple[Organization, Member]:
    """Members see their organization; to anyone else it does not exist. A member without 2FA is
    refused once it requires 2FA (OR-10), whichever organization their token acts for; an external
    user may still leave."""
    member = uow.members.get(org_id, caller.user_id) if not caller.is_api_key else None
    org = uow.organizations.get(org_id) if member else None
    if org is None:
        raise NotFound("No such organization.")
    if member.blocked and not leaving:
        raise Forbidden("You are blocked in this organization; its administrators can unblock you.",
                        problem="member-blocked")
    two_factor.ensure_met(caller.claims, required=org.two_factor_required, has_two_factor=uow.two_factor.enabled,
                          exempt=leaving and two_factor.may_leave_instead(member.role))
    return org, member


def acting_in(uow, caller: Principal, org_id: str, *, roles: tuple[str, ...] = ()) -> tuple[Organization, Member | None]:
    """Who may change something in an organization: a member in one of `roles` (any member when
    none are named), or an API key acting for it (the gateway checked the key's reseller links,
    the kernel its scope, OR-19). Another organization does not exist for the caller."""
    if caller.is_api_key:
        return visible_to(uow, caller, org_id)
    org, member = membership_in(uow, org_id, caller)
    if roles and member.role not in roles:
        raise Forbidden("Only " + " and ".join(r.replace("_", " ") + "s" for r in roles) + " may do this.")
    return org, member


def managing(uow, caller: Principal, org_id: str) -> tuple[Organization, Member | None]:
    """OR-05, OR-03, OR-10, OR-13: administrators and legal representatives run the organization."""
    return acting_in(uow, caller, org_id, roles=MANAGING_ROLES)


def undo_provisional_membership(uow, org_id: str, user_id: str) -> None:
    """Identity recorded a membership at sign-up that orgs could not honour: it drops it again."""
    uow.emit(MemberLeft(org_id=org_id, user_id=user_id), org_id=org_id)
