"""A person's signed-in devices: list them, end one, and change the password (ID-08)."""
from __future__ import annotations

from portico_kernel.errors import Invalid, NotFound
from portico_kernel.paging import ALL, Page, PageRequest

from . import security
from .model import SignInSession
from .passwords import PasswordHasher, check_password_rules
from .profile import confirmed_account


def active_sessions(uow, user_id: str, page: PageRequest = ALL) -> Page[SignInSession]:
    return uow.sessions.active_of_user(user_id, page)


def end_session(uow, user_id: str, session_id: str) -> None:
    """Ending a session makes its refresh token useless; its access token lapses within minutes."""
    session = uow.sessions.get(session_id)
    if session is None or session.user_id != user_id or not session.active:
        raise NotFound("No such session.")
    session.end("ended-by-user")
    uow.commit()


def change_password(uow, hasher: PasswordHasher, user_id: str, *, current_password: str, new_password: str,
                    current_session_id: str | None) -> int:
    """ID-08: the current password is required, and every other session ends (a thief who knew
    the old password is signed out). Returns how many sessions ended."""
    user = confirmed_account(uow, hasher, user_id, current_password)
    _check_new_password(new_password)
    user.password_hash = hasher.hash(new_password)
    others = [s for s in uow.sessions.active_of_user(user_id) if s.id != current_session_id]
    for session in others:
        session.end("password-changed")
    security.record(uow, user, "password-changed", details={"other_sessions_ended": len(others)},
                    alert="password-changed")
    uow.commit()
    return len(others)


def _check_new_password(password: str) -> None:
    """The password rules, reported against the field that carries the new password."""
    try:
        check_password_rules(password)
    except Invalid as error:
        params = [{**p, "name": "new_password"} for p in error.extra.get("invalid_params", [])]
        raise Invalid(error.detail, problem=error.problem, invalid_params=params) from error
