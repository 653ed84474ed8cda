"""What the domains scheduler's daily expiry scan (DO-04 … DO-07) does per second: 1 000 000 domains on
PostgreSQL.

Seeds a scratch database of its own (domains' migrations, then 1 000 000 domains written with COPY:
six TLDs, expiries spread from 60 days ago to 400 days ahead, four in five with automatic renewal, one
in twenty with the renewal warranty, each in the state and with the next due day the scheduler would
have given it yesterday), then runs the scan as the scheduler runs it (expiry.scan, batch after batch,
each its own transaction) for today: the domains due are read through the index on (due_on, id) in
batches, never every row. Prints the plan of the claiming query, the domains due and dealt with per
second, this process's CPU time and its peak memory (resident set size), and checks what it did: one
reminder per domain and notice, one renewal per term, nothing left due. The registry is a stand-in
that answers at once (the EPP round trips are the registry's time, not the scan's). The database is
dropped at the end. Nothing is asserted about speed: it depends on the machine.

    python -m bench.domains_expiry_scan
    BENCH_DOMAINS (default 1000000)  BENCH_ORGS (default 100000)
    PORTICO_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432)
"""
from __future__ import annotations

import os
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from bench.scratch import peak_mib, scratch_service

DOMAINS = int(os.environ.get("BENCH_DOMAINS", "1000000"))
ORGS = int(os.environ.get("BENCH_ORGS", "100000"))
TLDS = ("ch", "ch", "ch", "com", "com", "de", "li", "fr", "it")






class InstantRegistry:
    """Answers every command at once, as a registry that has done what was asked."""

    def domain_info(self, name, auth_info=None):
        from services.domains.domain.registry import DomainInfo
        return DomainInfo(name=name, registry_id="BENCH", statuses=("ok",), sponsor="portico", expires_at=None)

    def renew_domain(self, name, current_expiry, years):
        from services.domains.domain.registry import DomainRenewed
        return DomainRenewed(name=name, expires_at=None)

    def delete_domain(self, name):
        from services.domains.domain.registry import Outcome
        return Outcome(1000, "Command completed successfully")


def seed(engine, today: date) -> tuple[int, int]:
    """The domains, with COPY, in chunks (what the scan holds in memory is what is measured)."""
    from services.domains.adapters.tld_file import tld_catalog
    from services.domains.domain.lifecycle import next_check, status_on

    catalog = tld_catalog()
    lead = catalog.renewal_lead_days
    yesterday = today - timedelta(days=1)
    rng = random.Random(13)
    orgs = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(ORGS)]
    now = datetime.now(timezone.utc)
    written = due = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy("COPY domains (id, org_id, name, status, auto_renew, expires_at, created_at, "
                         "renewal_warranty, due_on) FROM STDIN") as copy:
            for index in range(DOMAINS):
                tld = TLDS[index % len(TLDS)]
                rules = catalog[tld]
                expires_on = today + timedelta(days=rng.randrange(-60, 400))
                next_day = next_check(rules, expires_on, yesterday, lead)
                if next_day is None:  # released before today: not a domain we hold any more
                    expires_on = today + timedelta(days=rng.randrange(0, 400))
                    next_day = next_check(rules, expires_on, yesterday, lead)
                due += next_day <= today
                copy.write_row((str(uuid.UUID(int=rng.getrandbits(128), version=4)), orgs[index % ORGS],
                                f"name-{index}.{tld}", status_on(rules, expires_on, yesterday), index % 5 != 4,
                                datetime.combine(expires_on, datetime.min.time(), tzinfo=timezone.utc).replace(hour=11),
                                now, index % 20 == 7, next_day))
                written += 1
        raw.commit()
    finally:
        raw.close()
    return written, due


def main() -> None:
    from sqlalchemy import func, select, text

    from portico_kernel.clock import FakeClock
    from services.domains.adapters import unit_of_work
    from services.domains.adapters.orm import domain_notices, domain_renewals, domains, outbox
    from services.domains.domain import expiry

    registry = InstantRegistry()
    unit_of_work.DomainsUnitOfWork.registry_for = lambda self, tld: registry
    unit_of_work.DomainsUnitOfWork.billing_currencies = lambda self, org_ids: {o: "CHF" for o in org_ids}

    with scratch_service("domains") as service:
        today = datetime.now(timezone.utc).date()
        service.clock = FakeClock(datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc).replace(hour=2))
        seeded = time.perf_counter()
        count, due = seed(service.engine, today)
        print(f"seeded {count:,} domains of {ORGS:,} organizations with COPY in {time.perf_counter() - seeded:.1f} s; "
              f"{due:,} due today; peak memory (RSS) before the scan {peak_mib():,.0f} MiB", flush=True)
        with service.engine.begin() as conn:
            conn.execute(text("ANALYZE domains"))
        with service.engine.connect() as conn:
            plan = conn.execute(text(
                "EXPLAIN SELECT * FROM domains WHERE due_on <= :today ORDER BY due_on, id LIMIT 500 FOR UPDATE SKIP LOCKED"),
                {"today": today}).scalars().all()
        print("the claiming query's plan:\n    " + "\n    ".join(plan), flush=True)
        started, cpu = time.perf_counter(), time.process_time()
        dealt = expiry.scan(service.uow)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"daily scan: {dealt:,} domains due dealt with in {elapsed:.1f} s = {dealt / elapsed:,.0f} domains/s, "
              f"over {count:,} domains = {count / elapsed:,.0f} domains held/s (this process's CPU {cpu:.1f} s); "
              f"peak memory (RSS, whole process) {peak_mib():,.0f} MiB", flush=True)
        again = time.perf_counter()
        second = expiry.scan(service.uow)
        print(f"the same day again: {second} domains due, in {time.perf_counter() - again:.2f} s", flush=True)
        with service.engine.connect() as conn:
            notices = conn.execute(select(func.count()).select_from(domain_notices)).scalar_one()
            asked = conn.execute(select(func.count()).select_from(domain_renewals)).scalar_one()
            events = conn.execute(select(outbox.c.routing_key, func.count()).group_by(outbox.c.routing_key)).all()
            left = conn.execute(select(func.count()).select_from(domains).where(domains.c.due_on <= today)).scalar_one()
        print(f"  {notices:,} reminders, {asked:,} renewals asked; events: "
              + ", ".join(f"{key} {n:,}" for key, n in sorted(events)), flush=True)
        assert dealt == due and second == 0 and left == 0, (dealt, due, second, left)


if __name__ == "__main__":
    sys.exit(main())
