"""OR-19: a customer organization lets a reseller (partner, agency) manage it through the API.

The customer's legal representative links and unlinks; the gateway keeps the links and lets the
reseller's API keys act for linked customers only.
"""
from __future__ import annotations

from portico_kernel.principal import Principal
from portico_kernel.errors import Conflict, Forbidden, Invalid, NotFound
from portico_kernel.paging import ALL, Page, PageRequest

from .events import OrganizationCreated, ResellerLinked, ResellerUnlinked
from .model import LEGAL_REPRESENTATIVE, ORGANIZATION_TYPES, Organization, ResellerLink, new_id
from .organizations import managing, membership_in

PLATFORM_ADMIN = "platform:admin"


def _as_legal_representative(uow, caller: Principal, customer_org_id: str) -> None:
    _, member = membership_in(uow, customer_org_id, caller)
    if member.role != LEGAL_REPRESENTATIVE:
        raise Forbidden("Only a legal representative decides who manages the organization as its reseller.")


def resellers_of(uow, caller: Principal, customer_org_id: str, page: PageRequest = ALL) -> Page[ResellerLink]:
    membership_in(uow, customer_org_id, caller)
    return uow.reseller_links.of_customer(customer_org_id, page)


def link(uow, caller: Principal, customer_org_id: str, reseller_org_id: str) -> ResellerLink:
    _as_legal_representative(uow, caller, customer_org_id)
    if reseller_org_id == customer_org_id:
        raise Invalid("An organization cannot be its own reseller.")
    if uow.organizations.get(reseller_org_id) is None:
        raise NotFound("No such reseller organization.", problem="unknown-reseller")
    if uow.reseller_links.get(reseller_org_id, customer_org_id) is not None:
        raise Conflict("This reseller manages the organization already.", problem="already-linked")
    created = ResellerLink(reseller_org_id=reseller_org_id, customer_org_id=customer_org_id, linked_by=caller.user_id)
    uow.reseller_links.add(created)
    uow.emit(ResellerLinked(reseller_org_id=reseller_org_id, customer_org_id=customer_org_id), org_id=customer_org_id)
    uow.commit()
    return created


def unlink(uow, caller: Principal, customer_org_id: str, reseller_org_id: str) -> None:
    _as_legal_representative(uow, caller, customer_org_id)
    existing = uow.reseller_links.get(reseller_org_id, customer_org_id)
    if existing is None:
        raise NotFound("This reseller does not manage the organization.")
    uow.reseller_links.remove(existing)
    uow.emit(ResellerUnlinked(reseller_org_id=reseller_org_id, customer_org_id=customer_org_id), org_id=customer_org_id)
    uow.commit()


def make_reseller(uow, caller: Principal, org_id: str, is_reseller: bool) -> Organization:
    """The provider's platform administrators decide which organizations are partners (OR-19)."""
    if not (caller.is_staff and caller.has_role(PLATFORM_ADMIN)):
        raise Forbidden("Only the provider's platform administrators make an organization a reseller.")
    org = uow.organizations.get(org_id)
    if org is None:
        raise NotFound("No such organization.")
    org.is_reseller = is_reseller
    uow.commit()
    return org


def create_customer(uow, caller: Principal, reseller_org_id: str, name: str, org_type: str,
                    country: str | None) -> Organization:
    """OR-19: a reseller creates a customer organization and manages it through its API keys (the
    link is made at once). The customer has no member yet: the reseller invites its first legal
    representative, who sees the link and can end it."""
    reseller, _ = managing(uow, caller, reseller_org_id)
    if not reseller.is_reseller:
        raise Forbidden("This organization is not a reseller; the provider makes partners resellers.", problem="not-a-reseller")
    if not name.strip():
        raise Invalid("A customer organization needs a name.", invalid_params=[{"name": "name", "reason": "empty"}])
    if org_type not in ORGANIZATION_TYPES:
        raise Invalid("Unknown organization type.", invalid_params=[{"name": "type", "reason": "unknown"}])
    customer = Organization(id=new_id(), name=name.strip(), type=org_type, country=country.upper() if country else None,
                            created_by=caller.user_id, created_at=uow.clock.now())
    uow.organizations.add(customer)
    uow.reseller_links.add(ResellerLink(reseller_org_id=reseller.id, customer_org_id=customer.id, linked_by=caller.user_id,
                                        linked_at=uow.clock.now()))
    uow.emit(OrganizationCreated(org_id=customer.id, name=customer.name, type=customer.type, country=customer.country,
                                 created_by=caller.user_id), org_id=customer.id)
    uow.emit(ResellerLinked(reseller_org_id=reseller.id, customer_org_id=customer.id), org_id=customer.id)
    uow.commit()
    return customer


def customers_of(uow, caller: Principal, reseller_org_id: str, page: PageRequest = ALL) -> Page[ResellerLink]:
    managing(uow, caller, reseller_org_id)
    return uow.reseller_links.of_reseller_paged(reseller_org_id, page)
