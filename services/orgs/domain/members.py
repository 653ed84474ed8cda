"""Who is in an organization, in which role, and who is blocked (OR-02, OR-04, OR-05, OR-13).

People join by invitation (invitations.py); the provider's platform administrators can also add
a person with an account directly.
"""
from __future__ import annotations

from portico_kernel.access import ensure_recent_password
from portico_kernel.principal import Principal
from portico_kernel.errors import Conflict, Forbidden, Invalid, NotFound

from .events import SecurityWarningRequested, MemberBlocked, MemberJoined, MemberLeft, MemberRemoved, MemberRoleChanged, MemberUnblocked
from .model import LEGAL_REPRESENTATIVE, ROLES, Member
from . import access
from .organizations import managing, membership_in

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
    access.announce(uow, org_id, {user_id})
    uow.commit()
    return member


def leave(uow, caller: Principal, org_id: str) -> None:
    """A member leaves an organization on their own (OR-10: an external user may leave rather than
    set up 2FA); an organization always keeps a legal representative (OR-09)."""
    _, member = membership_in(uow, org_id, caller, leaving=True)
    if member.role == LEGAL_REPRESENTATIVE and _last_legal_representative(uow, member):
        raise Conflict("You are the organization's last legal representative: make someone else legal "
                       "representative before you leave.", problem="last-legal-representative")
    uow.members.remove(member)
    uow.emit(MemberLeft(org_id=org_id, user_id=caller.user_id), org_id=org_id)
    access.forget_member(uow, org_id, caller.user_id)
    uow.commit()


def _last_legal_representative(uow, member: Member) -> bool:
    """An organization always keeps a legal representative who can act (OR-09): a blocked one does not count."""
    others = [m for m in uow.members.of_organization(member.org_id)
              if m.role == LEGAL_REPRESENTATIVE and m.user_id != member.user_id and not m.blocked]
    return not others


def _member(uow, org_id: str, user_id: str) -> Member:
    member = uow.members.get(org_id, user_id)
    if member is None:
        raise NotFound("This person is not a member of the organization.", problem="unknown-member")
    return member


def _as_legal_representative_for(caller_member: Member | None, target: Member, what: str) -> None:
    """OR-04: only a legal representative makes, unmakes or blocks a legal representative (an API
    key is nobody's legal representative)."""
    if caller_member is None or caller_member.role != LEGAL_REPRESENTATIVE:
        raise Forbidden(f"Only a legal representative {what} a legal representative.", problem="legal-representative-only")


def change_role(uow, caller: Principal, org_id: str, user_id: str, role: str) -> Member:
    """OR-05: administrators and legal representatives change other members' roles; OR-04: only a
    legal representative makes someone (or stops someone being) a legal representative; the last
    one stays."""
    if role not in ROLES:
        raise Invalid(f"Unknown role: {role}.", invalid_params=[{"name": "role", "reason": "unknown role"}])
    _, me = managing(uow, caller, org_id)
    target = _member(uow, org_id, user_id)
    if target.role == role:
        return target
    if LEGAL_REPRESENTATIVE in (role, target.role):
        _as_legal_representative_for(me, target, "makes or unmakes")
    if target.role == LEGAL_REPRESENTATIVE and _last_legal_representative(uow, target):
        raise Conflict("This is the organization's last legal representative: make someone else legal "
                       "representative first.", problem="last-legal-representative")
    previous, target.role = target.role, role
    uow.emit(MemberRoleChanged(org_id=org_id, user_id=user_id, role=role, previous_role=previous,
                               changed_by=caller.user_id), org_id=org_id)
    access.announce(uow, org_id, {user_id})
    uow.commit()
    return target


