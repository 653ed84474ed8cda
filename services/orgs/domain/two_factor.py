"""OR-10: an administrator or legal representative requires 2FA for the whole organization.

Orgs keeps the choice and announces it (`TwoFactorPolicyChanged`); the gateway enforces it for the
organization a token acts for (GW-02), orgs for every organization a request reaches
(organizations.membership_in), by the kernel's rule (portico_kernel/two_factor.py).
"""
from __future__ import annotations

from portico_kernel.principal import Principal
from portico_kernel.errors import Forbidden

from .events import TwoFactorPolicyChanged
from .model import ADMINISTRATOR, LEGAL_REPRESENTATIVE, Organization
from .organizations import membership_in


def set_policy(uow, caller: Principal, org_id: str, required: bool) -> Organization:
    org, member = membership_in(uow, org_id, caller)
    if member.role not in (ADMINISTRATOR, LEGAL_REPRESENTATIVE):
        raise Forbidden("Only administrators and legal representatives decide whether the organization requires 2FA.")
    if org.two_factor_required != required:
        org.two_factor_required = required
        uow.emit(TwoFactorPolicyChanged(org_id=org_id, required=required, changed_by=caller.user_id), org_id=org_id)
        uow.commit()
    return org
