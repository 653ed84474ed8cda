"""ID-11: a person closes their account; billing forgets them and confirms to identity.

Billing keeps its records per organization (accounts, balances; invoices as the law requires)
and holds nothing that names a person: there is nothing to detach, only to confirm. Whatever
personal data billing comes to hold (e.g. a contact on an invoice) is detached here.
"""
from __future__ import annotations

from .events import AccountClosureRequested, PersonalDataErased


def on_account_closure_requested(closing: AccountClosureRequested, uow) -> None:
    uow.emit(PersonalDataErased(closure_id=closing.closure_id, user_id=closing.user_id, service="billing"))
