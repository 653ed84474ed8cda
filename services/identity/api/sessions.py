"""`/v1/me/sessions` and `/v1/me/password`: the signed-in devices of the caller (ID-08)."""
from __future__ import annotations

from portico_kernel.web import page_asked, paged, principal

from ..bootstrap import bootstrap, hasher
from ..domain import sessions
from ._views import iso


def list_sessions(limit=None, cursor=None):
    caller = principal()
    with bootstrap().uow(reading=True) as uow:
        return paged(sessions.active_sessions(uow, caller.user_id, page_asked(limit, cursor)), lambda s: {
            "id": s.id,
            "device": s.user_agent,
            "place": s.ip_address,
            "created_at": iso(s.created_at),
            "last_used_at": iso(s.last_used_at),
            "current": s.id == caller.session_id,
        })


def end_session(session_id: str):
    with bootstrap().uow() as uow:
        sessions.end_session(uow, principal().user_id, session_id)
    return None, 204


def change_password(body: dict):
    caller = principal()
    with bootstrap().uow() as uow:
        ended = sessions.change_password(uow, hasher(), caller.user_id, current_password=body["current_password"],
                                         new_password=body["new_password"], current_session_id=caller.session_id)
    return {"other_sessions_ended": ended}, 200
