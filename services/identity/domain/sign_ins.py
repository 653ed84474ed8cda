"""Signing in: the password step, the second factor when the person has 2FA (ID-09), app
passwords (ID-10), with throttling and the security alerts of ID-02 and ID-03."""
from __future__ import annotations

from dataclasses import dataclass

from portico_kernel.errors import Unauthorized
from portico_kernel.events import utcnow

from . import security, two_factor
from .accounts import SIGN_IN_FAILED, SignedIn, _open_session
from .model import User, email_key
from .passwords import PasswordHasher


@dataclass(frozen=True)
class SecondFactorDue:
    """The password was right; the person now proves a second factor with this challenge."""

    challenge: str
    methods: list[str]
    expires_in: int
    webauthn_options: dict | None = None


def _failed(uow, key: str, ip_address: str | None) -> Unauthorized:
    security.record_failure(uow, key, ip_address)
    uow.commit()
    return Unauthorized(SIGN_IN_FAILED, problem="sign-in-failed")


def _check_throttle(uow, user: User | None, key: str, ip_address: str | None, credential_ok) -> None:
    """Past the bound, sign-ins are refused for a while (429 with Retry-After) — except a right
    password from a network where this account signed in before: a guesser elsewhere cannot lock
    the owner out."""
    wait = security.throttle_wait(uow, key, ip_address, utcnow())
    if not wait:
        return
    if user is not None and security.is_known_network(uow, user.id, ip_address) and credential_ok():
        return
    security.record_failure(uow, key, ip_address)
    uow.commit()
    raise security.too_many(wait)


def sign_in(uow, hasher: PasswordHasher, site: two_factor.WebAuthnSite, *, email: str, password: str,
            user_agent: str | None = None, ip_address: str | None = None) -> SignedIn | SecondFactorDue:
    key = email_key(email)
    user = uow.users.by_email_key(key)
    if user is not None and user.status != "active":
        user = None
    verdict: list[bool] = []

    def password_ok() -> bool:
        if not verdict:
            # The hash takes tens of milliseconds: hold no transaction (on SQLite, no write lock)
            # meanwhile, so that sign-ins run side by side, bounded by the hash alone.
            uow.commit()
            if user is None:
                hasher.burn(password)  # as slow as a wrong password
            verdict.append(user is not None and hasher.verify(user.password_hash, password))
        return verdict[0]

    _check_throttle(uow, user, key, ip_address, password_ok)
    if not password_ok():
        if user is not None:
            security.wrong_password(uow, user, ip_address, user_agent)
        raise _failed(uow, key, ip_address)  # the same answer for an unknown email (no account enumeration)
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    if two_factor.confirmed_methods(uow, user.id):
        token, methods, options = two_factor.open_challenge(uow, site, user, ip_address, user_agent)
        uow.commit()
        return SecondFactorDue(challenge=token, methods=methods, webauthn_options=options,
                               expires_in=int(two_factor.CHALLENGE_LIFETIME.total_seconds()))
    return _complete(uow, user, ["pwd"], ip_address, user_agent)


def complete_second_factor(uow, site: two_factor.WebAuthnSite, *, challenge: str, method: str, code: str,
                           assertion: dict | None = None) -> SignedIn:
    verified, amr = two_factor.verify_second_factor(uow, site, challenge, method, code, assertion)
    user = uow.users.get(verified.user_id)
    if user is None or user.status != "active":
        raise Unauthorized("This account cannot sign in.", problem="sign-in-failed")
    return _complete(uow, user, ["pwd", amr, "mfa"], verified.ip_address, verified.user_agent)


def sign_in_with_app_password(uow, *, email: str, app_password: str, user_agent: str | None = None,
                              ip_address: str | None = None) -> SignedIn:
    """ID-10: an app password signs a tool in on its own (amr "app"); it is throttled like a password."""
    key = email_key(email)
    user = uow.users.by_email_key(key)
    if user is not None and user.status != "active":
        user = None
    verdict: list[bool] = []

    def app_password_ok() -> bool:
        if not verdict:
            verdict.append(user is not None and two_factor.app_password_matches(uow, user, app_password))
        return verdict[0]

    _check_throttle(uow, user, key, ip_address, app_password_ok)
    if not app_password_ok():
        raise _failed(uow, key, ip_address)
    return _complete(uow, user, ["app"], ip_address, user_agent)


def _complete(uow, user: User, amr: list[str], ip_address: str | None, user_agent: str | None) -> SignedIn:
    security.signed_in(uow, user, ip_address, user_agent, amr)
    return _open_session(uow, user, amr, user_agent, ip_address)
