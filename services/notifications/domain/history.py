"""ID-14: every email sent to a person can be listed and read by that person, paged and filtered by
period and kind; an organization's legal representatives and administrators see the
organization's emails; the provider's support sees a person's emails to help them."""
from __future__ import annotations

from dataclasses import dataclass

from portico_kernel.access import active_org
from portico_kernel.errors import Forbidden, Invalid, NotFound
from portico_kernel.paging import EVER, Page, PageRequest, Period
from portico_kernel.principal import Principal

from . import people
from .catalogue import KINDS
from .model import Email

# Staff who may see a person's emails: administrators and support agents of any department.
SUPPORT_ROLES = ("platform:admin", "platform:support-agent")


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    period: Period = EVER


def filters(kind: str | None, period: Period = EVER) -> Filters:
    if kind is not None and kind not in KINDS:
        raise Invalid("kind: unknown kind of email", invalid_params=[{"name": "kind", "reason": f"one of {', '.join(KINDS)}"}])
    return Filters(kind, period)


def is_support(caller: Principal) -> bool:
    return caller.is_staff and any(role in SUPPORT_ROLES or role.startswith("platform:support-agent:")
                                   for role in caller.roles)


def administered_org(uow, caller: Principal) -> str:
    """The caller's active organization, if they are its legal representative or an administrator."""
    org_id = active_org(caller)
    if people.role_in(uow, org_id, caller.user_id) not in people.ADMINISTRATORS:
        raise Forbidden("Only the organization's legal representatives and administrators do this.",
                        problem="not-an-administrator")
    return org_id


def own_emails(uow, caller: Principal, wanted: Filters, page: PageRequest) -> Page[Email]:
    return uow.emails.find(page, user_id=caller.user_id, kind=wanted.kind, period=wanted.period)


def org_emails(uow, caller: Principal, wanted: Filters, page: PageRequest) -> Page[Email]:
    org_id = administered_org(uow, caller)
    return uow.emails.find(page, org_id=org_id, kind=wanted.kind, period=wanted.period)


def emails_of_person(uow, caller: Principal, user_id: str, wanted: Filters, page: PageRequest) -> Page[Email]:
    if not is_support(caller):
        raise Forbidden("Only the provider's administrators and support agents see a person's emails.")
    found = uow.emails.find(page, user_id=user_id, kind=wanted.kind, period=wanted.period)
    if not found.items and page.after is None and uow.people.get(user_id) is None:
        raise NotFound("No such person.")
    return found


def email(uow, caller: Principal, email_id: str) -> Email:
    """One email, to the person it was sent to, the administrators of its organization, or support;
    anyone else learns nothing of it (404)."""
    found = uow.emails.get(email_id)
    if found is None:
        raise NotFound("No such email.")
    if found.user_id is not None and found.user_id == caller.user_id and not caller.is_staff:
        return found
    if is_support(caller):
        return found
    if (found.org_id is not None and caller.org_id == found.org_id
            and people.role_in(uow, found.org_id, caller.user_id) in people.ADMINISTRATORS):
        return found
    raise NotFound("No such email.")
