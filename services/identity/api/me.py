"""The signed-in person's own account (`/v1/me`)."""
from __future__ import annotations

from portico_kernel.errors import NotFound
from portico_kernel.web import principal

from ..bootstrap import bootstrap
from ._views import user_view


def get_me():
    caller = principal()
    with bootstrap().uow() as uow:
        user = uow.users.get(caller.user_id)
        if user is None:
            raise NotFound("This account does not exist (any more).")
        return user_view(user, uow.memberships.of_user(user.id)), 200
