"""A person's second factors together: which are confirmed, confirming one, removing one, the status shown,
and the recovery codes that come with the first one (ID-09)."""
from __future__ import annotations

import hashlib
import secrets

from portico_kernel.errors import Invalid, NotFound
from portico_kernel.clock import utcnow

from ..events import TwoFactorStatusChanged
from ..model import User, hash_token, new_id
from ..profile import confirmed_account
from ..security import record
from .model import RECOVERY_CODES, SMS, WEBAUTHN, RecoveryCode, SecondFactor


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

def remove_method(uow, hasher, user_id: str, method: str, password: str) -> list[str]:
    """Removing the last factor turns 2FA off: the recovery codes go, app passwords stop working."""
    user = confirmed_account(uow, hasher, user_id, password)
    factors = [f for f in uow.second_factors.of_user(user_id) if f.method == method]
    if not factors:
        raise NotFound(f"No {method} second factor is set up.")
    before = confirmed_methods(uow, user_id)
    for factor in factors:
        uow.second_factors.remove(factor)
    uow.flush()
    after = _status_changed(uow, user, before)
    if not after:
        uow.recovery_codes.remove_of(user_id)
    uow.commit()
    return after

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
