"""ID-11: a person closes their account; tickets forgets them and confirms to identity.

The organization keeps its tickets (their history is the organization's), but no longer who
opened them.
"""
from __future__ import annotations

from .events import AccountClosureRequested, PersonalDataErased

# Stands in for a person who closed their account.
FORGOTTEN_PERSON = "00000000-0000-0000-0000-000000000000"


def on_account_closure_requested(closing: AccountClosureRequested, uow) -> None:
    user_id = closing.user_id
    for ticket in uow.tickets.opened_by(user_id):
        ticket.opened_by = FORGOTTEN_PERSON
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=user_id, service="tickets"))
