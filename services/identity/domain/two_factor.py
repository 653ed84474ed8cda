"""Two-factor authentication (ID-09): an authenticator app (TOTP), security keys (WebAuthn), SMS
to numbers in CH, FR, BE and DE, and one-time recovery codes; and app passwords for tools that
cannot do 2FA (ID-10)."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import phonenumbers
import pyotp
import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from portico_kernel.errors import Conflict, Invalid, NotFound, Unauthorized
from portico_kernel.clock import utcnow

from .events import TwoFactorStatusChanged
from .model import User, hash_token, new_id
from .profile import account_of, confirmed_account
from .security import record

TOTP, SMS, WEBAUTHN = "totp", "sms", "webauthn"
AMR = {TOTP: "otp", SMS: "sms", WEBAUTHN: "hwk", "recovery-code": "rec"}  # RFC 8176
SMS_COUNTRIES = ("CH", "FR", "BE", "DE")
SMS_CODE_LIFETIME = timedelta(minutes=5)
MAX_CODE_ATTEMPTS = 5
RECOVERY_CODES = 10
TOTP_STEP = 30
CHALLENGE_LIFETIME = timedelta(minutes=5)
ISSUER = "Portico"


@dataclass(frozen=True)
class WebAuthnSite:
    """Who security keys sign for: the site's domain (relying party id) and the origin of its pages."""

    rp_id: str
    rp_name: str
    origin: str


@dataclass(eq=False)
class SecondFactor:
    """One of a person's second factors; it counts once confirmed."""

    id: str
    user_id: str
    method: str  # totp, webauthn or sms
    name: str | None = None  # WebAuthn: the person's name for the key
    secret: str | None = None  # TOTP: the shared base32 secret
    credential_id: str | None = None  # WebAuthn, base64url
    public_key: str | None = None  # WebAuthn: COSE key, base64url
    sign_count: int = 0  # WebAuthn: a key whose counter goes back is a clone
    challenge: str | None = None  # WebAuthn: the registration's challenge, base64url
    phone: str | None = None  # SMS: E.164
    last_used_step: int | None = None  # TOTP: a code's time step is accepted once
    code_hash: str | None = None  # SMS: the code last sent
    code_expires_at: datetime | None = None
    code_attempts: int = 0
    confirmed_at: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


@dataclass(eq=False)
class RecoveryCode:
    id: str
    user_id: str
    code_hash: str
    used_at: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class SignInChallenge:
    """The password was right and a second factor is due: the client holds the challenge (its hash is kept)."""

    token_hash: str
    user_id: str
    expires_at: datetime
    ip_address: str | None = None
    user_agent: str | None = None
    webauthn_challenge: str | None = None  # base64url, when the person has security keys
    attempts: int = 0
    completed_at: datetime | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class AppPassword:
    """ID-10: a password for one tool that cannot do 2FA. Its secret has 128 random bits, so a
    SHA-256 of it is as safe to keep as a password hash and can be looked up directly."""

    id: str
    user_id: str
    name: str
    secret_hash: str
    created_at: datetime = field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def confirmed_methods(uow, user_id: str) -> list[str]:
    return sorted({f.method for f in uow.second_factors.of_user(user_id) if f.confirmed})


