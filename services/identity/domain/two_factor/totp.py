"""An authenticator app (TOTP, RFC 6238) as a second factor (ID-09)."""
from __future__ import annotations

import secrets
import time

import pyotp

from portico_kernel.errors import Conflict, NotFound

from ..model import new_id
from ..profile import account_of
from .methods import _confirm
from .model import ISSUER, TOTP, TOTP_STEP, SecondFactor


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
