"""OR-15: a legal representative deletes an organization, with the password just re-entered, only
when it has no products, no other members, no unpaid invoices and no prepaid balance; every reason
that stands in the way is named at once. The user accounts stay.

Products are known from their services' events, debts and balance from billing's
(`BillingStandingChanged`), so no other service is asked at the moment of deletion.
"""
from __future__ import annotations

from portico_kernel.access import ensure_recent_password
from portico_kernel.errors import Conflict, Forbidden
from portico_kernel.principal import Principal

from .events import BillingStandingChanged, MemberLeft, OrganizationDeleted, ResellerUnlinked
from .model import LEGAL_REPRESENTATIVE
from .organizations import acting_in


def on_billing_standing_changed(standing: BillingStandingChanged, uow) -> None:
    """Billing's latest word wins, not the last to arrive: a delivery retried after a newer one
    (the bus does not keep order across retries) would otherwise bring back an old standing."""
    org = uow.organizations.get(standing.org_id)
    if org is None:
        return
    said_at = uow.received.occurred_at if getattr(uow, "received", None) else uow.clock.now()
    if org.billing_standing_at is not None and said_at < org.billing_standing_at:
        return
    org.unpaid_invoices, org.prepaid_balance_minor = standing.unpaid_invoices, standing.prepaid_balance_minor
    org.billing_standing_at = said_at


def reasons_against(uow, org, caller_id: str) -> list[dict]:
    reasons = []
    products = len(uow.products.of_organization(org.id))
    if products:
        reasons.append({"reason": "has-products", "detail": f"{products} product(s) still belong to it"})
    others = [m for m in uow.members.of_organization(org.id) if m.user_id != caller_id]
    if others:
        reasons.append({"reason": "has-other-members", "detail": f"{len(others)} other member(s)"})
    if org.unpaid_invoices:
        reasons.append({"reason": "has-unpaid-invoices", "detail": f"{org.unpaid_invoices} unpaid invoice(s)"})
    if org.prepaid_balance_minor:
        reasons.append({"reason": "has-prepaid-balance", "detail": "a prepaid balance remains"})
    return reasons


def delete(uow, caller: Principal, org_id: str) -> None:
    org, member = acting_in(uow, caller, org_id)
    if member is None or member.role != LEGAL_REPRESENTATIVE:
        raise Forbidden("Only a legal representative deletes the organization.", problem="legal-representative-only")
    ensure_recent_password(caller, uow.clock.now())
    reasons = reasons_against(uow, org, caller.user_id)
    if reasons:
        raise Conflict("The organization cannot be deleted yet: " + "; ".join(r["detail"] for r in reasons) + ".",
                       problem="organization-not-empty", reasons=reasons)
    for invitation in uow.invitations.of_organization(org_id):
        uow.invitations.remove(invitation)
    for grant in uow.grants.of_organization(org_id):
        uow.grants.remove(grant)
    for link in [*uow.reseller_links.of_customer(org_id), *uow.reseller_links.of_reseller(org_id)]:
        uow.reseller_links.remove(link)
        uow.emit(ResellerUnlinked(reseller_org_id=link.reseller_org_id, customer_org_id=link.customer_org_id), org_id=org_id)
    for seat in uow.seats.of_organization(org_id):
        uow.seats.remove(seat)
    logo = uow.logos.get(org_id)
    if logo is not None:
        uow.logos.remove(logo)
    for contact in uow.contacts.of_organization(org_id):
        uow.contacts.remove(contact)
    for address in uow.billing_addresses.of_organization(org_id):
        uow.billing_addresses.remove(address)
    for group in uow.work_groups.of_organization(org_id):
        for membership in uow.work_groups.members_of(group.id):
            uow.work_groups.remove_member(membership)
        uow.work_groups.remove(group)
    uow.members.remove(member)
    uow.flush()
    uow.organizations.remove(org)
    uow.emit(MemberLeft(org_id=org_id, user_id=caller.user_id), org_id=org_id)
    uow.emit(OrganizationDeleted(org_id=org_id, deleted_by=caller.user_id), org_id=org_id)
    uow.commit()
