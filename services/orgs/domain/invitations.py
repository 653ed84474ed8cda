"""OR-03, ID-16: administrators and legal representatives invite people by email.

The link carries a token that works once, until it expires (the organization's link lifetime,
60 days unless changed) or is revoked; resending makes a new token and the old one stops working.
A person without an account signs up through the link (the gateway asks orgs to check it first,
and identity records the membership, so the first token acts for the inviting organization); a
person with an account accepts it while signed in. `UserInvited` carries what the mail needs; the
notifications service sends it.
"""
from __future__ import annotations

from datetime import datetime

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from portico_kernel.paging import ALL, Page, PageRequest
from portico_kernel.principal import Principal

from .events import MemberJoined, UserInvited, UserRegistered
from .model import (ACCEPTED, LEGAL_REPRESENTATIVE, PENDING, REVOKED, ROLES, Invitation, Member, Organization,
                    email_key, hash_link_token)
from . import access
from .contacts import checked_email
from .organizations import managing, undo_provisional_membership

MIN_LINK_DAYS, MAX_LINK_DAYS = 1, 365


def _announce(uow, org: Organization, invitation: Invitation, token: str) -> None:
    inviter = uow.people.get(invitation.invited_by)
    invitee = uow.people.by_email(invitation.email_key)
    uow.emit(UserInvited(
        invitation_id=invitation.id, org_id=org.id, organization_name=org.name, email=invitation.email,
        role=invitation.role, invited_by=invitation.invited_by,
        inviter_name=f"{inviter.first_name} {inviter.last_name}".strip() if inviter else org.name,
        inviter_language=inviter.language if inviter else "en",
        invitee_language=invitee.language if invitee else None,
        token=token, expires_at=iso_utc(invitation.expires_at)), org_id=org.id)


def invite(uow, caller: Principal, org_id: str, email: str, role: str, product_access: list[dict] | None = None) -> Invitation:
    """OR-03: by administrators and legal representatives, with a role and the product access the
    person gets on joining (checked now, as a grant would be); OR-04: only a legal representative
    invites a legal representative."""
    if role not in ROLES:
        raise Invalid(f"Unknown role: {role}.", invalid_params=[{"name": "role", "reason": "unknown role"}])
    org, me = managing(uow, caller, org_id)
    # OR-19: a customer organization a reseller created has no member yet; its reseller's key invites the first
    first_of_customer = me is None and not any(m.role == LEGAL_REPRESENTATIVE for m in uow.members.of_organization(org_id))
    if role == LEGAL_REPRESENTATIVE and not first_of_customer and (me is None or me.role != LEGAL_REPRESENTATIVE):
        raise Forbidden("Only a legal representative invites a legal representative.",
                        problem="legal-representative-only")
    email = checked_email(email)
    key = email_key(email)
    person = uow.people.by_email(key)
    if person is not None and uow.members.get(org_id, person.user_id) is not None:
        raise Conflict("This person is a member of the organization already.", problem="already-a-member")
    now = uow.clock.now()
    if any(i.state(now) == PENDING for i in uow.invitations.pending_for(org_id, key)):
        raise Conflict("This address has an open invitation already: resend or revoke it.", problem="already-invited")
    specs = []
    for spec in product_access or []:
        scope, product_type, product_id, rights = access.checked_scope(
            uow, org_id, spec["scope"], spec.get("product_type"), spec.get("product_id"), spec["rights"])
        specs.append({"scope": scope, "product_type": product_type, "product_id": product_id, "rights": rights})
    invitation, token = Invitation.issue(org_id, email, role, caller.user_id, now, org.link_days)
    invitation.product_access = specs
    uow.invitations.add(invitation)
    _announce(uow, org, invitation, token)
    uow.commit()
    return invitation


def invitations_of(uow, caller: Principal, org_id: str, page: PageRequest = ALL) -> Page[Invitation]:
    managing(uow, caller, org_id)
    return uow.invitations.of_organization(org_id, page)


def _open_invitation(uow, caller: Principal, org_id: str, invitation_id: str) -> tuple[Organization, Invitation]:
    org, _ = managing(uow, caller, org_id)
    invitation = uow.invitations.get(invitation_id)
    if invitation is None or invitation.org_id != org_id:
        raise NotFound("No such invitation.")
    return org, invitation


