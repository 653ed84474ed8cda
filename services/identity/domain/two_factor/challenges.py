"""The second step of a sign-in: the challenge a password opens, and the factor that completes it (ID-09)."""
from __future__ import annotations

import json
import secrets

import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from portico_kernel.errors import Invalid, Unauthorized
from portico_kernel.clock import utcnow

from ..model import User, hash_token
from .methods import confirmed_methods, _normalized_recovery_code
from .model import AMR, CHALLENGE_LIFETIME, MAX_CODE_ATTEMPTS, SMS, TOTP, WEBAUTHN, SignInChallenge, WebAuthnSite
from .security_keys import AUTHENTICATION_FIELDS, _check_browser_answer, _keys_of, _security_key_matches
from .sms import _send_code, _sms_code_matches
from .totp import _totp_matches


def open_challenge(uow, site: WebAuthnSite, user: User, ip_address: str | None,
                   user_agent: str | None) -> tuple[str, list[str], dict | None]:
    """The challenge, the methods it takes, and, when the person has security keys, the options
    for the browser's navigator.credentials.get()."""
    token = secrets.token_urlsafe(32)
    challenge = SignInChallenge(token_hash=hash_token(token), user_id=user.id, expires_at=utcnow() + CHALLENGE_LIFETIME,
                                ip_address=ip_address, user_agent=user_agent)
    keys = _keys_of(uow, user.id)
    options = None
    if keys:
        request = webauthn.generate_authentication_options(
            rp_id=site.rp_id, allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id))
                                                 for k in keys])
        challenge.webauthn_challenge = bytes_to_base64url(request.challenge)
        options = json.loads(webauthn.options_to_json(request))
    uow.challenges.forget_expired(utcnow())  # spent or not, an expired challenge is of no more use
    uow.challenges.add(challenge)
    return token, confirmed_methods(uow, user.id) + ["recovery-code"], options

def challenge_of(uow, token: str) -> SignInChallenge:
    challenge = uow.challenges.get(hash_token(token))
    if challenge is None or challenge.completed_at is not None or utcnow() >= challenge.expires_at \
            or challenge.attempts >= MAX_CODE_ATTEMPTS:
        raise Unauthorized("This sign-in has expired; sign in again with your password.", problem="challenge-expired")
    return challenge

def send_sign_in_sms(uow, sms_sender, token: str) -> None:
    challenge = challenge_of(uow, token)
    factor = next((f for f in uow.second_factors.of_user(challenge.user_id) if f.method == SMS and f.confirmed), None)
    if factor is None:
        raise Invalid("SMS codes are not set up for this account.", problem="method-not-available",
                      invalid_params=[{"name": "method", "reason": "not set up"}])
    _send_code(factor, sms_sender)
    uow.commit()

def verify_second_factor(uow, site: WebAuthnSite, token: str, method: str, code: str,
                         assertion: dict | None = None) -> tuple[SignInChallenge, str]:
    """The challenge's person proves the second factor; returns the challenge and the amr value."""
    challenge = challenge_of(uow, token)
    challenge.attempts += 1
    factors = [f for f in uow.second_factors.of_user(challenge.user_id) if f.confirmed]
    ok = False
    if method == WEBAUTHN:
        if assertion is not None:
            _check_browser_answer(assertion, "assertion", AUTHENTICATION_FIELDS)
        ok = _security_key_matches(uow, site, challenge, assertion)
    elif method == "recovery-code":
        stored = uow.recovery_codes.unused_by_hash(challenge.user_id, hash_token(_normalized_recovery_code(code)))
        if stored is not None:
            stored.used_at = utcnow()  # each code is good once
            ok = True
    else:
        factor = next((f for f in factors if f.method == method), None)
        if factor is not None:
            ok = _totp_matches(factor, code) if method == TOTP else _sms_code_matches(factor, code)
    if not ok:
        uow.commit()  # the attempt counts
        raise Unauthorized("The code is wrong, expired or used already.", problem="second-factor-failed")
    challenge.completed_at = utcnow()
    return challenge, AMR[method]
