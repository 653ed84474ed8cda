"""What billing's renewal round (BI-11) does per second: 100 000 subscriptions on PostgreSQL.

Seeds a scratch database of its own (billing's migrations, then rows written directly, in bulk:
accounts, subscriptions whose terms end within the lead time, each with its current term's paid
invoice), then runs the scheduler's round as the scheduler runs it (renewals.renew_due on the
batching unit of work) until nothing is due, twice: once to invoice the next terms and collect them
from the prepaid balances, once with the clock past the terms' ends for the next terms to begin.
Prints subscriptions per second, the process's CPU time and peak memory (resident set size), and
checks what it did: one invoice per renewed term, the ledger balanced. The database is dropped at
the end. Nothing is asserted about speed: it depends on the machine.

    python -m bench.billing_renewals
    BENCH_SUBSCRIPTIONS (default 100000)  BENCH_ORGS (default 25000)
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

SUBSCRIPTIONS = int(os.environ.get("BENCH_SUBSCRIPTIONS", "100000"))
ORGS = int(os.environ.get("BENCH_ORGS", "25000"))
CHUNK = 5000






def seed(engine, today: date) -> tuple[int, int]:
    """Accounts (CHF, two in three with a balance that covers their renewals) and subscriptions whose
    terms end within the next 13 days (each with its current term's invoice, paid): monthly, quarterly and yearly, some with add-ons, a waiting
    downgrade or a shorter frequency, one in ten with automatic renewal off."""
    from sqlalchemy import insert

    from services.billing.adapters.orm import billing_accounts, subscriptions

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    orgs = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(ORGS)]
    with engine.begin() as conn:
        for start in range(0, ORGS, CHUNK):
            conn.execute(insert(billing_accounts), [
                {"id": str(uuid.uuid4()), "org_id": org, "currency": "CHF",
                 "balance_minor": 500_000 if index % 3 else 0, "opened_at": now, "name": f"Kunde {index} AG",
                 "org_type": "company", "country": "CH", "street": "Bahnhofstrasse", "house_number": "1",
                 "postcode": "8001", "town": "Zürich", "vat_id": None}
                for index, org in enumerate(orgs[start:start + CHUNK], start=start)])
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}
    renewing = 0
    from sqlalchemy.orm import Session

    from services.billing.adapters.batched_unit_of_work import copy_rows
    from services.billing.adapters.orm import invoices

    for first in range(0, SUBSCRIPTIONS, CHUNK):  # a chunk at a time: the round's memory is what is measured
        rows = []
        for index in range(first, min(first + CHUNK, SUBSCRIPTIONS)):
            frequency = ("monthly", "monthly", "quarterly", "yearly")[index % 4]
            ends = today + timedelta(days=1 + index % 13)
            year, month = divmod(ends.year * 12 + ends.month - 1 - months[frequency], 12)
            started = date(year, month + 1, min(ends.day, 28))
            ends = date(ends.year, ends.month, min(ends.day, 28))
            product, plan, next_plan, add_ons = [
                ("web-hosting", "web-s", None, ["daily-backup"]),
                ("web-hosting", "web-m", "web-s", ["parallel-events"]),
                ("web-hosting", "web-l", None, []),
                ("mail", "mail-s", None, []),
                ("mail", "mail-m", "mail-s", []),
            ][index % 5]
            auto_renew = index % 10 != 9
            renewing += auto_renew
            rows.append({"id": str(uuid.uuid4()), "org_id": orgs[index % ORGS], "product_id": product,
                         "plan_id": plan, "frequency": frequency, "started_on": started, "add_on_ids": add_ons,
                         "next_plan_id": next_plan,
                         "next_frequency": "monthly" if frequency == "yearly" and index % 8 == 3 else None,
                         "promo_codes": [], "status": "active", "auto_renew": auto_renew, "trial_ends_on": None,
                         "ended_on": None, "created_at": now, "term_ends_on": ends, "renewal_invoice_id": None})
        with Session(engine) as session:
            session.execute(insert(subscriptions), rows)
            # what such a database holds besides: each subscription's invoice of its current term, paid
            copy_rows(session, invoices, [
                {"id": str(uuid.uuid4()), "number": f"CHF-{today.year - 1}-{index + 1:06d}", "org_id": row["org_id"],
                 "kind": "invoice", "currency": "CHF", "status": "paid", "issued_on": row["started_on"],
                 "issued_at": now, "due_on": row["started_on"], "vat_rate": "81/10", "reverse_charge": False,
                 "notes": [], "net_minor": 990, "vat_minor": 80, "total_minor": 1070, "paid_minor": 1070,
                 "credit_note_of": None, "customer": {}, "supplier": {},
                 "reference": f"renewal:{row['id']}:{row['started_on'].isoformat()}", "payment_reference": None}
                for index, row in enumerate(rows, start=first)])
            session.commit()
    return SUBSCRIPTIONS, renewing


def timed_round(service, label: str, count: int) -> float:
    from services.billing.adapters.batched_unit_of_work import BatchedUnitOfWork
    from services.billing.domain import renewals

    started, cpu = time.perf_counter(), time.process_time()
    changed = total = renewals.renew_due(lambda: BatchedUnitOfWork(service.uow()))
    while changed:  # the scheduler's next rounds, until one finds nothing
        changed = renewals.renew_due(lambda: BatchedUnitOfWork(service.uow()))
        total += changed
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label}: {count} subscriptions in {elapsed:.1f} s = {count / elapsed:,.0f} subscriptions/s "
          f"({total} changed, {total / elapsed:,.0f}/s; this process's CPU {cpu:.1f} s, the rest is PostgreSQL and the "
          f"machine's other work); peak memory (RSS, whole process) {peak_mib():,.0f} MiB",
          flush=True)
    return elapsed


def main() -> None:
    from sqlalchemy import func, select, text

    from portico_kernel.clock import FakeClock
    from services.billing.adapters.orm import (
        billing_accounts, invoices, ledger_entries, outbox, payments, subscriptions,
    )

    with scratch_service("billing") as service:
        today = datetime.now(timezone.utc).date()
        service.clock = FakeClock(datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc).replace(hour=3))
        seeded = time.perf_counter()
        count, renewing = seed(service.engine, today)
        print(f"peak memory (RSS) before the rounds {peak_mib():,.0f} MiB; seeded {count} subscriptions (and an invoice of each one's current term) of {ORGS} organizations in {time.perf_counter() - seeded:.1f} s "
              f"({renewing} renew automatically)", flush=True)
        with service.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        with service.engine.connect() as conn:
            before = conn.execute(select(func.sum(billing_accounts.c.balance_minor))).scalar_one()
        timed_round(service, "invoicing and collecting the next terms", count)
        with service.engine.connect() as conn:
            renewals_of = invoices.c.issued_on == today
            issued = conn.execute(select(func.count()).select_from(invoices).where(renewals_of)).scalar_one()
            distinct = conn.execute(select(func.count(func.distinct(invoices.c.reference))).where(renewals_of)).scalar_one()
            paid = conn.execute(select(func.count()).select_from(invoices)
                                .where(renewals_of, invoices.c.status == "paid")).scalar_one()
            unbalanced = conn.execute(select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0))).scalar_one()
            events = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
            held = conn.execute(select(func.sum(billing_accounts.c.balance_minor))).scalar_one()
            taken = conn.execute(select(func.sum(payments.c.prepaid_minor))).scalar_one()
        print(f"  {issued} invoices ({distinct} distinct references, {paid} paid from the prepaid balance), "
              f"{events} events in the outbox, ledger sum {unbalanced}", flush=True)
        assert issued == distinct == renewing and unbalanced == 0
        assert held == before - taken, (held, before, taken)  # the balances moved as the payments say
        with service.engine.begin() as conn:  # as autovacuum would have by the next day
            conn.execute(text("ANALYZE"))
        service.clock.set(service.clock.now() + timedelta(days=14))
        timed_round(service, "the next terms beginning (and the ones not renewed ending)", count)
        with service.engine.connect() as conn:
            ended = conn.execute(select(func.count()).select_from(subscriptions)
                                 .where(subscriptions.c.status == "ended")).scalar_one()
            again = conn.execute(select(func.count()).select_from(invoices)
                                 .where(invoices.c.issued_on > today)).scalar_one()
        print(f"  {ended} ended, {again} invoices more (terms now within the lead time again)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
