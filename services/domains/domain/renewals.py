"""DO-07, DO-06: a domain's renewal works like any product's: billing invoices it (reference
`domain-renewal:<domain_id>:<expires_on>`, once per term) and collects it; once `InvoicePaid` names that
reference, domains renews at the registry, once, and keeps the new expiry.

A renewal is asked for by the scheduler (automatic renewal, `renewal_lead_days` before expiry; the
renewal warranty on its day), or by the customer (the API), before expiry or in the auto-renew grace at
the normal price. Each term's renewal is one row (`domain_renewals`, unique per domain and expiry): a
second scheduler, a replayed event or a second request asks and renews nothing twice.

At the registry (`renew_at_registry`) the expiry the registry has decides: a registry that renewed
already (its own automatic renewal in the grace, or our earlier attempt whose answer was lost) is not
asked again; otherwise EPP renew names the current expiry, which a registry refuses to apply twice.
Where the registry renews by itself at expiry (tlds.yaml `renewal: automatic`: SWITCH, DENIC,
Registro.it) nothing is sent: paying is what keeps us from deleting the name.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone

from portico_kernel.clock import iso_utc
from portico_kernel.errors import Conflict, NotFound, invalid_field

from . import lifecycle
from .domains import ensure_manages
from .events import DomainRenewalRequested, DomainRenewalWithdrawn, DomainStateChanged, InvoicePaid
from .lifecycle import RENEWABLE, RenewalRefused, expiry_after_renewal, phase_on
from .model import Domain
from .registry import Registry, RegistryRefused
from .tld_rules import Money, TldRules

log = logging.getLogger(__name__)

REQUESTED, RENEWED, REFUSED = "requested", "renewed", "refused"
AUTO_RENEW, WARRANTY, CUSTOMER = "auto_renew", "warranty", "customer"
PREFIX = "domain-renewal:"


def reference(domain_id: str, expires_on: date) -> str:
    return f"{PREFIX}{domain_id}:{expires_on.isoformat()}"


def parse_reference(text: str | None) -> tuple[str, date] | None:
    """(domain id, expiry) of a renewal's invoice reference; None for any other reference."""
    if not text or not text.startswith(PREFIX):
        return None
    domain_id, _, expires = text[len(PREFIX):].partition(":")
    try:
        return domain_id, date.fromisoformat(expires)
    except ValueError:
        return None


@dataclass
class Renewal:
    """The renewal of one term (the one ending on `expires_on`)."""
    domain_id: str
    expires_on: date
    org_id: str
    years: int
    amount_minor: int
    currency: str
    reason: str
    status: str
    requested_at: datetime
    paid_at: datetime | None = None
    renewed_at: datetime | None = None
    renewed_until: date | None = None
    on_warranty: bool = False

    @property
    def reference(self) -> str:
        return reference(self.domain_id, self.expires_on)


def price_of_renewal(rules: TldRules, currency: str, years: int, *, warranty: bool) -> Money:
    """The renewal at the normal price; with the renewal warranty on, its yearly fee on top (DO-06)."""
    price = rules.renewal_price(currency, years)
    if warranty and rules.offers_renewal_warranty:
        price = price + rules.renewal_warranty_price(currency, years)
    return price


def new_renewal(rules: TldRules, domain: Domain, on: date, now: datetime, currency: str, reason: str,
                years: int | None = None) -> Renewal:
    """The renewal of the domain's current term, checked against the TLD's rules (RenewalRefused: a
    period not offered, too many years ahead, too late for a renewal)."""
    years = years or rules.periods[0]
    lifecycle.check_renewal(rules, domain.expires_on, years, on)
    if phase_on(rules, domain.expires_on, on) not in RENEWABLE:
        raise RenewalRefused("the domain is past its renewal: in the redemption period it can only be restored")
    price = price_of_renewal(rules, currency, years, warranty=domain.renewal_warranty)
    return Renewal(domain_id=domain.id, expires_on=domain.expires_on, org_id=domain.org_id, years=years,
                   amount_minor=price.amount_minor, currency=price.currency, reason=reason, status=REQUESTED,
                   requested_at=now)


