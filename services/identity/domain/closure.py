"""Close the account and be forgotten (ID-11): a saga over the event bus.

Identity announces AccountClosureRequested; every service that holds personal data erases or
anonymizes the person's data and answers PersonalDataErased; when all have answered, identity
anonymizes the account itself, ends its sessions and announces AccountClosed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portico_kernel.errors import Conflict
from portico_kernel.clock import utcnow
from portico_kernel.roles import LEGAL_REPRESENTATIVE
from . import oauth
from .events import AccountClosed, AccountClosureRequested, PersonalDataErased
from .model import new_id
from .passwords import PasswordHasher
from .profile import confirmed_account

# The services that hold personal data and must confirm its erasure (each receives
# AccountClosureRequested, see contracts/events/asyncapi.yaml).
SERVICES_HOLDING_PERSONAL_DATA = ("orgs", "billing", "domains", "tickets", "notifications")


@dataclass(eq=False)
class AccountClosure:
    id: str
    user_id: str
    confirmed_by: list[str] = field(default_factory=list)
    requested_at: datetime = field(default_factory=utcnow)
    completed_at: datetime | None = None

    @property
    def waiting_for(self) -> list[str]:
        return [s for s in SERVICES_HOLDING_PERSONAL_DATA if s not in self.confirmed_by]

    @property
    def status(self) -> str:
        return "completed" if self.completed_at else "requested"


def organizations_blocking_closure(uow, user_id: str) -> list[str]:
    """Organizations that would be left with members but without a legal representative."""
    blocking = []
    for membership in uow.memberships.of_user(user_id):
        if membership.role != LEGAL_REPRESENTATIVE:
            continue
        members = uow.memberships.of_org(membership.org_id)
        others = [m for m in members if m.user_id != user_id]
        if others and not any(m.role == LEGAL_REPRESENTATIVE for m in others):
            blocking.append(membership.org_id)
    return blocking


def request_closure(uow, hasher: PasswordHasher, user_id: str, *, password: str) -> AccountClosure:
    """ID-11: the password is required; refused while the person is the only legal representative
    of an organization that has other members (OR-09: the last legal representative stays)."""
    confirmed_account(uow, hasher, user_id, password)
    running = uow.closures.of_user(user_id)
    if running is not None:
        return running
    blocking = organizations_blocking_closure(uow, user_id)
    if blocking:
        raise Conflict("You are the only legal representative of an organization that has other members: "
                       "make someone else its legal representative first.",
                       problem="sole-legal-representative", org_ids=blocking)
    closure = AccountClosure(id=new_id(), user_id=user_id)
    uow.closures.add(closure)
    uow.emit(AccountClosureRequested(user_id=user_id, closure_id=closure.id))
    uow.commit()
    return closure


def closure_of(uow, user_id: str) -> AccountClosure | None:
    return uow.closures.of_user(user_id)


def on_personal_data_erased(erased: PersonalDataErased, uow) -> None:
    """The confirmation is the producer's: the service that sent the event, not one it names."""
    service = uow.received.producer
    closure = uow.closures.get_for_update(erased.closure_id)
    if closure is None or closure.completed_at is not None or service in closure.confirmed_by:
        return
    closure.confirmed_by = [*closure.confirmed_by, service]
    if not closure.waiting_for:
        _forget(uow, closure)


def _forget(uow, closure: AccountClosure) -> None:
    """Everyone else has forgotten the person: identity anonymizes the account itself. The row
    stays (under a placeholder address, free for a new sign-up) so that ids elsewhere stay unique."""
    user = uow.users.get(closure.user_id)
    for session in uow.sessions.active_of_user(user.id):
        session.end("account-closed")
    oauth.end_grants_of(uow, user.id, None, "account closed", every_org=True)  # ID-13
    uow.personal_data.erase(user)
    user.email = f"closed-{user.id}@closed.invalid"
    user.email_key = user.email
    user.first_name = user.last_name = ""
    user.password_hash = "!"  # no password matches
    user.country = user.time_zone = None
    user.status = "closed"
    closure.completed_at = utcnow()
    uow.emit(AccountClosed(user_id=user.id))

