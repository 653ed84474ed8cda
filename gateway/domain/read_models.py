"""What the gateway learns from other services' events, for the checks it makes on every call:
which organizations require 2FA and who has it (GW-02), which reseller manages which customer (GW-03),
which members are blocked in which organization (OR-13), and when a person's applications lost their
ground in an organization (left, removed, blocked, account closed: ID-13).
The latest change wins, by when it happened (the envelope's `occurred_at`)."""
from __future__ import annotations

from .events import (AccountClosed, MemberJoined, MemberLeft, MemberBlocked, MemberUnblocked, ResellerLinked, ResellerUnlinked, TwoFactorPolicyChanged,
                     TwoFactorStatusChanged)
from .tokens import EVERY_ORGANIZATION


def on_two_factor_policy_changed(policy: TwoFactorPolicyChanged, uow) -> None:
    uow.read_models.set_policy(policy.org_id, policy.required, uow.received.occurred_at)


def on_two_factor_status_changed(status: TwoFactorStatusChanged, uow) -> None:
    uow.read_models.set_two_factor(status.user_id, status.enabled, status.methods, uow.received.occurred_at)


def on_reseller_linked(link: ResellerLinked, uow) -> None:
    uow.read_models.link(link.reseller_org_id, link.customer_org_id)


def on_reseller_unlinked(link: ResellerUnlinked, uow) -> None:
    uow.read_models.unlink(link.reseller_org_id, link.customer_org_id)


def on_member_blocked(blocked: MemberBlocked, uow) -> None:
    uow.read_models.set_blocked(blocked.org_id, blocked.user_id, True, uow.received.occurred_at)
    uow.read_models.end_delegations(blocked.org_id, blocked.user_id, uow.received.occurred_at, left=False)


def on_member_left(left: MemberLeft, uow) -> None:
    """Left, removed, or leaving with the account closed: the person's applications are refused there."""
    uow.read_models.end_delegations(left.org_id, left.user_id, uow.received.occurred_at, left=True)


def on_member_joined(joined: MemberJoined, uow) -> None:
    """Back in the organization: applications the person grants access from now on work again."""
    uow.read_models.rejoined(joined.org_id, joined.user_id, uow.received.occurred_at)


def on_account_closed(closed: AccountClosed, uow) -> None:
    uow.read_models.end_delegations(EVERY_ORGANIZATION, closed.user_id, uow.received.occurred_at, left=True)


def on_member_unblocked(unblocked: MemberUnblocked, uow) -> None:
    uow.read_models.set_blocked(unblocked.org_id, unblocked.user_id, False, uow.received.occurred_at)