def block(uow, caller: Principal, org_id: str, user_id: str) -> Member:
    """OR-13: after a security incident a member is blocked without being removed: they reach
    nothing of the organization (the gateway refuses their calls for it) until unblocked."""
    _, me = managing(uow, caller, org_id)
    target = _member(uow, org_id, user_id)
    if me is not None and target.user_id == me.user_id:
        raise Conflict("You cannot block yourself.", problem="cannot-block-yourself")
    if target.role == LEGAL_REPRESENTATIVE:
        _as_legal_representative_for(me, target, "blocks")
        if _last_legal_representative(uow, target):
            raise Conflict("This is the organization's last legal representative who can act.",
                           problem="last-legal-representative")
    if not target.blocked:
        target.blocked_at, target.blocked_by = uow.clock.now(), caller.user_id
        uow.emit(MemberBlocked(org_id=org_id, user_id=user_id, blocked_by=caller.user_id), org_id=org_id)
        access.announce(uow, org_id, {user_id})
        uow.commit()
    return target


def unblock(uow, caller: Principal, org_id: str, user_id: str) -> Member:
    _, me = managing(uow, caller, org_id)
    target = _member(uow, org_id, user_id)
    if target.blocked:
        target.blocked_at = target.blocked_by = None
        uow.emit(MemberUnblocked(org_id=org_id, user_id=user_id, unblocked_by=caller.user_id), org_id=org_id)
        access.announce(uow, org_id, {user_id})
        uow.commit()
    return target


TRANSFER, DELETE = "transfer", "delete"


def remove(uow, caller: Principal, org_id: str, user_id: str, *, confirmed: bool, product_data: str,
           transfer_to: str | None = None) -> None:
    """OR-09: an administrator or legal representative removes a member, with the password just
    re-entered (checked by identity, vouched for by the token's `auth_time`) and an explicit
    confirmation, deciding in the same step what happens to the member's product data: transferred
    to a named member, or deleted. The decision is announced (`MemberRemoved`) for the services that
    hold the products."""
    _, me = managing(uow, caller, org_id)
    if confirmed is not True:
        raise Invalid("Confirm the removal explicitly.", invalid_params=[{"name": "confirm", "reason": "must be true"}])
    ensure_recent_password(caller, uow.clock.now())
    target = _member(uow, org_id, user_id)
    if me is not None and target.user_id == me.user_id:
        raise Conflict("Leave the organization instead of removing yourself.", problem="cannot-remove-yourself")
    if target.role == LEGAL_REPRESENTATIVE:
        _as_legal_representative_for(me, target, "removes")
        if _last_legal_representative(uow, target):
            raise Conflict("This is the organization's last legal representative.", problem="last-legal-representative")
    if product_data == TRANSFER:
        heir = uow.members.get(org_id, transfer_to) if transfer_to else None
        if heir is None or heir.user_id == user_id:
            raise Invalid("Name the member who takes over the product data.",
                          invalid_params=[{"name": "transfer_to", "reason": "not another member of the organization"}])
    elif product_data == DELETE:
        transfer_to = None
    else:
        raise Invalid("Say what happens to the member's product data: transfer or delete.",
                      invalid_params=[{"name": "product_data", "reason": "transfer or delete"}])
    uow.members.remove(target)
    uow.emit(MemberRemoved(org_id=org_id, user_id=user_id, removed_by=caller.user_id, product_data=product_data,
                           transfer_to=transfer_to), org_id=org_id)
    uow.emit(MemberLeft(org_id=org_id, user_id=user_id), org_id=org_id)
    access.forget_member(uow, org_id, user_id)
    uow.commit()


def warn_about_two_factor(uow, caller: Principal, org_id: str, user_id: str) -> Member:
    """OR-11: an administrator or legal representative sends a member without 2FA a security
    warning by email (the notifications service sends it, in the member's language)."""
    org, _ = managing(uow, caller, org_id)
    target = _member(uow, org_id, user_id)
    if uow.two_factor.enabled(user_id):
        raise Conflict("This member has set up two-factor authentication already.", problem="two-factor-enabled")
    person = uow.people.get(user_id)
    requester = uow.people.get(caller.user_id)
    uow.emit(SecurityWarningRequested(
        org_id=org_id, organization_name=org.name, user_id=user_id, email=target.email,
        language=person.language if person else "en", reason="two-factor-missing", requested_by=caller.user_id,
        requester_name=f"{requester.first_name} {requester.last_name}".strip() if requester else org.name), org_id=org_id)
    uow.commit()
    return target
