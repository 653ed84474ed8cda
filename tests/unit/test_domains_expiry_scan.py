"""The domains scheduler's decisions (DO-04 … DO-07), with in-memory fakes for the repositories and the
registry: reminders once per term, renewals asked once and renewed once, the states after expiry, the
renewal warranty, the next day a domain is looked at, and a second scheduler that repeats nothing."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

import pytest

from portico_kernel.clock import FakeClock
from portico_kernel.errors import Conflict, NotFound
from services.domains.adapters.tld_file import tld_catalog
from services.domains.domain import expiry, renewals
from services.domains.domain.events import InvoicePaid
from services.domains.domain.lifecycle import next_check, statuses_between
from services.domains.domain.model import Domain
from services.domains.domain.registry import DomainInfo, DomainRenewed, Outcome, RegistryRefused, RegistryUnavailable

CATALOG = tld_catalog()
D = date.fromisoformat
ORG = str(uuid.uuid4())


def at(day: str, hour: int = 9) -> datetime:
    return datetime.combine(D(day), datetime.min.time(), tzinfo=timezone.utc).replace(hour=hour)


class FakeRegistry:
    def __init__(self):
        self.expiry: dict[str, date] = {}
        self.renewals: list[tuple[str, date, int]] = []
        self.deleted: list[str] = []
        self.away = False
        self.hosts: dict[str, list[str]] = {}   # a domain's own name servers (glue), as RFC 5732 hosts
        self.nameservers: dict[str, list[str]] = {}
        self.refusing: set[str] = set()   # names whose deletion the registry refuses for its own reasons

    def domain_info(self, name, auth_info=None):
        if self.away:
            raise RegistryUnavailable("down")
        return DomainInfo(name=name, registry_id="X", statuses=("ok",), sponsor="portico",
                          nameservers=tuple(self.nameservers.get(name, ())),
                          subordinate_hosts=tuple(self.hosts.get(name, ())),
                          expires_at=datetime.combine(self.expiry[name], datetime.min.time(), tzinfo=timezone.utc))

    def update_domain(self, name, change):
        self.nameservers[name] = [h for h in self.nameservers.get(name, []) if h not in change.remove_nameservers]
        return Outcome(1000, "ok")

    def delete_host(self, host):
        owner = next(d for d, hosts in self.hosts.items() if host in hosts)
        if host in self.nameservers.get(owner, []):
            raise RegistryRefused(2305, "the host is a name server")
        self.hosts[owner].remove(host)
        return Outcome(1000, "ok")

    def renew_domain(self, name, current_expiry, years):
        if current_expiry != self.expiry[name]:
            raise RegistryRefused(2304, "curExpDate is not the expiry")
        self.renewals.append((name, current_expiry, years))
        self.expiry[name] = current_expiry.replace(year=current_expiry.year + years)
        return DomainRenewed(name=name, expires_at=datetime.combine(self.expiry[name], datetime.min.time(),
                                                                    tzinfo=timezone.utc))

    def delete_domain(self, name):
        if self.away:
            raise RegistryUnavailable("down")
        if name in self.deleted:
            raise RegistryRefused(2304, "already being deleted")
        if name in self.refusing:
            raise RegistryRefused(2306, "policy")
        if self.hosts.get(name):
            raise RegistryRefused(2305, "hosts below the domain must be deleted first")
        self.deleted.append(name)
        return Outcome(1000, "ok")


class Store:
    """What the database keeps, shared by every unit of work (as two schedulers share one database)."""

    def __init__(self):
        self.domains: dict[str, Domain] = {}
        self.notices: dict[tuple, datetime] = {}
        self.renewals: dict[tuple, renewals.Renewal] = {}
        self.outbox: list = []
        self.registry = FakeRegistry()
        self.currencies = {ORG: "CHF"}


class FakeDomains:
    def __init__(self, store):
        self.store = store

    def claim_due(self, today, after, limit):
        due = sorted((d for d in self.store.domains.values() if d.due_on is not None and d.due_on <= today),
                     key=lambda d: (d.due_on, d.id))
        if after is not None:
            due = [d for d in due if (d.due_on, d.id) > after]
        return due[:limit]

    def get(self, domain_id, for_update=False):
        return self.store.domains.get(domain_id)

    def save_all(self, domains):
        pass


class FakeNotices:
    def __init__(self, store):
        self.store = store

    def sent_for(self, terms):
        found = {}
        for (domain_id, expires_on, notice) in self.store.notices:
            if (domain_id, expires_on) in terms:
                found.setdefault((domain_id, expires_on), set()).add(notice)
        return found

    def record_all(self, notices, at):
        fresh = {key for key in notices if key not in self.store.notices}
        self.store.notices.update({key: at for key in fresh})
        return fresh


class FakeRenewals:
    def __init__(self, store):
        self.store = store

    def add(self, renewal):
        key = (renewal.domain_id, renewal.expires_on)
        if key in self.store.renewals:
            return False
        self.store.renewals[key] = replace(renewal)
        return True

    def add_all(self, renewals):
        return {(r.domain_id, r.expires_on) for r in renewals if self.add(r)}

    def get(self, domain_id, expires_on, for_update=False):
        found = self.store.renewals.get((domain_id, expires_on))
        return replace(found) if found else None

    def for_terms(self, terms):
        return {key: replace(r) for key, r in self.store.renewals.items() if key in terms}

    def save(self, renewal):
        self.store.renewals[(renewal.domain_id, renewal.expires_on)] = replace(renewal)


class FakeUow:
    def __init__(self, store, clock):
        self.store, self.clock = store, clock
        self.domains, self.notices, self.renewals = FakeDomains(store), FakeNotices(store), FakeRenewals(store)
        self.catalog = CATALOG
        self.received = None
        self.emitted = []

    def __enter__(self):
        self.emitted = []
        return self

    @property
    def session(self):
        import contextlib
        return type("S", (), {"no_autoflush": contextlib.nullcontext()})()

    def __exit__(self, *exc):
        pass

    def emit(self, record, org_id=None):
        self.emitted.append(record)
        self.store.outbox.append(record)

    def commit(self):
        pass

    def registry_for(self, tld):
        return self.store.registry

    def billing_currencies(self, org_ids):
        return {o: self.store.currencies[o] for o in org_ids if o in self.store.currencies}


@pytest.fixture
def store():
    return Store()


@pytest.fixture
def clock():
    return FakeClock(at("2026-01-01"))


def add_domain(store, name, expires, *, auto_renew=False, warranty=False, created="2025-01-01"):
    domain = Domain(id=str(uuid.uuid4()), org_id=ORG, name=name, expires_at=at(expires, 12), auto_renew=auto_renew,
                    renewal_warranty=warranty, created_at=at(created))
    store.domains[domain.id] = domain
    store.registry.expiry[name] = D(expires)
    return domain


def scan_on(store, clock, day: str) -> int:
    clock.set(at(day))
    return expiry.scan(lambda: FakeUow(store, clock), size=2)


def scan_days(store, clock, first: str, last: str) -> None:
    day = D(first)
    while day <= D(last):
        scan_on(store, clock, day.isoformat())
        day += timedelta(days=1)


def kinds(store, name):
    return [type(e).__name__ for e in store.outbox]


def expiring(store):
    return [(e.domain, e.notice) for e in store.outbox if type(e).__name__ == "DomainExpiring"]


def states(store, domain):
    return [e.status for e in store.outbox if type(e).__name__ == "DomainStateChanged" and e.domain_id == domain.id]


# --- DO-04 reminders ---------------------------------------------------------------------------------------

def test_do_04_each_reminder_once_30_and_7_days_before_and_once_after_expiry(store, clock):
    domain = add_domain(store, "example.com", "2026-03-31")
    scan_days(store, clock, "2026-02-20", "2026-04-10")
    assert expiring(store) == [("example.com", "before_30"), ("example.com", "before_7"), ("example.com", "after_expiry")]
    sent = {n: when.date() for (_, _, n), when in store.notices.items()}
    assert sent == {"before_30": D("2026-03-01"), "before_7": D("2026-03-24"), "after_expiry": D("2026-04-02")}
    event = next(e for e in store.outbox if type(e).__name__ == "DomainExpiring" and e.notice == "after_expiry")
    assert (event.renew_by, event.restore_by) == ("2026-05-14", "2026-06-13")   # 45 days of grace, 30 of redemption


def test_do_04_a_scheduler_down_for_weeks_sends_the_latest_reminder_only(store, clock):
    add_domain(store, "late.com", "2026-03-31")
    scan_on(store, clock, "2026-02-01")
    scan_on(store, clock, "2026-03-26")
    assert expiring(store) == [("late.com", "before_7")]


def test_do_04_two_schedulers_on_one_database_send_each_reminder_once(store, clock):
    add_domain(store, "twice.ch", "2026-03-31")
    clock.set(at("2026-03-01"))
    for _ in range(2):
        expiry.scan(lambda: FakeUow(store, clock))
    # a second scheduler that claimed the same domain before the first committed: the unique key holds
    domain = next(iter(store.domains.values()))
    domain.due_on = D("2026-03-01")
    expiry.scan(lambda: FakeUow(store, clock))
    assert expiring(store) == [("twice.ch", "before_30")]


def test_do_04_a_renewed_domain_hears_nothing_of_its_old_expiry(store, clock):
    domain = add_domain(store, "renewed.com", "2026-03-31", auto_renew=True)
    scan_days(store, clock, "2026-02-25", "2026-03-17")   # 30 days before, then the renewal is asked for
    renewal = store.renewals[(domain.id, D("2026-03-31"))]
    pay(store, clock, renewal, "2026-03-18")
    scan_days(store, clock, "2026-03-18", "2026-04-10")
    assert expiring(store) == [("renewed.com", "before_30")]
    assert domain.expires_on == D("2027-03-31")


# --- DO-07 renewals ------------------------------------------------------------------------------------------

def pay(store, clock, renewal, day):
    clock.set(at(day, 10))
    with FakeUow(store, clock) as uow:
        renewals.on_invoice_paid(InvoicePaid(invoice_id=str(uuid.uuid4()), org_id=ORG, number="R-1",
                                             total={"amount_minor": renewal.amount_minor, "currency": renewal.currency},
                                             paid_at=at(day).isoformat(), reference=renewal.reference), uow)


def test_do_07_automatic_renewal_is_asked_once_lead_days_before_expiry(store, clock):
    domain = add_domain(store, "auto.com", "2026-03-31", auto_renew=True)
    scan_days(store, clock, "2026-03-10", "2026-03-20")
    asked = [e for e in store.outbox if type(e).__name__ == "DomainRenewalRequested"]
    assert len(asked) == 1
    assert asked[0].expires_on == "2026-03-31" and asked[0].years == 1
    assert asked[0].price == {"amount_minor": CATALOG["com"].price_per_year["CHF"], "currency": "CHF"}
    assert store.renewals[(domain.id, D("2026-03-31"))].requested_at.date() == D("2026-03-17")  # 14 days before


def test_do_07_a_paid_renewal_renews_at_the_registry_once_with_the_current_expiry(store, clock):
    domain = add_domain(store, "paid.com", "2026-03-31", auto_renew=True)
    scan_on(store, clock, "2026-03-17")
    renewal = store.renewals[(domain.id, D("2026-03-31"))]
    pay(store, clock, renewal, "2026-03-18")
    pay(store, clock, renewal, "2026-03-18")   # the event delivered twice
    assert store.registry.renewals == [("paid.com", D("2026-03-31"), 1)]
    assert domain.expires_on == D("2027-03-31") and domain.status == "active"
    assert store.renewals[(domain.id, D("2026-03-31"))].status == "renewed"
    assert states(store, domain) == ["active"]


def test_do_07_a_renewal_whose_answer_was_lost_is_not_sent_again(store, clock):
    domain = add_domain(store, "lost.com", "2026-03-31", auto_renew=True)
    scan_on(store, clock, "2026-03-17")
    store.registry.expiry["lost.com"] = D("2027-03-31")   # renewed at the registry, our commit never happened
    pay(store, clock, store.renewals[(domain.id, D("2026-03-31"))], "2026-03-18")
    assert store.registry.renewals == [] and domain.expires_on == D("2027-03-31")


def test_do_07_where_the_registry_renews_itself_nothing_is_sent_to_it(store, clock):
    domain = add_domain(store, "auto.ch", "2026-03-31", auto_renew=True)
    scan_on(store, clock, "2026-03-17")
    pay(store, clock, store.renewals[(domain.id, D("2026-03-31"))], "2026-03-18")
    assert store.registry.renewals == [] and domain.expires_on == D("2027-03-31")


def test_do_07_a_registry_away_leaves_the_payment_to_be_handled_again(store, clock):
    domain = add_domain(store, "away.com", "2026-03-31", auto_renew=True)
    scan_on(store, clock, "2026-03-17")
    store.registry.away = True
    with pytest.raises(RegistryUnavailable):
        pay(store, clock, store.renewals[(domain.id, D("2026-03-31"))], "2026-03-18")


def test_do_07_without_automatic_renewal_nothing_is_asked(store, clock):
    add_domain(store, "manual.com", "2026-03-31")
    scan_days(store, clock, "2026-03-10", "2026-04-05")
    assert "DomainRenewalRequested" not in kinds(store, "manual.com")


def test_do_07_no_billing_currency_yet_no_renewal_asked(store, clock):
    store.currencies.clear()
    add_domain(store, "nocurrency.com", "2026-03-31", auto_renew=True)
    scan_on(store, clock, "2026-03-20")
    assert "DomainRenewalRequested" not in kinds(store, "nocurrency.com")


# --- DO-05 after expiry ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("tld, expected", [
    ("com", [("2026-03-31", "expired"), ("2026-05-15", "redemption"), ("2026-06-14", "pending_delete"),
             ("2026-06-19", "released")]),
    ("it", [("2026-03-31", "expired"), ("2026-04-15", "redemption"), ("2026-05-15", "pending_delete"),
            ("2026-05-20", "released")]),
    ("ch", [("2026-03-31", "redemption"), ("2026-05-05", "released")]),
    ("de", [("2026-03-31", "redemption"), ("2026-04-30", "released")]),
])
def test_do_05_each_state_after_expiry_on_its_day_with_an_event_each(store, clock, tld, expected):
    domain = add_domain(store, f"lapse.{tld}", "2026-03-31")
    seen = []
    day = D("2026-03-25")
    while day <= D("2026-07-01"):
        before = domain.status
        scan_on(store, clock, day.isoformat())
        if domain.status != before:
            seen.append((day.isoformat(), domain.status))
        day += timedelta(days=1)
    assert seen == expected
    assert states(store, domain) == [s for _, s in expected]
    assert store.registry.deleted == [f"lapse.{tld}"]   # deleted once, when past renewing
    assert [e.product_id for e in store.outbox if type(e).__name__ == "ProductRemoved"] == [domain.id]
    assert domain.due_on is None   # a released domain is never scanned again


def test_do_05_a_scheduler_down_for_months_announces_each_state_in_order(store, clock):
    domain = add_domain(store, "gone.com", "2026-03-31")
    scan_on(store, clock, "2026-03-30")
    scan_on(store, clock, "2026-08-01")
    assert states(store, domain) == ["expired", "redemption", "pending_delete", "released"]
    assert statuses_between(CATALOG["com"], "expired", "active") == ()
    assert statuses_between(CATALOG["ch"], "active", "released") == ("redemption", "released")


def test_do_05_a_registry_away_keeps_the_domain_where_it_is_until_it_answers(store, clock):
    domain = add_domain(store, "wait.de", "2026-03-31")
    store.registry.away = True
    scan_on(store, clock, "2026-03-31")
    assert domain.status == "active" and domain.due_on <= D("2026-03-31")   # still due: tried again
    store.registry.away = False
    scan_on(store, clock, "2026-03-31")
    assert domain.status == "redemption"


def test_do_05_a_domain_with_its_own_name_servers_is_deleted_once_they_are_taken_off_and_deleted(store, clock):
    domain = add_domain(store, "glue.ch", "2026-03-31")
    store.registry.hosts["glue.ch"] = ["ns1.glue.ch", "ns2.glue.ch"]
    store.registry.nameservers["glue.ch"] = ["ns1.glue.ch", "ns2.glue.ch", "ns.example.net"]
    scan_on(store, clock, "2026-03-31")
    assert domain.status == "redemption" and store.registry.deleted == ["glue.ch"]
    assert store.registry.hosts["glue.ch"] == [] and store.registry.nameservers["glue.ch"] == ["ns.example.net"]


def test_do_05_a_refusal_for_one_domain_holds_up_none_of_the_others(store, clock):
    stuck, other = add_domain(store, "stuck.ch", "2026-03-31"), add_domain(store, "other.ch", "2026-03-31")
    store.registry.refusing.add("stuck.ch")
    scan_on(store, clock, "2026-03-31")
    assert other.status == "redemption" and stuck.status == "active"
    assert stuck.due_on == D("2026-04-01")   # looked at again the next day
    store.registry.refusing.clear()
    scan_on(store, clock, "2026-04-01")
    assert stuck.status == "redemption"


def test_do_05_in_the_grace_the_customer_renews_at_the_normal_price(store, clock):
    domain = add_domain(store, "grace.com", "2026-03-31")
    scan_on(store, clock, "2026-04-05")
    assert domain.status == "expired"
    with FakeUow(store, clock) as uow:
        renewal = renewals.request(uow, renewals.new_renewal(CATALOG["com"], domain, D("2026-04-05"), clock.now(), "EUR",
                                                             renewals.CUSTOMER), domain)
    assert renewal.amount_minor == CATALOG["com"].price_per_year["EUR"]
    store.registry.expiry["grace.com"] = D("2027-03-31")   # the registry renewed by itself at expiry
    pay(store, clock, renewal, "2026-04-06")
    assert store.registry.renewals == []   # its automatic renewal is kept, not renewed again
    assert domain.status == "active" and domain.expires_on == D("2027-03-31")
    assert states(store, domain) == ["expired", "active"]


def test_do_05_in_redemption_a_renewal_is_refused(store, clock):
    domain = add_domain(store, "late.de", "2026-03-31")
    with pytest.raises(renewals.RenewalRefused):
        renewals.new_renewal(CATALOG["de"], domain, D("2026-03-31"), clock.now(), "EUR", renewals.CUSTOMER)


# --- DO-06 renewal warranty ---------------------------------------------------------------------------------------

def test_do_06_the_warranty_renews_an_unpaid_domain_on_its_day(store, clock):
    domain = add_domain(store, "kept.ch", "2026-03-31", warranty=True)   # automatic renewal off
    scan_days(store, clock, "2026-03-25", "2026-04-10")
    asked = [e for e in store.outbox if type(e).__name__ == "DomainRenewalRequested"]
    assert len(asked) == 1 and asked[0].expires_on == "2026-03-31"
    ch = CATALOG["ch"]
    assert asked[0].price["amount_minor"] == ch.price_per_year["CHF"] + ch.renewal_warranty_fee["CHF"]
    renewal = store.renewals[(domain.id, D("2026-03-31"))]
    assert renewal.on_warranty and renewal.requested_at.date() == D("2026-03-30")   # the day before expiry
    assert domain.expires_on == D("2027-03-31") and domain.status == "active"
    assert store.registry.deleted == []
    pay(store, clock, renewal, "2026-04-20")   # paid later: nothing renewed twice
    assert domain.expires_on == D("2027-03-31")


def test_do_06_the_warranty_renews_a_com_domain_asked_for_but_unpaid_on_the_expiry_day(store, clock):
    domain = add_domain(store, "kept.com", "2026-03-31", auto_renew=True, warranty=True)
    scan_days(store, clock, "2026-03-17", "2026-03-30")
    assert domain.expires_on == D("2026-03-31")   # asked for, not paid: waits
    scan_on(store, clock, "2026-03-31")
    assert store.registry.renewals == [("kept.com", D("2026-03-31"), 1)]
    assert domain.expires_on == D("2027-03-31") and states(store, domain) == ["active"]


def test_do_06_without_the_warranty_an_unpaid_domain_expires(store, clock):
    domain = add_domain(store, "lost.ch", "2026-03-31", auto_renew=True)
    scan_days(store, clock, "2026-03-17", "2026-04-01")
    assert domain.status == "redemption" and store.registry.renewals == []


# --- the calendar of the scan ------------------------------------------------------------------------------------

@pytest.mark.parametrize("tld", ["com", "ch", "de", "it", "fr", "li"])
def test_do_04_the_next_look_is_the_first_reminder_then_every_day_of_the_window(tld):
    rules, expires = CATALOG[tld], D("2028-03-01")   # a leap year's month end before it
    assert next_check(rules, expires, D("2027-06-01"), 14) == D("2028-01-31")   # 30 days before
    assert next_check(rules, expires, D("2028-01-31"), 14) == D("2028-02-16")   # the renewal window opens
    assert next_check(rules, expires, D("2028-02-16"), 14) == D("2028-02-17")
    released = expiry.lifecycle.timeline(rules, expires).released_on
    assert next_check(rules, expires, released, 14) is None


def test_a_new_domain_is_due_on_the_day_it_was_created():
    domain = Domain(id="x", org_id=ORG, name="new.ch", expires_at=at("2027-01-01"), created_at=at("2026-01-05"))
    assert domain.due_on == D("2026-01-05")


# --- DO-05 restore ---------------------------------------------------------------------------------------------

class FakeOrders:
    def __init__(self):
        self.rows = {}

    def add(self, order):
        self.rows[order.id] = order

    def open_for(self, name):
        return next((o for o in self.rows.values() if o.open_name == name), None)


class FakeCurrencies:
    def of(self, org_id):
        return "CHF" if org_id == ORG else None


class RestoringRegistry(FakeRegistry):
    def __init__(self):
        super().__init__()
        self.steps = []

    def domain_info(self, name, auth_info=None):
        info = super().domain_info(name)
        if name in self.deleted:
            grace = ("pendingRestore",) if "request" in self.steps else ("redemptionPeriod",)
            return replace(info, statuses=("pendingDelete",), grace_statuses=grace)
        return info

    def request_restore(self, name):
        self.steps.append("request")
        return Outcome(1000, "ok")

    def report_restore(self, name, report):
        assert len(report.statements) == 2 and report.reason
        self.steps.append("report")
        self.deleted.remove(name)
        return Outcome(1000, "ok")


@dataclass
class Caller:
    is_api_key: bool = False
    is_staff: bool = False

    def has_role(self, *roles):
        return True


def restoring(store, clock):
    uow = FakeUow(store, clock)
    uow.orders, uow.currencies = FakeOrders(), FakeCurrencies()
    return uow


def test_do_05_a_domain_in_redemption_is_restored_once_paid_with_the_restore_fee_and_a_renewal(store, clock):
    from services.domains.domain import restores

    store.registry = RestoringRegistry()
    domain = add_domain(store, "back.de", "2026-03-31")
    scan_on(store, clock, "2026-04-05")
    assert domain.status == "redemption" and store.registry.deleted == ["back.de"]
    uow = restoring(store, clock)
    with pytest.raises(NotFound):
        restores.order_restore(uow, Caller(), str(uuid.uuid4()), domain.id)   # another organization's
    order = restores.order_restore(uow, Caller(), ORG, domain.id)
    de = CATALOG["de"]
    assert order.kind == "restore" and order.price_minor == de.restore_fee["CHF"] + de.price_per_year["CHF"]
    assert restores.order_restore(uow, Caller(), ORG, domain.id) is order   # asked twice: the open order
    restores.carry_out_restore(uow, order, store.registry, de)
    assert store.registry.steps == ["request", "report"]
    assert domain.status == "active" and domain.expires_on == D("2027-03-31") and order.status == "completed"
    assert states(store, domain)[-1] == "active"


def test_do_05_a_restore_is_refused_outside_the_redemption_period_and_where_the_tld_cannot_restore(store, clock):
    from services.domains.domain import restores

    domain = add_domain(store, "early.ch", "2026-03-31")
    uow = restoring(store, clock)
    with pytest.raises(Conflict):
        restores.order_restore(uow, Caller(), ORG, domain.id)   # still active
    scan_on(store, clock, "2026-04-02")
    assert domain.status == "redemption"
    unrestorable = replace(CATALOG["ch"], restorable=False, redemption_period=0, pending_delete=35)
    uow.catalog = replace(CATALOG, rules={**CATALOG.rules, "ch": unrestorable})
    with pytest.raises(Conflict, match="cannot be restored"):
        restores.order_restore(uow, Caller(), ORG, domain.id)
