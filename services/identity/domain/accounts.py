"""What a person does with their account: sign up (ID-01), keep a session alive, sign out (signing
in itself is in sign_ins.py).

These functions are the service layer: they work on a unit of work (`uow.users`, `uow.sessions`,
…) and know nothing about HTTP or SQL.
"""
from __future__ import annotations

from dataclasses import dataclass

from portico_kernel.errors import Conflict, Invalid, Unauthorized
from portico_kernel.clock import utcnow
from portico_kernel.errors import NotFound
from portico_kernel.roles import LEGAL_REPRESENTATIVE

from .emails import checked_email
from .events import StaffAccountCreated, UserRegistered
from .model import (
    PLATFORM_ROLES, STAFF, Membership, RefreshToken, SignInSession, User, email_key, hash_token, new_id,
    new_refresh_token,
)
from .passwords import PasswordHasher, check_password_rules
from .profile import checked_name

SIGN_IN_FAILED = "The email address or the password is wrong."


@dataclass(frozen=True)
class SignedIn:
    """What the gateway needs to issue tokens: the claims, and the refresh token shown once."""

    user: User
    session: SignInSession
    refresh_token: str
    claims: dict


@dataclass(frozen=True)
class Invitation:
    """OR-03: the invitation a person signs up through, as orgs checked it for the gateway."""

    invitation_id: str
    org_id: str
    role: str


def sign_up(uow, hasher: PasswordHasher, *, email: str, password: str, first_name: str, last_name: str,
            language: str = "en", country: str | None = None, invitation: Invitation | None = None) -> User:
    """ID-01: a person who signs up on their own gets an organization in their name (the orgs
    service creates it on UserRegistered); OR-03: one who signs up through an invitation joins the
    inviting organization only.

    Identity names the organization and records the membership right away, so that a sign-in right
    after sign-up already acts for it (OR-01); orgs' MemberJoined confirms it later."""
    email = checked_email(email)
    first_name, last_name = checked_name(first_name, "first_name"), checked_name(last_name, "last_name")
    check_password_rules(password)
    password_hash = hasher.hash(password)  # before the transaction: SQLite would be locked meanwhile
    key = email_key(email)
    if uow.users.by_email_key(key) is not None:
        raise Conflict("An account with this email address exists already.", problem="email-taken")
    user = User(id=new_id(), email=email, email_key=key, password_hash=password_hash,
                first_name=first_name, last_name=last_name, language=language,
                country=country.upper() if country else None)
    uow.users.add(user)
    if invitation is None:
        org_id, role = new_id(), LEGAL_REPRESENTATIVE
    else:
        org_id, role = invitation.org_id, invitation.role
    uow.memberships.add(Membership(user_id=user.id, org_id=org_id, role=role))
    uow.emit(UserRegistered(user_id=user.id, email=user.email, first_name=user.first_name,
                            last_name=user.last_name, language=user.language, country=user.country,
                            self_signup=True, personal_org_id=org_id if invitation is None else None,
                            invitation_id=invitation.invitation_id if invitation else None))
    uow.commit()
    return user


def create_staff_member(uow, hasher: PasswordHasher, *, email: str, password: str, first_name: str,
                        last_name: str, roles: list[str]) -> User:
    unknown = [role for role in roles if role not in PLATFORM_ROLES and not role.startswith("platform:support-agent:")]
    if unknown or not roles:
        raise Invalid(f"Unknown platform roles: {', '.join(unknown) or '(none given)'}; known: {', '.join(PLATFORM_ROLES)}")
    email = checked_email(email)
    first_name, last_name = checked_name(first_name, "first_name"), checked_name(last_name, "last_name")
    check_password_rules(password)
    key = email_key(email)
    if uow.users.by_email_key(key) is not None:
        raise Conflict("An account with this email address exists already.", problem="email-taken")
    user = User(id=new_id(), email=email, email_key=key, password_hash=hasher.hash(password),
                first_name=first_name, last_name=last_name, kind=STAFF, platform_roles=list(roles))
    uow.users.add(user)
    uow.emit(StaffAccountCreated(user_id=user.id, email=user.email, platform_roles=list(roles),
                                 first_name=user.first_name, language=user.language))
    uow.commit()
    return user