def _code_hash(user_id: str, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def _status_changed(uow, user: User, before: list[str], ip_address: str | None = None) -> list[str]:
    after = confirmed_methods(uow, user.id)
    if after != before:
        uow.emit(TwoFactorStatusChanged(user_id=user.id, enabled=bool(after), methods=after))
        record(uow, user, "two-factor-changed", ip_address=ip_address, details={"methods": after},
               alert="two-factor-changed")
    return after


def _new_recovery_codes(uow, user_id: str) -> list[str]:
    uow.recovery_codes.remove_of(user_id)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(10)  # 80 random bits: a fast hash is enough
        code = "-".join(raw[i:i + 5] for i in range(0, 20, 5))
        uow.recovery_codes.add(RecoveryCode(id=new_id(), user_id=user_id, code_hash=hash_token(raw)))
        codes.append(code)
    return codes


def _normalized_recovery_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").lower()


# --- TOTP -------------------------------------------------------------------------------------

def start_totp(uow, user_id: str) -> tuple[str, str]:
    """A new secret for the authenticator app; it counts once a code from the app confirms it."""
    user = account_of(uow, user_id)
    if any(f.method == TOTP and f.confirmed for f in uow.second_factors.of_user(user_id)):
        raise Conflict("An authenticator app is set up already; remove it first.", problem="two-factor-method-exists")
    uow.second_factors.remove_unconfirmed(user_id, TOTP)
    secret = pyotp.random_base32()
    uow.second_factors.add(SecondFactor(id=new_id(), user_id=user_id, method=TOTP, secret=secret))
    uow.commit()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _totp_matches(factor: SecondFactor, code: str, now: float | None = None) -> bool:
    """±1 time step; a step once accepted is refused again (a code seen over a shoulder or
    phished cannot be replayed)."""
    now = time.time() if now is None else now
    totp = pyotp.TOTP(factor.secret)
    current = int(now // TOTP_STEP)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP).encode(), code.strip().encode()):
            if factor.last_used_step is not None and step <= factor.last_used_step:
                return False
            factor.last_used_step = step
            return True
    return False


def confirm_totp(uow, user_id: str, code: str) -> tuple[list[str], list[str] | None]:
    user = account_of(uow, user_id)
    pending = [f for f in uow.second_factors.of_user(user_id) if f.method == TOTP and not f.confirmed]
    if not pending:
        raise NotFound("No authenticator app is waiting to be confirmed.")
    return _confirm(uow, user, pending[0], lambda: _totp_matches(pending[0], code))


def _confirm(uow, user: User, factor: SecondFactor, check, field_name: str = "code") -> tuple[list[str], list[str] | None]:
    """The first factor of a person also gives them their recovery codes (shown this once)."""
    if not check():
        raise Invalid("The code is wrong or expired.", problem="wrong-code",
                      invalid_params=[{"name": field_name, "reason": "does not match"}])
    before = confirmed_methods(uow, user.id)
    factor.confirmed_at = utcnow()
    factor.code_hash = None
    codes = _new_recovery_codes(uow, user.id) if not before else None
    methods = _status_changed(uow, user, before)
    uow.commit()
    return methods, codes


# --- security keys (WebAuthn) ------------------------------------------------------------------

# The browser's answers (PublicKeyCredential as JSON, WebAuthn Level 3 toJSON()): what must be there,
# base64url text each, and how long it may be (a security key's answers are far shorter).
REGISTRATION_FIELDS = {"clientDataJSON": 4096, "attestationObject": 65536}
AUTHENTICATION_FIELDS = {"clientDataJSON": 4096, "authenticatorData": 4096, "signature": 1024}
MAX_CREDENTIAL_ID = 400  # base64url; the column's width (ids of real keys are 16 to 64 bytes)
MAX_PUBLIC_KEY = 1200
BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _check_browser_answer(answer, field_name: str, response_fields: dict[str, int]) -> None:
    """A malformed answer is refused naming the part that is wrong (e.g. credential.response.signature)."""

    def refuse(path: str, reason: str) -> Invalid:
        return Invalid(f"{path}: {reason}", problem="malformed-credential",
                       invalid_params=[{"name": path, "reason": reason}])

    def base64url(value, path: str, longest: int) -> None:
        if not isinstance(value, str) or not value:
            raise refuse(path, "must be base64url text")
        if len(value) > longest:
            raise refuse(path, f"longer than {longest} characters")
        if not BASE64URL.fullmatch(value) or len(value.rstrip("=")) % 4 == 1:
            raise refuse(path, "is not base64url")

    if not isinstance(answer, dict):
        raise refuse(field_name, "must be the PublicKeyCredential as a JSON object")
    for name in ("id", "rawId"):
        base64url(answer.get(name), f"{field_name}.{name}", MAX_CREDENTIAL_ID)
    if answer.get("type") != "public-key":
        raise refuse(f"{field_name}.type", "must be public-key")
    response = answer.get("response")
    if not isinstance(response, dict):
        raise refuse(f"{field_name}.response", "must be an object")
    for name, longest in response_fields.items():
        base64url(response.get(name), f"{field_name}.response.{name}", longest)
    if response.get("userHandle") is not None:
        base64url(response["userHandle"], f"{field_name}.response.userHandle", 128)
    transports = response.get("transports", [])
    if not isinstance(transports, list) or not all(isinstance(t, str) and len(t) <= 32 for t in transports):
        raise refuse(f"{field_name}.response.transports", "must be a list of short names")
    for name in ("authenticatorAttachment",):
        if answer.get(name) is not None and not isinstance(answer[name], str):
            raise refuse(f"{field_name}.{name}", "must be text")
    if answer.get("clientExtensionResults") is not None and not isinstance(answer["clientExtensionResults"], dict):
        raise refuse(f"{field_name}.clientExtensionResults", "must be an object")


def _keys_of(uow, user_id: str) -> list[SecondFactor]:
    return [f for f in uow.second_factors.of_user(user_id) if f.method == WEBAUTHN and f.confirmed]


def start_security_key(uow, site: WebAuthnSite, user_id: str) -> dict:
    """The options for the browser's navigator.credentials.create(); several keys are allowed."""
    user = account_of(uow, user_id)
    uow.second_factors.remove_unconfirmed(user_id, WEBAUTHN)
    options = webauthn.generate_registration_options(
        rp_id=site.rp_id, rp_name=site.rp_name, user_name=user.email, user_id=user.id.encode(),
        user_display_name=f"{user.first_name} {user.last_name}",
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(k.credential_id))
                             for k in _keys_of(uow, user_id)])
    uow.second_factors.add(SecondFactor(id=new_id(), user_id=user_id, method=WEBAUTHN,
                                        challenge=bytes_to_base64url(options.challenge)))
    uow.commit()
    return json.loads(webauthn.options_to_json(options))


