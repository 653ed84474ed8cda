"""DO-05: a domain in its redemption period is restored: an order of kind `restore`, priced at the TLD's
restore fee plus a year's renewal, paid through billing like any order (`DomainOrderPlaced`, invoice
reference `domain-order:<order_id>`); once paid, the scheduler asks the registry for the restore and
reports it (RFC 3915 restore request and report), renews the domain where the registry has not, and
the domain is active again (`DomainStateChanged`).

Where the TLD cannot restore (tlds.yaml `restorable: false`), or the domain is not in its redemption
period, there is nothing to order (409). Asking the registry again after a crash is harmless: a restore
already requested is reported, one already reported is recognized by the registry's record.
"""
from __future__ import annotations

import uuid
from datetime import timezone

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, NotFound

from . import lifecycle
from .domains import ensure_manages
from .events import DomainOrderPlaced, DomainStateChanged
from .model import Domain
from .orders import AWAITING_PAYMENT, COMPLETED, DomainOrder, fail
from .registry import STATUS_PROHIBITS, Registry, RegistryRefused, RestoreReport
from .renewals import renew_at_registry
from .tld_rules import TldRules

RESTORE = "restore"
REASON = "The registrant did not renew in time and asked for the domain back within its redemption period."
STATEMENTS = ("This registrar has not restored the Registered Name in order to assume the rights to use or "
              "sell the Registered Name for itself or for any third party.",
              "The information in this report is true to best of this registrar's knowledge, and this registrar "
              "acknowledges that intentionally supplying false information in the Restore Report shall "
              "constitute an incurable material breach of the Registry-Registrar Agreement.")


def order_restore(uow, caller, org_id: str, domain_id: str) -> DomainOrder:
    """The restore of a domain in its redemption period, for billing to invoice (restore fee plus a
    year's renewal)."""
    domain = uow.domains.get(domain_id, for_update=True)
    if domain is None or domain.org_id != org_id:
        raise NotFound("No such domain.")
    ensure_manages(caller)
    rules = uow.catalog.for_domain(domain.name)
    if not rules.restorable:
        raise Conflict(f".{rules.tld} domains cannot be restored once expired: the registry releases them.")
    today = lifecycle.utc_day(uow.clock.now())
    if domain.status != "redemption" or lifecycle.status_on(rules, domain.expires_on, today) != "redemption":
        raise Conflict(f"The domain is {domain.status.replace('_', ' ')}: only a domain in its redemption period "
                       "is restored.")
    currency = uow.currencies.of(org_id)
    if currency is None:
        raise Conflict("The organization's billing account is not open yet; try again in a moment.",
                       problem="billing-account-pending")
    open_order = uow.orders.open_for(domain.name)
    if open_order is not None:
        if open_order.kind == RESTORE and open_order.domain_id == domain.id:
            return open_order
        raise Conflict(f"{domain.name} is being ordered already.", problem="domain-order-open")
    quote = lifecycle.price_to_keep(rules, domain.expires_on, today, currency, rules.periods[0])
    now = uow.clock.now()
    order = DomainOrder(id=str(uuid.uuid4()), org_id=org_id, kind=RESTORE, domain=domain.name, years=quote.years,
                        price_minor=quote.total.amount_minor, currency=currency, status=AWAITING_PAYMENT,
                        created_at=now, updated_at=now, domain_id=domain.id, open_name=domain.name)
    uow.orders.add(order)
    uow.emit(DomainOrderPlaced(org_id=org_id, order_id=order.id, kind=RESTORE, domain=domain.name, years=order.years,
                               price=order.price()), org_id=org_id)
    return order


def restore_at_registry(registry: Registry, name: str, deleted_on, now) -> None:
    """RFC 3915: the restore request, then its report; a step done before is not done again."""
    info = registry.domain_info(name)
    deleting = "pendingDelete" in info.statuses or {"redemptionPeriod", "pendingRestore"} & set(info.grace_statuses)
    if not deleting:
        return  # restored already
    if "pendingRestore" not in info.grace_statuses:
        try:
            registry.request_restore(name)
        except RegistryRefused as refused:
            if refused.code != STATUS_PROHIBITS:
                raise
    summary = f"Domain {name}, sponsored by this registrar, deleted on {deleted_on.isoformat()}"
    registry.report_restore(name, RestoreReport(before_deletion=summary, after_restore=f"Domain {name}, restored",
                                                deleted_at=now, restored_at=now, reason=REASON, statements=STATEMENTS))


def carry_out_restore(uow, order: DomainOrder, registry: Registry, rules: TldRules) -> None:
    """The paid restore: at the registry, then renewed, and the domain active again. Raises what the
    registry raises (the order's step is tried again, or fails with the registry's reason)."""
    domain: Domain | None = uow.domains.get(order.domain_id, for_update=True) if order.domain_id else None
    now = uow.clock.now()
    if domain is None or domain.status != "redemption":
        fail(uow, order, "the domain is no longer in its redemption period")
        return
    restore_at_registry(registry, domain.name, domain.expires_on, now)
    new_expiry = renew_at_registry(registry, rules, domain.name, domain.expires_on, max(order.years, 1))
    at = domain.expires_at if domain.expires_at.tzinfo else domain.expires_at.replace(tzinfo=timezone.utc)
    domain.expires_at = at.replace(year=new_expiry.year, month=new_expiry.month, day=new_expiry.day)
    domain.status = "active"
    domain.due_on = lifecycle.next_check(rules, domain.expires_on, lifecycle.utc_day(now), uow.catalog.renewal_lead_days)
    order.status, order.open_name, order.next_attempt_at, order.updated_at, order.reason = COMPLETED, None, None, now, None
    uow.emit(DomainStateChanged(org_id=domain.org_id, domain_id=domain.id, domain=domain.name, status="active",
                                expires_on=domain.expires_on.isoformat(), at=iso_utc(now)), org_id=domain.org_id)
