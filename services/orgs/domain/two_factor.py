"""OR-10: an administrator or legal representative requires 2FA for the whole organization.

Orgs keeps the choice and announces it (`TwoFactorPolicyChanged`); the gateway enforces it for the
organization a token acts for (GW-02), orgs for every organization a request reaches
(organizations.membership_in), by the kernel's rule (portico_kernel/two_factor.py).
"""
from __future__ import annotations

from portico_kernel.principal import Principal
from portico_kernel.errors import Conflict

from .events import TwoFactorPolicyChanged
from .model import Organization
from .organizations import managing


def set_policy(uow, caller: Principal, org_id: str, required: bool) -> Organization:
    """Administrators and legal representatives decide (or an API key acting for the organization);
    a person requiring 2FA has set it up on their own account first, so that they do not lock
    themselves out, even from turning it off again."""
    org, member = managing(uow, caller, org_id)
    if required and member is not None and not uow.two_factor.enabled(caller.user_id):
        raise Conflict("Set up two-factor authentication on your own account first (/v1/me/two-factor); "
                       "otherwise requiring it would lock you out.", problem="two-factor-not-enabled")
    if org.two_factor_required != required:
        org.two_factor_required = required
        uow.emit(TwoFactorPolicyChanged(org_id=org_id, required=required, changed_by=caller.user_id), org_id=org_id)
        uow.commit()
    return org
