"""Two-factor authentication (ID-09): an authenticator app (TOTP), security keys (WebAuthn, with a
software authenticator), SMS only to numbers in CH, FR, BE and DE, one-time recovery codes; the
two-step sign-in and the `amr` of its tokens."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import struct
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cbor2
import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.bus_tap import Tap
from tests.helpers import PASSWORD, claims_of, device, eventually, unique_email

SMS_FOLDER = Path(os.environ["PORTICO_DATA_DIR"]) / "sms"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftKey:
    """A software security key (ES256, "none" attestation) that answers as a browser would."""

    def __init__(self, rp_id: str = "localhost", origin: str = "http://localhost:8080"):
        self.rp_id, self.origin = rp_id, origin
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def _cose_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def create(self, options: dict) -> dict:
        assert options["rp"]["id"] == self.rp_id
        client_data = self._client_data("webauthn.create", options["challenge"])
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x41]) + struct.pack(">I", 0) + bytes(16)
                     + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation)}}

    def get(self, options: dict) -> dict:
        assert b64url(self.credential_id) in [c["id"] for c in options["allowCredentials"]]
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x01]) + struct.pack(">I", self.sign_count)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature)}}


def signed_in(api, stack) -> tuple[dict, str]:
    person = api.signup(email=unique_email("2fa"))
    tokens = device(stack).login(person["email"]).json()
    return person, tokens["access_token"]


def enable_totp(api, token: str) -> tuple[pyotp.TOTP, list[str]]:
    started = api.post("/v1/me/two-factor/totp", token=token)
    assert started.status_code == 201, started.text
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(started.json()["secret"])
    confirmed = api.post("/v1/me/two-factor/totp/confirm", {"code": totp.now()}, token)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["enabled"] is True and confirmed.json()["methods"] == ["totp"]
    return totp, confirmed.json()["recovery_codes"]


def challenge_for(laptop, email: str) -> dict:
    answer = laptop.login(email)
    assert answer.status_code == 202, answer.text
    return answer.json()


def second_factor(laptop, challenge: str, method: str, code: str | None = None):
    body = {"challenge": challenge, "method": method, **({"code": code} if code is not None else {})}
    return laptop.post("/v1/auth/login/second-factor", body)


def sms_to(phone: str) -> list[dict]:
    messages = [json.loads(f.read_text()) for f in sorted(SMS_FOLDER.glob("*.json"))] if SMS_FOLDER.exists() else []
    return [m for m in messages if m["to"] == phone]


def latest_sms_code(phone: str, seen: int) -> str:
    messages = eventually(lambda: len(sms_to(phone)) > seen and sms_to(phone), what=f"an SMS to {phone}")
    return re.search(r"\b(\d{6})\b", messages[-1]["text"]).group(1)


def test_ID_09_totp_sign_in_takes_two_steps_and_says_so_in_amr(api, stack):
    person, token = signed_in(api, stack)
    tap = Tap(f"two-factor-{uuid.uuid4().hex[:6]}")
    try:
        totp, codes = enable_totp(api, token)
        event = tap.wait_for(lambda body: body["type"] == "TwoFactorStatusChanged"
                             and body["payload"]["user_id"] == person["id"])
        assert event["body"]["payload"] == {"user_id": person["id"], "enabled": True, "methods": ["totp"]}
    finally:
        tap.close()
    assert len(codes) == 10 and len(set(codes)) == 10

    laptop = device(stack)
    challenge = challenge_for(laptop, person["email"])
    assert set(challenge["methods"]) == {"totp", "recovery-code"}
    assert challenge["expires_in"] == 300
    assert "access_token" not in challenge
    valid = {totp.at(time.time() + shift) for shift in (-60, -30, 0, 30, 60)}
    wrong = second_factor(laptop, challenge["challenge"], "totp", next(c for c in ("000000", "111111", "222222") if c not in valid))
    assert wrong.status_code == 401
    tokens = second_factor(laptop, challenge["challenge"], "totp", totp.at(time.time() + 30))
    assert tokens.status_code == 200, tokens.text
    assert claims_of(tokens.json()["access_token"])["amr"] == ["pwd", "otp", "mfa"]
    # The challenge is spent.
    assert second_factor(laptop, challenge["challenge"], "totp", totp.now()).status_code == 401
    status = api.get("/v1/me/two-factor", tokens.json()["access_token"]).json()
    assert status == {"enabled": True, "methods": ["totp"], "sms_phone": None, "security_keys": [],
                      "recovery_codes_left": 10}


def test_ID_09_a_replayed_totp_code_is_refused(api, stack):
    person, token = signed_in(api, stack)
    totp, _ = enable_totp(api, token)
    laptop = device(stack)
    code = totp.at(time.time() + 30)  # the next step's code: not used yet by the confirmation
    first = second_factor(laptop, challenge_for(laptop, person["email"])["challenge"], "totp", code)
    assert first.status_code == 200, first.text
    replay = second_factor(laptop, challenge_for(laptop, person["email"])["challenge"], "totp", code)
    assert replay.status_code == 401
    assert replay.json()["type"].endswith("/second-factor-failed")
    # The step before it (still within ±1) is older than the last accepted one: refused too.
    older = second_factor(laptop, challenge_for(laptop, person["email"])["challenge"], "totp", totp.now())
    assert older.status_code == 401


def test_ID_09_a_recovery_code_is_good_once(api, stack):
    person, token = signed_in(api, stack)
    _, codes = enable_totp(api, token)
    laptop = device(stack)
    used = second_factor(laptop, challenge_for(laptop, person["email"])["challenge"], "recovery-code", codes[3].upper())
    assert used.status_code == 200, used.text
    assert claims_of(used.json()["access_token"])["amr"] == ["pwd", "rec", "mfa"]
    again = second_factor(laptop, challenge_for(laptop, person["email"])["challenge"], "recovery-code", codes[3])
    assert again.status_code == 401
    fresh_token = used.json()["access_token"]
    assert api.get("/v1/me/two-factor", fresh_token).json()["recovery_codes_left"] == 9

    # New codes (password required) replace the old ones.
    assert api.post("/v1/me/two-factor/recovery-codes", {"password": "wrong password"}, fresh_token).status_code == 403
    renewed = api.post("/v1/me/two-factor/recovery-codes", {"password": PASSWORD}, fresh_token)
    assert renewed.status_code == 201 and len(renewed.json()["recovery_codes"]) == 10
    old = second_factor(laptop, challenge_for(laptop, person["email"])["challenge"], "recovery-code", codes[4])
    assert old.status_code == 401
    new = second_factor(laptop, challenge_for(laptop, person["email"])["challenge"], "recovery-code",
                        renewed.json()["recovery_codes"][0])
    assert new.status_code == 200


def test_ID_09_sms_refused_for_a_us_number(api, stack):
    _, token = signed_in(api, stack)
    refused = api.post("/v1/me/two-factor/sms", {"phone": "+1 650 253 0000"}, token)
    assert refused.status_code == 400
    assert refused.json()["type"].endswith("/sms-country-not-supported")
    assert [p["name"] for p in refused.json()["invalid_params"]] == ["phone"]
    assert sms_to("+16502530000") == []


def test_ID_09_sms_codes_to_a_swiss_number_sign_in(api, stack):
    person, token = signed_in(api, stack)
    phone = "+41791234567"
    started = api.post("/v1/me/two-factor/sms", {"phone": "+41 79 123 45 67"}, token)
    assert started.status_code == 202, started.text
    assert started.json()["phone"] == phone
    code = latest_sms_code(phone, len(sms_to(phone)) - 1)
    confirmed = api.post("/v1/me/two-factor/sms/confirm", {"code": code}, token)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["methods"] == ["sms"] and len(confirmed.json()["recovery_codes"]) == 10

    laptop = device(stack)
    challenge = challenge_for(laptop, person["email"])["challenge"]
    before = len(sms_to(phone))
    sent = second_factor(laptop, challenge, "sms")
    assert sent.status_code == 202 and sent.json()["code_sent"] is True
    tokens = second_factor(laptop, challenge, "sms", latest_sms_code(phone, before))
    assert tokens.status_code == 200, tokens.text
    assert claims_of(tokens.json()["access_token"])["amr"] == ["pwd", "sms", "mfa"]


def test_ID_09_removing_the_last_factor_turns_two_factor_off(api, stack, smtp):
    person, token = signed_in(api, stack)
    enable_totp(api, token)
    assert api.post("/v1/me/two-factor/totp/removal", {"password": "wrong password"}, token).status_code == 403
    removed = api.post("/v1/me/two-factor/totp/removal", {"password": PASSWORD}, token)
    assert removed.status_code == 200
    assert removed.json() == {"enabled": False, "methods": [], "sms_phone": None, "security_keys": [],
                              "recovery_codes_left": 0}
    # Signing in takes the password alone again, and the owner was told of each change.
    assert device(stack).login(person["email"]).status_code == 200
    eventually(lambda: len(smtp.to(person["email"], "two-factor")) == 2, what="two mails about the 2FA changes")


def test_ID_09_a_security_key_signs_in_and_a_cloned_key_is_refused(api, stack):
    person, token = signed_in(api, stack)
    key = SoftKey()
    options = api.post("/v1/me/two-factor/webauthn/registrations", token=token)
    assert options.status_code == 201, options.text
    forged = SoftKey(origin="https://phishing.example")
    refused = api.post("/v1/me/two-factor/webauthn", {"name": "forged", "credential": forged.create(options.json()["options"])}, token)
    assert refused.status_code == 400
    options = api.post("/v1/me/two-factor/webauthn/registrations", token=token).json()["options"]
    added = api.post("/v1/me/two-factor/webauthn", {"name": "YubiKey 5C", "credential": key.create(options)}, token)
    assert added.status_code == 200, added.text
    assert added.json()["methods"] == ["webauthn"] and len(added.json()["recovery_codes"]) == 10
    assert [k["name"] for k in added.json()["security_keys"]] == ["YubiKey 5C"]

    laptop = device(stack)
    due = challenge_for(laptop, person["email"])
    assert set(due["methods"]) == {"webauthn", "recovery-code"}
    body = {"challenge": due["challenge"], "method": "webauthn", "assertion": key.get(due["webauthn_options"])}
    tokens = laptop.post("/v1/auth/login/second-factor", body)
    assert tokens.status_code == 200, tokens.text
    assert claims_of(tokens.json()["access_token"])["amr"] == ["pwd", "hwk", "mfa"]

    # A copy of the key has a signature counter that does not move on: refused.
    due = challenge_for(laptop, person["email"])
    key.sign_count -= 1
    body = {"challenge": due["challenge"], "method": "webauthn", "assertion": key.get(due["webauthn_options"])}
    assert laptop.post("/v1/auth/login/second-factor", body).status_code == 401
    # An answer to an earlier challenge does not complete a new one.
    stale = key.get(due["webauthn_options"])
    due = challenge_for(laptop, person["email"])
    body = {"challenge": due["challenge"], "method": "webauthn", "assertion": stale}
    assert laptop.post("/v1/auth/login/second-factor", body).status_code == 401


def test_ID_09_expired_sign_in_challenges_are_not_kept(api, stack):
    from sqlalchemy import create_engine, func, select, update

    from portico_kernel import config
    from services.identity.adapters.orm import sign_in_challenges as challenges

    person, token = signed_in(api, stack)
    enable_totp(api, token)
    laptop = device(stack)
    abandoned = challenge_for(laptop, person["email"])
    engine = create_engine(config.load("identity").database_url)
    mine = challenges.c.user_id == person["id"]
    with engine.begin() as conn:  # five minutes pass (written into identity's database)
        conn.execute(update(challenges).where(mine).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))

    challenge_for(laptop, person["email"])

    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(mine)).scalar_one() == 1
    engine.dispose()
    expired = second_factor(laptop, abandoned["challenge"], "totp", "000000")
    assert expired.status_code == 401 and expired.json()["type"].endswith("/challenge-expired")


def _malformed(answer: dict) -> list[tuple[str, dict]]:
    """Hostile variants of a browser's answer, each with the part a refusal must name."""
    response = answer["response"]
    first = next(iter(response))
    return [
        ("id", {**answer, "id": 12345}),
        ("rawId", {k: v for k, v in answer.items() if k != "rawId"}),
        ("type", {**answer, "type": ["public-key"]}),
        ("response", {**answer, "response": "not an object"}),
        ("response", {k: v for k, v in answer.items() if k != "response"}),
        (f"response.{first}", {**answer, "response": {k: v for k, v in response.items() if k != first}}),
        (f"response.{first}", {**answer, "response": {**response, first: "!!not base64!!"}}),
        (f"response.{first}", {**answer, "response": {**response, first: {"nested": True}}}),
        (f"response.{first}", {**answer, "response": {**response, first: "A" * 70_000}}),
        ("id", {**answer, "id": "A" * 5_000}),
    ]


