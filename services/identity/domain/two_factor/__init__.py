"""Two-factor authentication (ID-09): an authenticator app (TOTP), security keys (WebAuthn), SMS
to numbers in CH, FR, BE and DE, and one-time recovery codes; and app passwords for tools that
cannot do 2FA (ID-10). One module per factor; what the api and the sign-in use is named here."""
from __future__ import annotations

from .app_passwords import app_password_matches, create_app_password, revoke_app_password
from .challenges import challenge_of, open_challenge, send_sign_in_sms, verify_second_factor
from .methods import confirmed_methods, remove_method, status
from .model import (AMR, CHALLENGE_LIFETIME, ISSUER, MAX_CODE_ATTEMPTS, RECOVERY_CODES, SMS, SMS_CODE_LIFETIME,
                    SMS_COUNTRIES, TOTP, TOTP_STEP, WEBAUTHN, AppPassword, RecoveryCode, SecondFactor, SignInChallenge,
                    WebAuthnSite)
from .recovery_codes import regenerate_recovery_codes
from .security_keys import add_security_key, start_security_key
from .sms import confirm_sms, sms_number, start_sms
from .totp import confirm_totp, start_totp

__all__ = [
    "AMR", "CHALLENGE_LIFETIME", "ISSUER", "MAX_CODE_ATTEMPTS", "RECOVERY_CODES", "SMS", "SMS_CODE_LIFETIME",
    "SMS_COUNTRIES", "TOTP", "TOTP_STEP", "WEBAUTHN", "AppPassword", "RecoveryCode", "SecondFactor",
    "SignInChallenge", "WebAuthnSite", "add_security_key", "app_password_matches", "challenge_of", "confirm_sms",
    "confirm_totp", "confirmed_methods", "create_app_password", "open_challenge", "regenerate_recovery_codes",
    "remove_method", "revoke_app_password", "send_sign_in_sms", "sms_number", "start_security_key", "start_sms",
    "start_totp", "status", "verify_second_factor",
]