def add_security_key(uow, site: WebAuthnSite, user_id: str, name: str, credential: dict) -> tuple[list[str], list[str] | None]:
    user = account_of(uow, user_id)
    pending = [f for f in uow.second_factors.of_user(user_id) if f.method == WEBAUTHN and not f.confirmed]
    if not pending:
        raise NotFound("No security key is waiting to be registered.")
    key = pending[0]

    _check_browser_answer(credential, "credential", REGISTRATION_FIELDS)

    def check() -> bool:
        try:
            verified = webauthn.verify_registration_response(
                credential=credential, expected_challenge=base64url_to_bytes(key.challenge),
                expected_rp_id=site.rp_id, expected_origin=site.origin)
        except (WebAuthnException, ValueError, KeyError, TypeError):
            return False
        if (len(bytes_to_base64url(verified.credential_id)) > MAX_CREDENTIAL_ID
                or len(bytes_to_base64url(verified.credential_public_key)) > MAX_PUBLIC_KEY):
            return False  # larger than any security key's (and than what is stored)
        key.name, key.challenge = name.strip(), None
        key.credential_id = bytes_to_base64url(verified.credential_id)
        key.public_key = bytes_to_base64url(verified.credential_public_key)
        key.sign_count = verified.sign_count
        return True

    return _confirm(uow, user, key, check, "credential")


def _security_key_matches(uow, site: WebAuthnSite, challenge: SignInChallenge, assertion: dict | None) -> bool:
    if not assertion or challenge.webauthn_challenge is None:
        return False
    key = next((k for k in _keys_of(uow, challenge.user_id) if k.credential_id == assertion.get("id")), None)
    if key is None:
        return False
    try:
        verified = webauthn.verify_authentication_response(
            credential=assertion, expected_challenge=base64url_to_bytes(challenge.webauthn_challenge),
            expected_rp_id=site.rp_id, expected_origin=site.origin,
            credential_public_key=base64url_to_bytes(key.public_key), credential_current_sign_count=key.sign_count)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return False
    key.sign_count = verified.new_sign_count
    return True


# --- SMS --------------------------------------------------------------------------------------