def request(uow, renewal: Renewal, domain: Domain) -> Renewal:
    """Records the term's renewal and asks billing to invoice it, once: the term's renewal asked
    before (by another scheduler, or the customer) is answered instead."""
    if not uow.renewals.add(renewal):
        return uow.renewals.get(renewal.domain_id, renewal.expires_on)
    uow.emit(requested(renewal, domain), org_id=domain.org_id)
    return renewal


def requested(renewal: Renewal, domain: Domain) -> DomainRenewalRequested:
    return DomainRenewalRequested(org_id=renewal.org_id, domain_id=renewal.domain_id, domain=domain.name,
                                  years=renewal.years, price={"amount_minor": renewal.amount_minor,
                                                              "currency": renewal.currency},
                                  expires_on=renewal.expires_on.isoformat())


def renew_at_registry(registry: Registry, rules: TldRules, name: str, expires_on: date, years: int) -> date:
    """Renews the term ending on `expires_on` by `years` at the registry, at most once, and answers
    the new expiry date."""
    wanted = expiry_after_renewal(expires_on, years)
    if rules.renewal == "automatic":
        return wanted
    current = registry.domain_info(name).expires_at
    current_on = current.astimezone(timezone.utc).date() if current is not None else expires_on
    if current_on >= wanted:
        return current_on
    if current_on > expires_on:  # the registry renewed some of it already (its automatic renewal)
        years = max(1, wanted.year - current_on.year)
    renewed = registry.renew_domain(name, current_on, years)
    if renewed.expires_at is not None:
        return renewed.expires_at.astimezone(timezone.utc).date()
    return expiry_after_renewal(current_on, years)


def renewed(uow, domain: Domain, renewal: Renewal, new_expiry: date, now: datetime, *, on_warranty: bool = False,
            save: bool = True) -> None:
    """The domain runs until `new_expiry`: active again (from the auto-renew grace), looked at again
    when its next term nears, and announced (DomainStateChanged)."""
    at = domain.expires_at if domain.expires_at.tzinfo else domain.expires_at.replace(tzinfo=timezone.utc)
    domain.expires_at = datetime.combine(new_expiry, at.astimezone(timezone.utc).time(), tzinfo=timezone.utc) \
        if new_expiry != domain.expires_on else domain.expires_at
    domain.status = "active"
    rules = uow.catalog.for_domain(domain.name)
    domain.due_on = lifecycle.next_check(rules, domain.expires_on, lifecycle.utc_day(now), uow.catalog.renewal_lead_days)
    renewal.status, renewal.renewed_at, renewal.renewed_until = RENEWED, now, new_expiry
    renewal.on_warranty = renewal.on_warranty or on_warranty
    if save:  # (a renewal asked for in this same batch is written as it now is, with the batch)
        uow.renewals.save(renewal)
    uow.emit(DomainStateChanged(org_id=domain.org_id, domain_id=domain.id, domain=domain.name, status="active",
                                expires_on=domain.expires_on.isoformat(), at=iso_utc(now)), org_id=domain.org_id)


