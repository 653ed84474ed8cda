"""The kernel's storage on the request path: a read never waits for a writer, a connection the
database dropped is replaced before a request gets it, and a page read through the driver is the
page SQLAlchemy reads (docs/PERFORMANCE.md)."""
from __future__ import annotations

import threading
import time

import pytest
from datetime import datetime, timedelta, timezone

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, bindparam, create_engine, insert, select, text
from sqlalchemy.exc import DBAPIError

from portico_kernel import db, paging
from portico_kernel.uow import UnitOfWork

METADATA = MetaData()
NOTES = Table("notes", METADATA, Column("id", String(36), primary_key=True))


def _reading_while_a_writer_holds_the_lock(engine) -> list:
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(NOTES).values(id="first"))
    reader = db.ReadingSessions(db.reading(engine))
    writer = engine.connect()
    writer.begin()  # SQLite: BEGIN IMMEDIATE, the write lock is held from here on
    writer.execute(insert(NOTES).values(id="uncommitted"))
    seen: list = []
    thread = threading.Thread(target=lambda: seen.extend(reader().scalars(select(NOTES.c.id))))
    thread.start()
    thread.join(timeout=5)
    writer.rollback()
    writer.close()
    return seen


def test_a_read_does_not_wait_for_a_writer_on_sqlite(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/notes.db")
    seen = _reading_while_a_writer_holds_the_lock(engine)
    assert seen == ["first"], "the read waited for the writer's lock (or saw its uncommitted row)"


def test_a_reading_unit_of_work_emits_nothing(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/notes.db")
    metadata = MetaData()
    outbox, _inbox = db.messaging_tables(metadata)
    metadata.create_all(engine)
    with UnitOfWork(db.make_session_factory(db.reading(engine)), "tests", outbox, reading=True) as uow:
        with pytest.raises(RuntimeError):
            uow.emit(object())
        assert uow.session.execute(select(outbox)).all() == []


MOMENTS = Table("moments", METADATA, Column("id", String(36), primary_key=True), Column("owner", String(36)),
                Column("at", db.UtcDateTime, nullable=False), Column("done", Boolean, nullable=False),
                Column("size", Integer))
OF_OWNER = select(MOMENTS.c.id, MOMENTS.c.at, MOMENTS.c.done, MOMENTS.c.size.label("how_big")).where(
    MOMENTS.c.owner == bindparam("owner"))


def _pages(session, **read) -> list:
    """Every page of one owner's moments, two a page, following the cursors."""
    pages, asked = [], paging.request(2)
    while True:
        page = db.fetch_page(session, OF_OWNER, (MOMENTS.c.at, MOMENTS.c.id), asked, params={"owner": "o-1"},
                             key=lambda row: (row.at, row.id), **read)
        pages.append([tuple(row) for row in page] + [tuple(row._fields) for row in page.items[:1]])
        if page.next_cursor is None:
            return pages
        asked = paging.request(2, page.next_cursor)


def _a_page_through_the_driver_is_the_page_sqlalchemy_reads(engine) -> None:
    METADATA.create_all(engine)
    start = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(MOMENTS.delete())
        conn.execute(insert(MOMENTS), [{"id": f"m-{n}", "owner": "o-1" if n != 3 else "o-2", "at": start + timedelta(hours=n % 4),
                                        "done": n % 2 == 0, "size": n if n != 4 else None} for n in range(7)])
    sessions = db.ReadingSessions(db.reading(engine))
    with sessions() as session:
        through_driver, through_sqlalchemy = _pages(session, through_driver=True), _pages(session, scalars=False)
    assert through_driver == through_sqlalchemy
    rows = [row for page in through_driver for row in page if not isinstance(row[0], str) or row[0].startswith("m-")]
    assert [row[0] for row in rows] == ["m-0", "m-4", "m-1", "m-5", "m-2", "m-6"]
    assert all(row[1].tzinfo is not None and isinstance(row[2], bool) for row in rows)
    assert through_driver[0][-1] == ("id", "at", "done", "how_big")
    session = sessions()  # a driver's refusal is SQLAlchemy's, and its connection is not handed out again
    with pytest.raises(DBAPIError):
        db.driver_rows(session.connection(), select(MOMENTS.c.id).where(text("no_such_column = 1")), {})
    failed = session.bind
    assert failed.invalidated
    sessions.give_back(session)
    session = sessions()
    assert session.bind is not failed
    assert db.driver_rows(session.connection(), select(MOMENTS.c.id).where(MOMENTS.c.id == "m-0"), {})[0].id == "m-0"
    engine.dispose()


def test_a_page_through_the_driver_is_the_page_sqlalchemy_reads_on_sqlite(tmp_path):
    _a_page_through_the_driver_is_the_page_sqlalchemy_reads(db.make_engine(f"sqlite:///{tmp_path}/moments.db"))


@pytest.mark.real
def test_a_page_through_the_driver_is_the_page_sqlalchemy_reads_on_postgresql():
    from tests.run import POSTGRES

    _a_page_through_the_driver_is_the_page_sqlalchemy_reads(db.make_engine(f"{POSTGRES}/postgres"))


def _backend(session) -> object:
    return session.connection().connection.dbapi_connection


def test_a_reading_connection_serves_the_next_read_until_it_rests_or_fails(tmp_path, monkeypatch):
    """Reads take no connection from the pool per request: a read's connection serves the next
    read; reads at once have one each; one that rested goes back, so a fresh checkout pings it, and
    one that failed is not handed out again."""
    engine = db.make_engine(f"sqlite:///{tmp_path}/notes.db")
    METADATA.create_all(engine)
    sessions = db.ReadingSessions(db.reading(engine))
    reading = sessions()
    first = _backend(reading)
    sessions.give_back(reading)
    reading = sessions()
    assert _backend(reading) is first
    other_thread: list = []
    thread = threading.Thread(target=lambda: other_thread.append(_backend(sessions())))
    thread.start()
    thread.join(timeout=5)
    assert other_thread and other_thread[0] is not first, "two reads at once shared one connection"
    reading.execute(select(NOTES))  # a read leaves no transaction open behind it
    sessions.give_back(reading)
    connection = reading.bind
    assert not connection.in_transaction()
    connection.invalidate()
    assert _backend(sessions()) is not first
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)
    reading = sessions()
    rested = reading.bind
    sessions.give_back(reading)
    time.sleep(0.01)
    assert sessions().bind is not rested and rested.closed
    engine.dispose()


def test_no_more_connections_rest_than_reads_ever_ran_at_once_nor_than_kept(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path}/notes.db")
    sessions = db.ReadingSessions(db.reading(engine))
    at_once = [sessions() for _ in range(db.ReadingSessions.KEPT + 3)]
    for session in at_once:
        sessions.give_back(session)
    assert len(sessions.resting) == db.ReadingSessions.KEPT
    assert sum(session.bind.closed for session in at_once) == 3, "a connection beyond those kept went back to the pool"
    engine.dispose()


@pytest.mark.real
def test_a_clean_reading_session_serves_the_next_read_and_a_used_one_is_closed(tmp_path):
    """A read through the driver leaves its session as it found it, and the thread's next read
    takes that session as it is; a session that loaded something or began a transaction is closed
    (nothing it loaded reaches the next read), and a read inside a read has a session of its own."""
    engine = db.make_engine(f"sqlite:///{tmp_path}/notes.db")
    metadata = MetaData()
    outbox, _inbox = db.messaging_tables(metadata)
    metadata.create_all(engine)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(NOTES).values(id="first"))
    sessions = db.ReadingSessions(db.reading(engine))
    reading = lambda: UnitOfWork(sessions, "tests", outbox, reading=True)
    with reading() as uow:
        first = uow.session
        assert [row.id for row in db.driver_rows(db._driver_connection_of(uow.session), select(NOTES.c.id), {})] == ["first"]
        with reading() as inner:
            assert inner.session is not first
    with reading() as uow:
        assert uow.session is first, "a clean session was made anew"
        uow.session.execute(select(NOTES)).all()  # begins a transaction on SQLite
    with reading() as uow:
        assert uow.session is not first and not first.in_transaction()
        assert not uow.session.in_transaction() and not uow.session.identity_map
    engine.dispose()


