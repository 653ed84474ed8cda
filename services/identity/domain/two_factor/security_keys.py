"""Security keys (WebAuthn, e.g. a YubiKey) as a second factor (ID-09)."""
from __future__ import annotations

import json
import re

import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import PublicKeyCredentialDescriptor

from portico_kernel.errors import Invalid, NotFound

from ..model import new_id
from ..profile import account_of
from .methods import _confirm
from .model import WEBAUTHN, SecondFactor, SignInChallenge, WebAuthnSite


BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")

# The browser's answers (PublicKeyCredential as JSON, WebAuthn Level 3 toJSON()): what must be there,
# base64url text each, and how long it may be (a security key's answers are far shorter).
REGISTRATION_FIELDS = {"clientDataJSON": 4096, "attestationObject": 65536}

AUTHENTICATION_FIELDS = {"clientDataJSON": 4096, "authenticatorData": 4096, "signature": 1024}

MAX_CREDENTIAL_ID = 400  # base64url; the column's width (ids of real keys are 16 to 64 bytes)

MAX_PUBLIC_KEY = 1200

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
