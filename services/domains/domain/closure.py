"""ID-11: a person closes their account; domains forgets them and confirms to identity.

Domains belong to organizations, not to people: no row here names the person, so there is
nothing to detach, only to confirm.
"""
from __future__ import annotations

from portico_kernel.events import Envelope

from .events import PersonalDataErased


def on_account_closure_requested(event: Envelope, uow) -> None:
    uow.emit(PersonalDataErased(closure_id=event.payload["closure_id"], user_id=event.payload["user_id"],
                                service="domains"))


HANDLERS = {"AccountClosureRequested": on_account_closure_requested}
