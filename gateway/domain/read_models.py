"""What the gateway learns from other services' events, for the checks it makes on every call:
which organizations require 2FA and who has it (GW-02), which reseller manages which customer (GW-03)."""
from __future__ import annotations

from datetime import datetime

from portico_kernel.events import Envelope


def _occurred(event: Envelope) -> datetime:
    return datetime.fromisoformat(event.occurred_at.replace("Z", "+00:00"))


def on_two_factor_policy_changed(event: Envelope, uow) -> None:
    uow.read_models.set_policy(event.payload["org_id"], event.payload["required"], _occurred(event))


def on_two_factor_status_changed(event: Envelope, uow) -> None:
    payload = event.payload
    uow.read_models.set_two_factor(payload["user_id"], payload["enabled"], payload["methods"], _occurred(event))


def on_reseller_linked(event: Envelope, uow) -> None:
    uow.read_models.link(event.payload["reseller_org_id"], event.payload["customer_org_id"])


def on_reseller_unlinked(event: Envelope, uow) -> None:
    uow.read_models.unlink(event.payload["reseller_org_id"], event.payload["customer_org_id"])


HANDLERS = {
    "TwoFactorPolicyChanged": on_two_factor_policy_changed,
    "TwoFactorStatusChanged": on_two_factor_status_changed,
    "ResellerLinked": on_reseller_linked,
    "ResellerUnlinked": on_reseller_unlinked,
}
