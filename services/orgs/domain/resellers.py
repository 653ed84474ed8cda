"""OR-19: a customer organization lets a reseller (partner, agency) manage it through the API.

The customer's legal representative links and unlinks; the gateway keeps the links and lets the
reseller's API keys act for linked customers only.
"""
from __future__ import annotations

from portico_kernel.principal import Principal
from portico_kernel.errors import Conflict, Forbidden, Invalid, NotFound
from portico_kernel.paging import ALL, Page, PageRequest

from .events import ResellerLinked, ResellerUnlinked
from .model import LEGAL_REPRESENTATIVE, ResellerLink
from .organizations import membership_in


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
