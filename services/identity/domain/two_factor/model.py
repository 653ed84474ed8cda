"""What a person's second factors are (ID-09) and what stands in for them (ID-10): the records kept."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from portico_kernel.clock import utcnow

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
