"""ID-11: a person closes their account; domains forgets them and confirms to identity.

Domains belong to organizations, not to people: no row here names the person, so there is
nothing to detach, only to confirm.
"""
from __future__ import annotations

from .events import AccountClosureRequested, PersonalDataErased


def on_account_closure_requested(closing: AccountClosureRequested, uow) -> None:
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=closing.user_id, service="domains"))
