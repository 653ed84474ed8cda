"""Who sees an organization's billing (BI-15), and who changes its products.

The kernel's one answer (portico_kernel/product_access.py): billing is a product type of its own
(`billing`, right `accounting`, contracts/product-types.yaml). Legal representatives and
administrators may (by the role in their token), API keys by their scope, other members when orgs
granted them `accounting` on billing (a grant of scope `type`), read from billing's copy of their
access (orgs' MemberAccessChanged). The provider's billing staff see every organization's billing.
Another organization's billing does not exist for the caller (404).
"""
from __future__ import annotations

from portico_kernel.errors import Forbidden
from portico_kernel.principal import Principal
from portico_kernel.product_access import MANAGE, ensure_may

BILLING, ACCOUNTING = "billing", "accounting"
BILLING_STAFF = ("platform:admin", "platform:billing-clerk")
SUPPORT_STAFF = BILLING_STAFF + ("platform:support-agent",)


def _access_of(uow):
    return lambda org_id, user_id: uow.member_access.get(org_id, user_id)


def ensure_sees_billing(uow, caller: Principal, org_id: str) -> None:
    if caller.is_staff:
        if not caller.has_role(*BILLING_STAFF):
            raise Forbidden("Billing is visible to billing staff only.")
        return
    ensure_may(caller, org_id, BILLING, org_id, ACCOUNTING, _access_of(uow))


def ensure_orders(uow, caller: Principal, org_id: str) -> None:
    """Ordering commits the organization's money: whoever may see its billing, but not staff."""
    if caller.is_staff:
        raise Forbidden("Staff do not order for customers.")
    ensure_may(caller, org_id, BILLING, org_id, ACCOUNTING, _access_of(uow))


def ensure_manages(uow, caller: Principal, org_id: str, product_type: str, subscription_id: str) -> None:
    """A subscription is the product orgs knows (its type, its id): changing it needs `manage` on it."""
    ensure_may(caller, org_id, product_type, subscription_id, MANAGE, _access_of(uow))


def ensure_billing_staff(caller: Principal) -> None:
    if not (caller.is_staff and caller.has_role(*BILLING_STAFF)):
        raise Forbidden("Only the provider's billing staff do this.")


def ensure_support_staff(caller: Principal) -> None:
    """Support grants free options (BI-12): billing staff, or any support agent."""
    if not caller.is_staff or not (caller.has_role(*BILLING_STAFF)
                                   or any(r.startswith("platform:support-agent") for r in caller.roles)):
        raise Forbidden("Only the provider's support or billing staff grant free options.")