def test_a_connection_the_database_dropped_is_replaced_before_a_request_gets_it(monkeypatch):
    from tests.run import POSTGRES

    engine = db.make_engine(f"{POSTGRES}/postgres")
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        dropped = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with admin.connect() as conn:  # the database goes away under a pooled connection
        conn.execute(text(f"SELECT pg_terminate_backend({dropped})"))
    monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)
    time.sleep(0.05)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != dropped
    engine.dispose()
    admin.dispose()


def test_a_key_whose_first_request_died_is_free_again_after_a_while(tmp_path, monkeypatch):
    """The first request's worker died mid-way: its key answered 409 for a bounded time, not a day."""
    from datetime import datetime, timedelta, timezone

    from portico_kernel import idempotency

    engine = db.make_engine(f"sqlite:///{tmp_path}/keys.db")
    metadata = MetaData()
    keys = db.idempotency_keys_table(metadata)
    metadata.create_all(engine)
    store = idempotency.Store(engine, keys)
    started = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(idempotency, "_now", lambda: started)
    assert store.begin("customer:u-1", "pay-1", "f") is None  # the first request runs, then its worker dies
    monkeypatch.setattr(idempotency, "_now", lambda: started + timedelta(seconds=30))
    assert store.begin("customer:u-1", "pay-1", "f").status is None  # still running: 409
    monkeypatch.setattr(idempotency, "_now", lambda: started + idempotency.RUNNING_AT_MOST + timedelta(seconds=1))
    assert store.begin("customer:u-1", "pay-1", "f") is None  # this retry runs
    store.finish("customer:u-1", "pay-1", 201, [], b"{}")
    monkeypatch.setattr(idempotency, "_now", lambda: started + timedelta(hours=3))
    assert store.begin("customer:u-1", "pay-1", "f").status == 201  # an answered key keeps its answer


