"""One-time recovery codes, for when no second factor is at hand (ID-09)."""
from __future__ import annotations

from portico_kernel.errors import Conflict

from ..profile import confirmed_account
from ..security import record
from .methods import confirmed_methods, _new_recovery_codes


def regenerate_recovery_codes(uow, hasher, user_id: str, password: str) -> list[str]:
    user = confirmed_account(uow, hasher, user_id, password)
    if not confirmed_methods(uow, user_id):
        raise Conflict("Recovery codes come with two-factor authentication; set it up first.",
                       problem="two-factor-not-enabled")
    codes = _new_recovery_codes(uow, user_id)
    record(uow, user, "recovery-codes-regenerated", alert="recovery-codes-regenerated")
    uow.commit()
    return codes
