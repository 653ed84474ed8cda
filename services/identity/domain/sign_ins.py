"""Signing in: the password step, the second factor when the person has 2FA (ID-09), app
passwords (ID-10), with throttling and the security alerts of ID-02 and ID-03."""
from __future__ import annotations

from dataclasses import dataclass

from portico_kernel.errors import Unauthorized

from . import security, two_factor
from .accounts import SIGN_IN_FAILED, SignedIn, _open_session
from .emails import sign_in_keys
from .model import User
from .passwords import PasswordHasher


@dataclass(frozen=True)
class SecondFactorDue:
    """The password was right; the person now proves a second factor with this challenge."""

    challenge: str
    methods: list[str]
    expires_in: int
    webauthn_options: dict | None = None


def _account(uow, email: str) -> tuple[str, User | None]:
    """The key failures are counted by, and the active account signing in with this email (if any)."""
    keys = sign_in_keys(email)
    user = next(filter(None, map(uow.users.by_email_key, keys)), None)
    return keys[0], user if user is not None and user.status == "active" else None


def _check_credential(uow, user: User | None, key: str, ip_address: str | None, credential_ok, *,
                      on_wrong=None) -> None:
    """ID-03: the attempt is counted before the credential is checked, so parallel attempts cannot
    pass the free budget together. Past the bound, sign-ins are refused for a while (429 with
    Retry-After) — except from a network where this account signed in before, which has a budget
    of its own: there a right password signs in, a wrong one is refused like the others."""
    attempt = security.count_attempt(uow, key, ip_address)
    throttle = security.throttle(uow, attempt, security.known_network(uow, user, ip_address))
    if throttle.refused:
        uow.commit()
        raise security.too_many(throttle.refused)
    if credential_ok():
        security.withdraw(uow, attempt)
        return
    if on_wrong is not None:
        on_wrong()
    uow.commit()
    if throttle.wait:
        raise security.too_many(throttle.wait)
    raise Unauthorized(SIGN_IN_FAILED, problem="sign-in-failed")  # alike for an unknown email (no enumeration)


def sign_in(uow, hasher: PasswordHasher, site: two_factor.WebAuthnSite, *, email: str, password: str,
            user_agent: str | None = None, ip_address: str | None = None) -> SignedIn | SecondFactorDue:
    key, user = _account(uow, email)

    def password_ok() -> bool:
        # The hash takes tens of milliseconds: hold no transaction (on SQLite, no write lock)
        # meanwhile, so that sign-ins run side by side, bounded by the hash alone.
        uow.commit()
        if user is None:
            hasher.burn(password)  # as slow as a wrong password
            return False
        return hasher.verify(user.password_hash, password)

    def wrong_password() -> None:
        if user is not None:
            security.wrong_password(uow, user, ip_address, user_agent)

    _check_credential(uow, user, key, ip_address, password_ok, on_wrong=wrong_password)
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
    key, user = _account(uow, email)

    def app_password_ok() -> bool:
        return user is not None and two_factor.app_password_matches(uow, user, app_password)

    _check_credential(uow, user, key, ip_address, app_password_ok)
    return _complete(uow, user, ["app"], ip_address, user_agent)


def _complete(uow, user: User, amr: list[str], ip_address: str | None, user_agent: str | None) -> SignedIn:
    security.signed_in(uow, user, ip_address, user_agent, amr)
    return _open_session(uow, user, amr, user_agent, ip_address)