def revoke(uow, caller: Principal, org_id: str, invitation_id: str) -> Invitation:
    _, invitation = _open_invitation(uow, caller, org_id, invitation_id)
    if invitation.status == ACCEPTED:
        raise Conflict("This invitation was accepted already; remove the member instead.", problem="invitation-used")
    if invitation.status == PENDING:
        invitation.status, invitation.finished_at = REVOKED, uow.clock.now()
        uow.commit()
    return invitation


def resend(uow, caller: Principal, org_id: str, invitation_id: str) -> Invitation:
    """A new link with a new expiry; the previous link stops working."""
    org, invitation = _open_invitation(uow, caller, org_id, invitation_id)
    if invitation.status != PENDING:
        raise Conflict(f"This invitation was {invitation.status}; invite the person again instead.",
                       problem=f"invitation-{'used' if invitation.status == ACCEPTED else 'revoked'}")
    token = invitation.renew(uow.clock.now(), org.link_days)
    _announce(uow, org, invitation, token)
    uow.commit()
    return invitation


def usable(uow, token: str, email: str, now: datetime) -> Invitation:
    """The invitation of a link, if it can still be used by this email address; otherwise why not."""
    invitation = uow.invitations.by_token_hash(hash_link_token(token))
    if invitation is None:
        raise NotFound("This invitation link is not known (a newer one may have been sent).", problem="unknown-invitation")
    state = invitation.state(now)
    if state == ACCEPTED:
        raise Gone("This invitation link was used already.", problem="invitation-used")
    if state == REVOKED:
        raise Gone("This invitation was revoked.", problem="invitation-revoked")
    if state == "expired":
        raise Gone("This invitation link has expired; ask for a new one.", problem="invitation-expired")
    if invitation.email_key != email_key(email):
        raise Forbidden("This invitation is for another email address.", problem="invitation-for-another-email")
    return invitation


def _join(uow, invitation: Invitation, user_id: str, email: str, first_name: str, last_name: str) -> Member:
    member = Member(org_id=invitation.org_id, user_id=user_id, role=invitation.role, email=email,
                    first_name=first_name, last_name=last_name)
    uow.members.add(member)
    invitation.status, invitation.accepted_by, invitation.finished_at = ACCEPTED, user_id, uow.clock.now()
    uow.emit(MemberJoined(org_id=invitation.org_id, user_id=user_id, role=invitation.role), org_id=invitation.org_id)
    access.grant_on_joining(uow, invitation.org_id, user_id, invitation.product_access or [], invitation.invited_by)
    access.announce(uow, invitation.org_id, {user_id})
    return member


def accept(uow, caller: Principal, token: str) -> Member:
    """OR-03: a person with an account accepts while signed in, with the address the invitation is for."""
    if caller.is_api_key or caller.is_staff or caller.is_service:
        raise Forbidden("Only the invited person accepts an invitation.")
    person = uow.people.get(caller.user_id)
    if person is None:
        raise Forbidden("Your account is not known here yet; try again in a moment.")
    invitation = usable(uow, token, person.email, uow.clock.now())
    if uow.members.get(invitation.org_id, caller.user_id) is not None:
        raise Conflict("You are a member of this organization already.", problem="already-a-member")
    member = _join(uow, invitation, person.user_id, person.email, person.first_name, person.last_name)
    uow.commit()
    return member


def join_on_sign_up(uow, person: UserRegistered) -> None:
    """OR-03: the person signed up through the link (the gateway had orgs check it). Checked again
    here: revoked or expired meanwhile, the membership identity recorded is taken back."""
    invitation = uow.invitations.get(person.invitation_id)
    try:
        if invitation is None:
            raise NotFound("No such invitation.")
        now = uow.received.occurred_at if getattr(uow, "received", None) else uow.clock.now()
        if invitation.state(now) != PENDING or invitation.email_key != email_key(person.email):
            raise Gone("The invitation cannot be used any more.")
    except (NotFound, Gone):
        if invitation is not None:
            undo_provisional_membership(uow, invitation.org_id, person.user_id)
        return
    _join(uow, invitation, person.user_id, person.email, person.first_name, person.last_name)


def set_link_days(uow, caller: Principal, org_id: str, days: int) -> Organization:
    """ID-16: how long the organization's links (invitations) last; 60 days unless changed."""
    if not MIN_LINK_DAYS <= days <= MAX_LINK_DAYS:
        raise Invalid(f"Links last between {MIN_LINK_DAYS} and {MAX_LINK_DAYS} days.",
                      invalid_params=[{"name": "link_days", "reason": "out of range"}])
    org, _ = managing(uow, caller, org_id)
    if org.link_days != days:
        org.link_days = days
        uow.commit()
    return org