def on_invoice_paid(paid: InvoicePaid, uow) -> None:
    """DO-07: the invoice of a domain's renewal is paid: renewed at the registry once. Other invoices
    are not this handler's. A registry that cannot be reached raises: the event is handled again."""
    parsed = parse_reference(paid.reference)
    if parsed is None:
        return
    domain_id, expires_on = parsed
    renewal = uow.renewals.get(domain_id, expires_on, for_update=True)
    if renewal is None or renewal.org_id != paid.org_id:
        log.warning("invoice %s names renewal %s, which domains did not ask for", paid.number, paid.reference)
        return
    if renewal.paid_at is not None:
        return  # the payment was handled before
    now = uow.clock.now()
    renewal.paid_at = now
    domain = uow.domains.get(domain_id, for_update=True)
    if renewal.status != REQUESTED or domain is None or domain.expires_on != expires_on:
        uow.renewals.save(renewal)  # renewed already (DO-06: the warranty did not wait for the payment)
        return
    rules = uow.catalog.for_domain(domain.name)
    if phase_on(rules, expires_on, lifecycle.utc_day(now)) not in RENEWABLE:
        log.warning("renewal %s paid once the domain %s was past renewing (%s)", paid.reference, domain.name, domain.status)
        withdraw(uow, domain, renewal, "paid after the domain's last day of renewal; it can be restored instead")
        return
    try:
        new_expiry = renew_at_registry(uow.registry_for(domain.tld), rules, domain.name, expires_on, renewal.years)
    except RegistryRefused as refused:
        log.warning("the registry refused the renewal of %s: %s", domain.name, refused)
        withdraw(uow, domain, renewal, f"the registry refused the renewal ({refused.code})")
        return
    renewed(uow, domain, renewal, new_expiry, now)


def withdraw(uow, domain: Domain, renewal: Renewal, reason: str) -> None:
    """DO-05, DO-07: a renewal that will not be carried out is owed no more: billing withdraws its
    invoice (cancelled when open, refunded when paid)."""
    renewal.status = REFUSED
    uow.renewals.save(renewal)
    uow.emit(DomainRenewalWithdrawn(org_id=domain.org_id, domain_id=domain.id, domain=domain.name,
                                    expires_on=renewal.expires_on.isoformat(), reason=reason), org_id=domain.org_id)


# --- what the organization asks for (the API) --------------------------------------------------------------

def _managed_domain(uow, caller, org_id: str, domain_id: str) -> Domain:
    """The organization's domain, for those who run the organization (its legal representatives and
    administrators, or an API key of it): another organization's domain is not found (404)."""
    domain = uow.domains.get(domain_id, for_update=True)
    if domain is None or domain.org_id != org_id:
        raise NotFound("No such domain.")
    ensure_manages(caller)
    return domain


def set_renewal_warranty(uow, caller, org_id: str, domain_id: str, on: bool) -> Domain:
    """DO-06: the renewal warranty on or off; where the TLD does not offer it, 409. The scheduler looks
    at the domain again today (the warranty's day may have come)."""
    domain = _managed_domain(uow, caller, org_id, domain_id)
    rules = uow.catalog.for_domain(domain.name)
    if on and not rules.offers_renewal_warranty:
        raise Conflict(f"The renewal warranty is not offered for .{rules.tld} domains.")
    if domain.status not in ("active", "expired"):
        raise Conflict(f"The domain is {domain.status.replace('_', ' ')}: past renewing, a warranty keeps nothing.")
    domain.renewal_warranty = on
    domain.due_on = lifecycle.utc_day(uow.clock.now())
    uow.commit()
    return domain


def renew_on_request(uow, caller, org_id: str, domain_id: str, years: int | None) -> tuple[Renewal, bool]:
    """DO-07, DO-05: the customer renews before expiry or in the auto-renew grace, at the normal
    price. Answers the term's renewal and whether it was asked for now (False: asked before)."""
    domain = _managed_domain(uow, caller, org_id, domain_id)
    asked = uow.renewals.get(domain.id, domain.expires_on)
    if asked is not None:
        return asked, False
    currency = uow.billing_currencies({org_id}).get(org_id)
    if currency is None:
        raise Conflict("The organization's billing account is not open yet; try again in a moment.",
                       problem="billing-account-pending")
    rules = uow.catalog.for_domain(domain.name)
    now = uow.clock.now()
    try:
        renewal = new_renewal(rules, domain, lifecycle.utc_day(now), now, currency, CUSTOMER, years)
    except RenewalRefused as refused:
        if years is not None and years not in rules.periods:
            raise invalid_field("years", str(refused)) from None
        raise Conflict(str(refused)) from None
    renewal = request(uow, renewal, domain)
    uow.commit()
    return renewal, True