def claims_for(uow, user: User, session: SignInSession) -> dict:
    if user.is_staff:
        org, roles = None, list(user.platform_roles)
    else:
        # The session's organization, else the one the person chose last (OR-01), else the first.
        memberships = uow.memberships.of_user(user.id)
        chosen = (next((m for m in memberships if m.org_id == session.org_id), None)
                  or next((m for m in memberships if m.org_id == user.active_org_id), None)
                  or (memberships[0] if memberships else None))
        org, roles = (chosen.org_id, [chosen.role]) if chosen else (None, [])
        session.org_id = org
    return {"sub": user.id, "kind": user.kind, "org": org, "roles": roles, "amr": list(session.amr), "sid": session.id}


def _open_session(uow, user: User, amr: list[str], user_agent: str | None, ip_address: str | None) -> SignedIn:
    session = SignInSession(id=new_id(), user_id=user.id, amr=amr, org_id=None,
                            user_agent=(user_agent or "")[:300] or None, ip_address=ip_address)
    claims = claims_for(uow, user, session)  # before adding it: the session is stored with its organization
    uow.sessions.add(session)
    token, token_hash = new_refresh_token()
    uow.refresh_tokens.add(RefreshToken(token_hash=token_hash, session_id=session.id))
    uow.commit()
    return SignedIn(user=user, session=session, refresh_token=token, claims=claims)


def refresh(uow, *, refresh_token: str) -> SignedIn:
    """Refresh tokens rotate: each is good once. A spent token presented again means it was stolen
    (or the client misbehaves): the whole session ends."""
    stored = uow.refresh_tokens.get(hash_token(refresh_token))
    if stored is None:
        raise Unauthorized("This refresh token is not known.", problem="invalid-refresh-token")
    session = uow.sessions.get(stored.session_id)
    if session is None or not session.active:
        raise Unauthorized("This session has ended; sign in again.", problem="session-ended")
    if stored.spent_at is not None:
        session.end("refresh-token-reused")
        uow.commit()
        raise Unauthorized("This refresh token was used before; the session has been ended for safety.",
                           problem="refresh-token-reused")
    user = uow.users.get(session.user_id)
    if user is None or user.status != "active":
        session.end("account-closed")
        uow.commit()
        raise Unauthorized("This account cannot sign in.", problem="session-ended")
    stored.spent_at = utcnow()
    session.last_used_at = utcnow()
    token, token_hash = new_refresh_token()
    uow.refresh_tokens.add(RefreshToken(token_hash=token_hash, session_id=session.id))
    claims = claims_for(uow, user, session)
    uow.commit()
    return SignedIn(user=user, session=session, refresh_token=token, claims=claims)


def switch_organization(uow, *, session_id: str, user_id: str, org_id: str) -> dict:
    """OR-01: the session acts for another organization of the person from now on, and the next
    sign-in starts there too. Organizations the person is not a member of do not exist for them."""
    session = uow.sessions.get(session_id)
    user = uow.users.get(user_id)
    if session is None or not session.active or session.user_id != user_id or user is None:
        raise Unauthorized("This session has ended; sign in again.", problem="session-ended")
    if user.is_staff or uow.memberships.get(user_id, org_id) is None:
        raise NotFound("No such organization.")
    session.org_id = org_id
    user.active_org_id = org_id
    claims = claims_for(uow, user, session)
    uow.commit()
    return claims


def reauthenticate(uow, hasher: PasswordHasher, *, session_id: str, user_id: str, password: str) -> dict:
    """OR-09: the person re-enters their password for a grave change; the token the gateway signs
    from these claims says when (`auth_time`, only ever on such a token: a grave change asks for the
    password again even right after signing in), and the service that makes the change checks it is recent."""
    from .profile import confirmed_account  # profile builds on this module

    session = uow.sessions.get(session_id)
    if session is None or not session.active or session.user_id != user_id:
        raise Unauthorized("This session has ended; sign in again.", problem="session-ended")
    user = confirmed_account(uow, hasher, user_id, password)
    session = uow.sessions.get(session_id)
    claims = claims_for(uow, user, session)
    uow.commit()
    return {**claims, "auth_time": int(uow.clock.now().timestamp())}


def sign_out(uow, *, session_id: str, user_id: str) -> None:
    session = uow.sessions.get(session_id)
    if session is not None and session.user_id == user_id:
        session.end("signed-out")
        uow.commit()
