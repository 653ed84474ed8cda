"""ID-11: a person closes their account; billing forgets them and confirms to identity.

Billing keeps its records per organization (accounts, balances, subscriptions) and names no person
but on its invoices, which name the organization (a personal one bears the person's name) as the
law requires them to be kept (Swiss VAT act art. 70): they stay. There is nothing to detach, only to
confirm.
"""
from __future__ import annotations

from .events import AccountClosureRequested, PersonalDataErased


def on_account_closure_requested(closing: AccountClosureRequested, uow) -> None:
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=closing.user_id, service="billing"))