def _names_the_field(answer, name: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [p["name"] for p in answer.json()["invalid_params"]] == [name], answer.text
    assert len(answer.text) < 2_000  # the value is not echoed


def test_ID_09_a_malformed_security_key_registration_is_a_400_naming_the_field(api, stack):
    person, token = signed_in(api, stack)
    options = api.post("/v1/me/two-factor/webauthn/registrations", token=token).json()["options"]
    good = SoftKey().create(options)
    for part, credential in _malformed(good):
        _names_the_field(api.post("/v1/me/two-factor/webauthn", {"name": "bad", "credential": credential}, token),
                         f"credential.{part}")
    # Well-formed but not a real key's answer: refused as not matching, still no 500.
    garbage = {**good, "response": {"clientDataJSON": "AAAA", "attestationObject": "oA"}}
    _names_the_field(api.post("/v1/me/two-factor/webauthn", {"name": "bad", "credential": garbage}, token), "credential")
    # Nothing was registered; the right answer still is.
    assert api.get("/v1/me/two-factor", token).json()["security_keys"] == []
    assert api.post("/v1/me/two-factor/webauthn", {"name": "Key", "credential": good}, token).status_code == 200


def test_ID_09_a_malformed_security_key_assertion_is_a_400_naming_the_field(api, stack):
    person, token = signed_in(api, stack)
    key = SoftKey()
    options = api.post("/v1/me/two-factor/webauthn/registrations", token=token).json()["options"]
    assert api.post("/v1/me/two-factor/webauthn", {"name": "Key", "credential": key.create(options)}, token).status_code == 200
    laptop = device(stack)
    due = challenge_for(laptop, person["email"])
    good = key.get(due["webauthn_options"])
    for part, assertion in _malformed(good):
        body = {"challenge": due["challenge"], "method": "webauthn", "assertion": assertion}
        _names_the_field(laptop.post("/v1/auth/login/second-factor", body), f"assertion.{part}")
    garbage = {**good, "response": {"clientDataJSON": "AAAA", "authenticatorData": "AAAA", "signature": "AAAA"}}
    body = {"challenge": due["challenge"], "method": "webauthn", "assertion": garbage}
    assert laptop.post("/v1/auth/login/second-factor", body).status_code == 401
    # The malformed answers did not use the challenge up: the key's real answer completes it.
    body = {"challenge": due["challenge"], "method": "webauthn", "assertion": good}
    assert laptop.post("/v1/auth/login/second-factor", body).status_code == 200


def test_ID_09_totp_seeds_are_kept_encrypted_and_survive_a_key_rotation(api, stack):
    """A stolen identity database holds no usable TOTP seed; an operator rotates the key with
    `rotate-secrets` and the person still signs in with their app."""
    import os
    import subprocess
    import sys

    from cryptography.fernet import Fernet
    from sqlalchemy import create_engine, text

    from portico_kernel import config

    person, token = signed_in(api, stack)
    totp, _ = enable_totp(api, token)
    engine = create_engine(config.load("identity").database_url)
    stored = lambda: engine.connect().execute(text(  # noqa: E731 - read only: what a thief would see
        "SELECT f.secret FROM second_factors f JOIN users u ON u.id = f.user_id WHERE u.email = :email"),
        {"email": person["email"].lower()}).scalar_one()
    before = stored()
    assert totp.secret not in before and before.startswith("gAAAA")  # a Fernet token

    old, new = os.environ["PORTICO_SECRET_KEYS"], Fernet.generate_key().decode()
    for keys in (f"{new},{old}", f"{old},{new}"):  # to the new key, and back for the running stack
        done = subprocess.run([sys.executable, "-m", "services.identity.entrypoints.admin", "rotate-secrets"],
                              env={**os.environ, "PORTICO_SECRET_KEYS": keys}, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "re-encrypted" in done.stdout, done.stderr
        assert totp.secret not in done.stdout + done.stderr
    assert stored() != before and totp.secret not in stored()
    engine.dispose()

    laptop = device(stack)
    challenge = challenge_for(laptop, person["email"])
    tokens = second_factor(laptop, challenge["challenge"], "totp", totp.at(time.time() + 30))
    assert tokens.status_code == 200, tokens.text
