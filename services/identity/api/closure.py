"""`/v1/me/closure`: close the account and be forgotten (ID-11)."""
from __future__ import annotations

from portico_kernel.errors import NotFound
from portico_kernel.web import principal

from ..bootstrap import bootstrap, hasher
from ..domain import closure
from ._views import iso


def _view(item: closure.AccountClosure) -> dict:
    return {"id": item.id, "status": item.status, "waiting_for": item.waiting_for,
            "requested_at": iso(item.requested_at), "completed_at": iso(item.completed_at)}


def request_closure(body: dict):
    with bootstrap().uow() as uow:
        return _view(closure.request_closure(uow, hasher(), principal().user_id, password=body["password"])), 202


def get_closure():
    with bootstrap().uow(reading=True) as uow:
        item = closure.closure_of(uow, principal().user_id)
        if item is None:
            raise NotFound("This account has not asked to be closed.")
        return _view(item), 200