def sms_number(phone: str) -> str:
    """ID-09: SMS codes go only to numbers in Switzerland, France, Belgium and Germany."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Invalid("The phone number is not valid; give it with its country code, e.g. +41 79 123 45 67.",
                      invalid_params=[{"name": "phone", "reason": "not a valid international number"}])
    if phonenumbers.region_code_for_number(number) not in SMS_COUNTRIES:
        raise Invalid("SMS codes can only be sent to numbers in Switzerland, France, Belgium or Germany.",
                      problem="sms-country-not-supported",
                      invalid_params=[{"name": "phone", "reason": f"only numbers in {', '.join(SMS_COUNTRIES)}"}])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _send_code(factor: SecondFactor, sms_sender) -> None:
    code = f"{secrets.randbelow(10 ** 6):06d}"
    factor.code_hash = _code_hash(factor.user_id, code)
    factor.code_expires_at = utcnow() + SMS_CODE_LIFETIME
    factor.code_attempts = 0
    sms_sender.send(factor.phone, f"Your Portico code is {code}. It expires in 5 minutes.")


def _sms_code_matches(factor: SecondFactor, code: str) -> bool:
    if factor.code_hash is None or factor.code_expires_at is None or utcnow() >= factor.code_expires_at:
        return False
    factor.code_attempts += 1
    if factor.code_attempts > MAX_CODE_ATTEMPTS:
        factor.code_hash = None
        return False
    if secrets.compare_digest(factor.code_hash, _code_hash(factor.user_id, code.strip())):
        factor.code_hash = None  # good once
        return True
    return False


def start_sms(uow, sms_sender, user_id: str, phone: str) -> str:
    account_of(uow, user_id)
    e164 = sms_number(phone)
    if any(f.method == SMS and f.confirmed for f in uow.second_factors.of_user(user_id)):
        raise Conflict("SMS codes are set up already; remove them first.", problem="two-factor-method-exists")
    uow.second_factors.remove_unconfirmed(user_id, SMS)
    factor = SecondFactor(id=new_id(), user_id=user_id, method=SMS, phone=e164)
    uow.second_factors.add(factor)
    _send_code(factor, sms_sender)
    uow.commit()
    return e164


def confirm_sms(uow, user_id: str, code: str) -> tuple[list[str], list[str] | None]:
    user = account_of(uow, user_id)
    pending = [f for f in uow.second_factors.of_user(user_id) if f.method == SMS and not f.confirmed]
    if not pending:
        raise NotFound("No phone number is waiting to be confirmed.")
    try:
        return _confirm(uow, user, pending[0], lambda: _sms_code_matches(pending[0], code))
    except Invalid:
        uow.commit()  # the attempt counts
        raise


# --- removal and recovery codes ---------------------------------------------------------------

def remove_method(uow, hasher, user_id: str, method: str, password: str) -> list[str]:
    """Removing the last factor turns 2FA off: the recovery codes go, app passwords stop working."""
    user = confirmed_account(uow, hasher, user_id, password)
    factors = [f for f in uow.second_factors.of_user(user_id) if f.method == method]
    if not factors:
        raise NotFound(f"No {method} second factor is set up.")
    before = confirmed_methods(uow, user_id)
    for factor in factors:
        uow.second_factors.remove(factor)
    uow.session.flush()
    after = _status_changed(uow, user, before)
    if not after:
        uow.recovery_codes.remove_of(user_id)
    uow.commit()
    return after


def regenerate_recovery_codes(uow, hasher, user_id: str, password: str) -> list[str]:
    user = confirmed_account(uow, hasher, user_id, password)
    if not confirmed_methods(uow, user_id):
        raise Conflict("Recovery codes come with two-factor authentication; set it up first.",
                       problem="two-factor-not-enabled")
    codes = _new_recovery_codes(uow, user_id)
    record(uow, user, "recovery-codes-regenerated", alert="recovery-codes-regenerated")
    uow.commit()
    return codes


def status(uow, user_id: str) -> dict:
    factors = [f for f in uow.second_factors.of_user(user_id) if f.confirmed]
    sms = next((f for f in factors if f.method == SMS), None)
    return {
        "enabled": bool(factors),
        "methods": sorted({f.method for f in factors}),
        "sms_phone": _masked(sms.phone) if sms else None,
        "security_keys": [{"id": f.id, "name": f.name, "created_at": f.created_at}
                          for f in sorted(factors, key=lambda f: f.created_at) if f.method == WEBAUTHN],
        "recovery_codes_left": uow.recovery_codes.unused_count(user_id) if factors else 0,
    }


def _masked(e164: str) -> str:
    return e164[:3] + "•" * (len(e164) - 5) + e164[-2:]


# --- the second step of a sign-in -------------------------------------------------------------

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


# --- app passwords (ID-10) --------------------------------------------------------------------

def create_app_password(uow, user_id: str, name: str) -> tuple[AppPassword, str]:
    """Only with 2FA on: an app password stands in for both factors, for one tool."""
    user = account_of(uow, user_id)
    if not confirmed_methods(uow, user_id):
        raise Conflict("App passwords need two-factor authentication; set it up first.", problem="two-factor-not-enabled")
    secret = secrets.token_hex(16)  # 128 random bits
    shown = "-".join(secret[i:i + 4] for i in range(0, 32, 4))
    app_password = AppPassword(id=new_id(), user_id=user_id, name=name.strip(), secret_hash=hash_token(secret))
    uow.app_passwords.add(app_password)
    record(uow, user, "app-password-created", details={"name": app_password.name}, alert="app-password-created")
    uow.commit()
    return app_password, shown


def revoke_app_password(uow, user_id: str, app_password_id: str) -> None:
    app_password = uow.app_passwords.get(app_password_id)
    if app_password is None or app_password.user_id != user_id or app_password.revoked_at is not None:
        raise NotFound("No such app password.")
    app_password.revoked_at = utcnow()
    record(uow, account_of(uow, user_id), "app-password-revoked", details={"name": app_password.name})
    uow.commit()


def app_password_matches(uow, user: User, app_password: str) -> bool:
    secret = app_password.replace("-", "").replace(" ", "").lower()
    stored = uow.app_passwords.active_by_hash(user.id, hash_token(secret))
    if stored is None or not confirmed_methods(uow, user.id):
        return False
    stored.last_used_at = utcnow()
    return True