def test_published_events_leave_the_outbox_after_a_day(tmp_path):
    """Events carry personal data (and an email change's link): the outbox keeps a published one a
    day, an unpublished one until it is published."""
    from datetime import datetime, timedelta, timezone

    from portico_kernel import outbox as relay

    engine = db.make_engine(f"sqlite:///{tmp_path}/outbox.db")
    metadata = MetaData()
    outbox, _inbox = db.messaging_tables(metadata)
    metadata.create_all(engine)
    now = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)
    rows = {"old": now - timedelta(days=2), "recent": now - timedelta(hours=2), "waiting": None}
    with engine.begin() as conn:
        for event_id, published_at in rows.items():
            conn.execute(insert(outbox).values(id=event_id, routing_key="x", envelope={}, created_at=now - timedelta(days=3),
                                               attempts=0, published_at=published_at))
    assert relay.forget_published(engine, outbox, now) == 1
    with engine.connect() as conn:
        assert sorted(conn.execute(select(outbox.c.id)).scalars()) == ["recent", "waiting"]


def _while_a_short_read_waits_for_postgresql(at_most: int, cancel: bool = False) -> tuple[list, object]:
    """A short read of one slow query on a reading connection, run as the web worker runs it (on
    the event loop, `loop_waits.AtMost`), beside a timer of the loop: who finished first."""
    import asyncio

    from sqlalchemy import func

    from portico_kernel.loop_waits import AtMost
    from tests.run import POSTGRES

    engine = db.make_engine(f"{POSTGRES}/postgres")
    sessions = db.ReadingSessions(db.reading(engine))
    order: list = []
    read = {}

    def slow_read():
        session = read["session"] = sessions()
        try:
            db.driver_rows(db._driver_connection_of(session), select(func.pg_sleep(0.4).label("slept")), {})
        finally:
            sessions.give_back(session)
        order.append("read")

    async def loop_free():
        await asyncio.sleep(0.05)
        order.append("loop")

    async def both():
        reading = asyncio.ensure_future(AtMost(at_most).run(slow_read, {}))
        await loop_free()
        if cancel:
            reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)

    asyncio.run(both())
    engine.dispose()
    return order, read["session"].bind


@pytest.mark.real
def test_a_short_read_waiting_for_postgresql_leaves_the_loop_to_other_requests():
    order, connection = _while_a_short_read_waits_for_postgresql(at_most=1)
    assert order == ["loop", "read"], "the read held the loop while the database answered"
    assert not connection.invalidated


@pytest.mark.real
@pytest.mark.timeout(60, method="thread")
def test_beyond_the_reads_that_may_run_at_once_a_read_waits_its_turn_with_the_loop_free():
    import asyncio

    from sqlalchemy import func

    from portico_kernel.loop_waits import AtMost
    from tests.run import POSTGRES

    engine = db.make_engine(f"{POSTGRES}/postgres")
    sessions = db.ReadingSessions(db.reading(engine))
    order: list = []

    def slow_read(name: str):
        order.append(f"{name} begins")
        session = sessions()
        try:
            db.driver_rows(db._driver_connection_of(session), select(func.pg_sleep(0.2).label("slept")), {})
        finally:
            sessions.give_back(session)
        order.append(f"{name} ends")

    async def loop_free():
        await asyncio.sleep(0.05)
        order.append("loop")

    async def three():
        at_most = AtMost(1)
        await asyncio.gather(at_most.run(slow_read, {"name": "first"}), at_most.run(slow_read, {"name": "second"}),
                             loop_free())

    asyncio.run(three())
    engine.dispose()
    assert order == ["first begins", "loop", "first ends", "second begins", "second ends"]


@pytest.mark.real
def test_a_read_stopped_while_postgresql_answers_never_hands_its_connection_out_again():
    order, connection = _while_a_short_read_waits_for_postgresql(at_most=1, cancel=True)
    assert order == ["loop"]
    assert connection.invalidated or connection.closed


@pytest.mark.real
@pytest.mark.timeout(60, method="thread")
def test_reads_at_once_on_a_new_worker_set_up_its_connections_without_holding_each_other_up():
    """The first reads of a worker each open a connection while the engine sets itself up once,
    under a lock of its own: none of them hands a set-up wait to the loop, so none holds that
    lock while another read on the loop waits for it (which would hold the loop for good)."""
    import asyncio

    from sqlalchemy import func

    from portico_kernel.loop_waits import AtMost
    from tests.run import POSTGRES

    engine = db.make_engine(f"{POSTGRES}/postgres")  # no connection made yet
    sessions = db.ReadingSessions(db.reading(engine))

    def read():
        session = sessions()
        try:
            return db.driver_rows(db._driver_connection_of(session), select(func.pg_sleep(0.05).label("slept")), {})
        finally:
            sessions.give_back(session)

    async def at_once():
        at_most = AtMost(4)
        return await asyncio.gather(*(at_most.run(read, {}) for _ in range(6)))

    assert len(asyncio.run(at_once())) == 6
    engine.dispose()
