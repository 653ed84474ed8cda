"""A domain of an organization, as its members see and change it (DO-01)."""
from __future__ import annotations

from portico_kernel.access import active_org
from portico_kernel.errors import Forbidden, NotFound
from portico_kernel.roles import MANAGING_ROLES

from .model import Domain


def domain_of(uow, caller, domain_id: str) -> Domain:
    """The domain, if it is the caller's organization's: another's is not found (no leak)."""
    org_id = active_org(caller)
    domain = uow.domains.get(domain_id)
    if domain is None or domain.org_id != org_id:
        raise NotFound("No such domain.")
    return domain


def ensure_manages(caller) -> None:
    """Ordering and changing domains: the organization's legal representatives and administrators,
    and its API keys (with the domains:write scope the gateway checks); not the provider's staff."""
    if caller.is_staff:
        raise Forbidden("Staff do not order or change customers' domains.")
    if not (caller.is_api_key or caller.has_role(*MANAGING_ROLES)):
        raise Forbidden("Only the organization's legal representatives and administrators order and change domains.",
                        problem="not-a-manager")


def set_auto_renew(uow, caller, domain_id: str, on: bool) -> Domain:
    domain = domain_of(uow, caller, domain_id)
    ensure_manages(caller)
    domain.auto_renew = bool(on)
    return domain
