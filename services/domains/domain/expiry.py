"""The daily expiry scan (DO-04 … DO-07): what the domains scheduler does with each domain due.

Each domain carries the next day something may be due for it (`due_on`, lifecycle.next_check); the scan
claims the domains due, batch by batch, through an index on that day (never every row), and decides for
each, with the TLD's rules and today's date:

- DO-04: the owners' reminder due and not yet sent for this expiry (`DomainExpiring`), recorded in the
  table of notices sent, unique per domain, term and notice;
- DO-07: with automatic renewal on, the term's renewal from `renewal_lead_days` before expiry
  (`DomainRenewalRequested`; billing invoices it and InvoicePaid renews it, domain/renewals.py);
- DO-06: with the renewal warranty on, the renewal is asked for on the warranty's day at the latest
  (the expiry day where the registry grants an auto-renew grace, the day before where it does not), and
  if it is not paid by then the domain is renewed at the registry all the same; the invoice stays open;
- DO-05: the state after expiry (expired, redemption, pending_delete, released), one `DomainStateChanged`
  per change; past the renewal the name is deleted at the registry (which then holds it in its
  redemption period), and a released domain is no longer a product of the organization (`ProductRemoved`).

A batch is one transaction over rows it claimed (on PostgreSQL locked, rows another scheduler holds
skipped); the registry is asked before the commit, in ways that are safe to repeat (a deletion already
made, a renewal already applied), so a crash between the two repeats nothing that matters.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from portico_kernel.clock import iso_utc

from . import lifecycle, renewals
from .events import DomainExpiring, DomainStateChanged, ProductRemoved
from .lifecycle import (RenewalRefused, Reminder, last_renewable_day, last_restorable_day, notice_name, reminder_due,
                        reminders, renewal_window_opens, status_on, statuses_between, warranty_renewal_day)
from .model import Domain
from .registry import (ASSOCIATION_PROHIBITS, OBJECT_MISSING, STATUS_PROHIBITS, DomainChange, RegistryRefused,
                       RegistryUnavailable)
from .renewals import AUTO_RENEW, REQUESTED, WARRANTY, Renewal
from .tld_rules import TldRules

log = logging.getLogger(__name__)

BATCH = 500
RENEWABLE_STATUSES = ("active", "expired")


@dataclass(frozen=True)
class Plan:
    """What is due for one domain today."""
    notice: Reminder | None = None
    request: str | None = None  # the reason a renewal is asked for today (auto_renew, warranty)
    renew_on_warranty: bool = False  # DO-06: renew at the registry without waiting for the payment
    statuses: tuple[str, ...] = ()  # the state changes, in order
    delete_at_registry: bool = False


def plan(rules: TldRules, domain: Domain, today: date, lead_days: int, sent: set[str],
         renewal: Renewal | None, currency: str | None) -> Plan:
    """The scheduler's decision for one domain on `today` (pure: the tests call it with fakes).

    `sent`: the notices sent for the domain's current expiry; `renewal`: the current term's renewal,
    if asked for; `currency`: the organization's billing currency (None: not known yet, nothing is
    asked of billing)."""
    expires_on = domain.expires_on
    sent_reminders = [r for r in reminders(rules, expires_on) if notice_name(r) in sent]
    notice = reminder_due(rules, expires_on, today, sent_reminders)
    target = status_on(rules, expires_on, today)
    request = None
    if renewal is None and currency is not None and target in RENEWABLE_STATUSES:
        if domain.auto_renew and today >= renewal_window_opens(expires_on, lead_days):
            request = AUTO_RENEW
        elif domain.renewal_warranty and today >= warranty_renewal_day(rules, expires_on):
            request = WARRANTY
    asked = renewal is not None and renewal.status == REQUESTED or request is not None
    renew_on_warranty = (domain.renewal_warranty and asked and target in RENEWABLE_STATUSES
                         and today >= warranty_renewal_day(rules, expires_on))
    if renew_on_warranty:
        return Plan(request=request, renew_on_warranty=True)   # renewed: the old expiry's reminders are moot
    changes = statuses_between(rules, domain.status, target)
    deleting = domain.status in RENEWABLE_STATUSES and target not in RENEWABLE_STATUSES
    if target == "released":
        notice = None
    return Plan(notice=notice, request=request, statuses=changes, delete_at_registry=deleting)


def expiring(domain: Domain, rules: TldRules, notice: Reminder) -> DomainExpiring:
    restore_by = last_restorable_day(rules, domain.expires_on)
    return DomainExpiring(org_id=domain.org_id, domain_id=domain.id, domain=domain.name,
                          expires_on=domain.expires_on.isoformat(), notice=notice_name(notice),
                          auto_renew=domain.auto_renew, renewal_warranty=domain.renewal_warranty,
                          renew_by=last_renewable_day(rules, domain.expires_on).isoformat(),
                          restore_by=restore_by.isoformat() if restore_by else None)


def delete_at_registry(registry, name: str, *, hosts_removed: bool = False) -> None:
    """The name goes into the registry's redemption period; a deletion made before (its answer lost)
    or a name the registry no longer has is done already. Name servers inside the domain (glue) keep a
    registry from deleting it (RFC 5731: 2305): they are taken off the domain and deleted first."""
    try:
        registry.delete_domain(name)
    except RegistryRefused as refused:
        if refused.code == ASSOCIATION_PROHIBITS and not hosts_removed:
            remove_subordinate_hosts(registry, name)
            delete_at_registry(registry, name, hosts_removed=True)
        elif refused.code not in (STATUS_PROHIBITS, OBJECT_MISSING):
            raise


def remove_subordinate_hosts(registry, name: str) -> None:
    """The domain's own hosts: off its name servers, then deleted (one still used by another domain
    stays, and the registry keeps refusing the deletion until it is free)."""
    info = registry.domain_info(name)
    own = tuple(h for h in info.nameservers if h.lower() in {s.lower() for s in info.subordinate_hosts})
    if own:
        registry.update_domain(name, DomainChange(remove_nameservers=own))
    for host in info.subordinate_hosts:
        try:
            registry.delete_host(host)
        except RegistryRefused as refused:
            log.warning("host %s of %s not deleted at the registry (%s)", host, name, refused.code)


class Round:
    """One batch: the domains claimed, what was sent and asked for them, and their organizations'
    billing currencies, each read once."""

    def __init__(self, uow, claimed: list[Domain], today: date):
        self.uow, self.today = uow, today
        self.now = uow.clock.now()
        self.catalog = uow.catalog
        self.lead_days = self.catalog.renewal_lead_days
        terms = [(d.id, d.expires_on) for d in claimed]
        self.sent = uow.notices.sent_for(terms)
        self.renewals = uow.renewals.for_terms(terms)
        self.currencies = uow.billing_currencies({d.org_id for d in claimed})
        self.notices: list[tuple[Domain, TldRules, Reminder]] = []  # recorded and sent at the batch's end
        self.asked: list[tuple[Renewal, Domain]] = []  # renewals asked for, written at the batch's end

    def run(self, domain: Domain) -> bool:
        """Does what is due for the domain; False when it must wait (the registry could not be reached)."""
        try:
            rules = self.catalog.for_domain(domain.name)
        except LookupError:
            log.warning("domain %s: its TLD is no longer sold; looked at again tomorrow", domain.name)
            domain.due_on = self.today + timedelta(days=1)
            return True
        key = (domain.id, domain.expires_on)
        renewal = self.renewals.get(key)
        decided = plan(rules, domain, self.today, self.lead_days, self.sent.get(key, set()), renewal,
                       self.currencies.get(domain.org_id))
        try:
            return self._apply(domain, rules, decided, renewal)
        except RegistryUnavailable as away:
            log.warning("domain %s: the registry cannot be reached (%s); tried again next round", domain.name, away)
            return False
        except RegistryRefused as refused:
            # one domain the registry refuses must not hold up the others: looked at again tomorrow
            log.warning("domain %s: the registry refused (%s %s); looked at again tomorrow", domain.name,
                        refused.code, refused.message)
            domain.due_on = self.today + timedelta(days=1)
            return True

    def _apply(self, domain: Domain, rules: TldRules, decided: Plan, renewal: Renewal | None) -> bool:
        uow = self.uow
        fresh = False
        if decided.request is not None:
            try:
                renewal = renewals.new_renewal(rules, domain, self.today, self.now, self.currencies[domain.org_id],
                                               decided.request)
            except (RenewalRefused, LookupError) as refused:
                log.warning("domain %s: no renewal asked for (%s)", domain.name, refused)
            else:
                fresh = True
        if decided.renew_on_warranty and renewal is not None and renewal.status == REQUESTED:
            new_expiry = renewals.renew_at_registry(uow.registry_for(domain.tld), rules, domain.name,
                                                    domain.expires_on, renewal.years)
            if fresh:
                self.asked.append((renewal, domain))
            renewals.renewed(uow, domain, renewal, new_expiry, self.now, on_warranty=True, save=not fresh)
            return True
        if fresh:
            self.asked.append((renewal, domain))
        if decided.delete_at_registry:
            delete_at_registry(uow.registry_for(domain.tld), domain.name)
        if decided.notice is not None:
            self.notices.append((domain, rules, decided.notice))
        for status in decided.statuses:
            domain.status = status
            if status == "redemption" and renewal is not None and renewal.status == REQUESTED:
                # not paid in time: only a restore brings the domain back, the renewal's invoice is withdrawn
                renewals.withdraw(uow, domain, renewal, "not paid before the domain went into redemption")
            uow.emit(DomainStateChanged(org_id=domain.org_id, domain_id=domain.id, domain=domain.name, status=status,
                                        expires_on=domain.expires_on.isoformat(), at=iso_utc(self.now)),
                     org_id=domain.org_id)
            if status == "released":
                uow.emit(ProductRemoved(org_id=domain.org_id, product_type="domain", product_id=domain.id),
                         org_id=domain.org_id)
        domain.due_on = lifecycle.next_check(rules, domain.expires_on, self.today, self.lead_days)
        return True

    def ask_renewals(self) -> None:
        """DO-07, DO-06: the batch's renewals, written in one statement; billing is asked for those
        written now (a term's renewal asked for before, the unique key, is not asked again)."""
        by_term = {(r.domain_id, r.expires_on): (r, d) for r, d in self.asked}
        for key in self.uow.renewals.add_all([r for r, _ in by_term.values()]):
            renewal, domain = by_term[key]
            self.uow.emit(renewals.requested(renewal, domain), org_id=domain.org_id)

    def send_notices(self) -> None:
        """DO-04: the batch's reminders, recorded in one statement; only those recorded now (never sent
        before, the unique key) are sent."""
        keys = {(d.id, d.expires_on, notice_name(n)): (d, r, n) for d, r, n in self.notices}
        for key in self.uow.notices.record_all(list(keys), self.now):
            domain, rules, notice = keys[key]
            self.uow.emit(expiring(domain, rules, notice), org_id=domain.org_id)


def scan_batch(uow, today: date, after: tuple | None, size: int = BATCH) -> tuple[int, int, tuple | None]:
    """Claims up to `size` domains due by `today` (after `after`: their due day and id), does what is
    due, commits. Answers how many were claimed, how many were done, and where the next batch starts."""
    claimed = uow.domains.claim_due(today, after, size)
    if not claimed:
        return 0, 0, after
    last = (claimed[-1].due_on, claimed[-1].id)
    work = Round(uow, claimed, today)
    with uow.session.no_autoflush:  # the domains' changes are written once, at the commit
        done = sum(1 for domain in claimed if work.run(domain))
    work.ask_renewals()
    work.send_notices()
    uow.domains.save_all(claimed)
    uow.commit()
    return len(claimed), done, last


def scan(unit_of_work, size: int = BATCH) -> int:
    """The scheduler's round: batch after batch, each its own transaction, until nothing is due.
    Answers how many domains it dealt with."""
    total, after = 0, None
    while True:
        with unit_of_work() as uow:
            today = lifecycle.utc_day(uow.clock.now())
            claimed, done, after = scan_batch(uow, today, after, size)
        total += done
        if claimed < size:
            return total
