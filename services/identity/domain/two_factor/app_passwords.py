"""App passwords (ID-10): with 2FA on, one per tool that cannot do 2FA (sync, desktop, mobile)."""
from __future__ import annotations

import secrets

from portico_kernel.errors import Conflict, NotFound
from portico_kernel.clock import utcnow

from ..model import User, hash_token, new_id
from ..profile import account_of
from ..security import record
from .methods import confirmed_methods
from .model import AppPassword


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
