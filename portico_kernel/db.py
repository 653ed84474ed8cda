"""The database engine of one service, and the messaging tables every service carries.

Each service owns one database. SQLite (embedded) is shared by a service's web, consumer and
relay processes, so it runs in WAL mode with a busy timeout.
"""
from __future__ import annotations

import functools
import time
from collections import namedtuple
from datetime import timezone
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import (
    JSON, BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, TypeDecorator,
    create_engine, event, bindparam, text, tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from . import paging
from .paging import Page, PageRequest


class UtcDateTime(TypeDecorator):
    """A moment in UTC, aware on the way back too (SQLite forgets the zone; PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: Portico stores aware UTC moments only")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


# Connections are kept for as many requests as a worker runs at once: one opened and closed per
# request (beyond a small pool) costs more than the request's query.
_POOL = {"pool_size": 10, "max_overflow": 30}


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **_POOL)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Transactions are begun explicitly below so that SQLite locks at BEGIN, not mid-way.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # A writer takes the write lock at once; a reader takes none and reads its snapshot in
            # WAL mode, so reads never queue behind writes (or behind each other).
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READING) else "BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, **_POOL)
    _ping_when_idle(engine)
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "do_connect", _loop_waiting_connection)
        event.listen(engine, "checkout", _mark_handed_out)
    return engine


def _loop_waiting_connection(_dialect, _record, cargs, cparams):
    """psycopg's connection, whose waits can go to the event loop (portico_kernel/loop_waits.py)."""
    from .loop_waits import LoopWaitingConnection

    return LoopWaitingConnection.connect(*cargs, **cparams)


def _mark_handed_out(dbapi_connection, _record, _proxy) -> None:
    dbapi_connection.handed_out = True


IDLE_BEFORE_PING = 5.0  # seconds


def _ping_when_idle(engine: Engine) -> None:
    """A connection that rested in the pool for a while is pinged before it is handed out (the
    database may have restarted since), one in steady use is not: a ping on every checkout, as
    `pool_pre_ping` does, is one more round trip per request. Should a busy connection still turn
    out dead, its request fails and the pool drops every connection of that generation."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection, record, _proxy):
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned > IDLE_BEFORE_PING:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # the pool replaces the connection and tries again
                raise DisconnectionError() from exc


READING = "portico_reading"


def reading(engine: Engine) -> Engine:
    """The same engine and pool, for units of work that only read. On PostgreSQL they run without
    BEGIN and ROLLBACK, two round trips of three: under READ COMMITTED each statement reads its own
    snapshot inside a transaction too, so nothing a reader sees changes."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{READING: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{READING: True})


class ReadingSessions:
    """Sessions for units of work that only read, on connections kept between reads: a read then
    pays for its query, not for taking a connection from the pool and giving it back (with the
    pool's events and reset) around it. Each read takes a resting connection, or a new one, and
    gives it back when it ends; reads at once (handler threads, or reads waiting for PostgreSQL on
    the event loop) have one each. A connection that rested longer than IDLE_BEFORE_PING goes back
    to the pool, so a fresh checkout pings; one that failed is replaced. A session given back clean
    (nothing loaded, no transaction: a read through the driver) serves the next read on its
    connection as it is, rather than being closed and made anew."""

    KEPT = 8  # resting connections; beyond, a connection given back returns to the pool

    def __init__(self, engine: Engine):
        self.engine = engine
        self.resting: list[tuple[Connection, float, Session | None]] = []  # the last given back last

    def __call__(self) -> Session:
        now, session = time.monotonic(), None
        try:
            connection, rested_since, session = self.resting.pop()  # atomic: threads take their own
        except IndexError:
            connection = self.engine.connect()
        else:
            if connection.invalidated or connection.closed or now - rested_since > IDLE_BEFORE_PING:
                connection.close()
                connection, session = self.engine.connect(), None
        return session if session is not None else Session(bind=connection, expire_on_commit=False)

    def give_back(self, session: Session) -> None:
        connection = session.bind
        if not session.in_transaction() and not session.identity_map:
            kept = session
        else:
            session.close()  # what it loaded is let go, what began is rolled back
            kept = None
        if len(self.resting) < self.KEPT and not connection.invalidated and not connection.closed:
            self.resting.append((connection, time.monotonic(), kept))
        else:
            connection.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def upsert(session: Session, table: Table):
    """An INSERT into `table` that can say what a conflict does (`on_conflict_do_nothing`,
    `on_conflict_do_update`), in the dialect of the session's database."""
    return (postgresql if is_postgres(session.get_bind()) else sqlite).insert(table)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The outbox (events waiting to leave) and the inbox (events already handled); with them, the
    kernel's table of idempotency keys (portico_kernel/idempotency.py)."""
    idempotency_keys_table(metadata)
    outbox = Table(
        "outbox",
        metadata,
        # seq orders the relay's work; id is the event's own id, carried in its envelope.
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("routing_key", String(200), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime, nullable=True, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", String(500), nullable=True),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(100), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
    )
    return outbox, inbox


IDEMPOTENCY_KEYS = "idempotency_keys"


def idempotency_key_columns() -> list:
    return [
        Column("caller", String(120), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),  # method, path, query and body
        Column("status", Integer, nullable=True),  # none while the first request runs
        Column("headers", JSON, nullable=True),
        Column("body", LargeBinary, nullable=True),
        Column("created_at", UtcDateTime, nullable=False),
    ]


def idempotency_keys_table(metadata: MetaData) -> Table:
    """The kernel's table of idempotency keys, in a component's metadata."""
    return Table(IDEMPOTENCY_KEYS, metadata, *idempotency_key_columns(),
                 Index(f"ix_{IDEMPOTENCY_KEYS}_created_at", "created_at"))


def in_period(query, column, period: paging.Period):
    """`query` narrowed to the rows whose `column` lies in `period`."""
    if period.since is not None:
        query = query.where(column >= period.since)
    if period.until is not None:
        query = query.where(column < period.until)
    return query


def fetch_page(session: Session, query, order: Sequence, asked: PageRequest, *, params: dict | None = None,
               descending: bool = False, key: Callable | None = None, scalars: bool = True,
               through_driver: bool = False) -> Page:
    """One page of `query` by key (portico_kernel/paging.py): ordered by `order` (a stable key whose
    last column is unique), after the cursor's key, `limit + 1` rows fetched.

    The values of a query built once (a module's constant with `bindparam`s) come in `params`; its
    paged form is then built once too, and a request pays for running the query, not for building it.
    A Core query of columns may be read `through_driver` (`driver_rows`)."""
    if asked.after is not None and len(asked.after) != len(order):
        raise paging.bad_cursor()  # a cursor of another collection
    statement = _paged(query, tuple(order), descending, asked.after is not None)
    values = {**(params or {}), "page_limit": asked.limit + 1}
    if asked.after is not None:
        values.update({f"page_after_{index}": value for index, value in enumerate(asked.after)})
    if through_driver:
        rows = driver_rows(_driver_connection_of(session), statement, values)
    else:
        rows = list(session.scalars(statement, values) if scalars else session.execute(statement, values))
    return paging.page_of(rows, asked, key or (lambda row: tuple(getattr(row, c.key) for c in order)))


def _driver_connection_of(session: Session):
    """The connection a read through the driver runs on: a reading session's own connection as it
    is, when nothing has begun on it (a single statement needs no transaction around it, and its
    session then has none to roll back); else the session's transaction's."""
    bind = session.get_bind()
    if isinstance(bind, Connection) and not bind.in_transaction() and bind.get_execution_options().get(READING):
        return bind
    return session.connection()


@functools.lru_cache(maxsize=1024)
def _paged(query, order: tuple, descending: bool, after_cursor: bool):
    if after_cursor:
        mark = tuple_(*[bindparam(f"page_after_{index}", type_=column.type) for index, column in enumerate(order)])
        query = query.where(tuple_(*order) < mark if descending else tuple_(*order) > mark)
    return query.order_by(*[(c.desc() if descending else c.asc()) for c in order]).limit(bindparam("page_limit"))


_KEPT_CURSOR = "portico.driver_cursor"  # the key of a driver connection's kept cursor in its pool record's `info`


def driver_rows(connection, statement, values: dict) -> list:
    """The rows of a Core query of columns, read through the database driver itself: SQLAlchemy
    compiles the query once per dialect, and each column's and parameter's type conversions are
    kept, but its execution and result machinery, which cost a short read more than its query
    (docs/PERFORMANCE.md), is skipped. Rows are named tuples of the selected columns' names.

    A failing driver call invalidates the connection (a reading connection is then replaced before
    it is handed out again) and is raised as SQLAlchemy would raise it."""
    plan = _driver_plan(statement, connection.dialect)
    parameters = plan.parameters(values)
    pooled = connection.connection  # its `info` lives as long as the driver's connection
    try:
        cursor = pooled.info.get(_KEPT_CURSOR)
        if cursor is None:  # one per connection, made at its first read: reads on it come one at a time
            cursor = pooled.info[_KEPT_CURSOR] = pooled.driver_connection.cursor()
        cursor.execute(plan.sql, parameters)
        fetched = cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as exc:
        connection.invalidate(exc)
        raise DBAPIError.instance(plan.sql, parameters, exc, connection.dialect.loaded_dbapi.Error,
                                  connection_invalidated=True) from exc
    except BaseException:  # stopped while the database answered (a cancelled read): the answer never read
        connection.invalidate()
        raise
    return [plan.row(row) for row in fetched]


class _DriverPlan:
    """What reading one statement through a dialect's driver takes: its SQL, the order of its
    parameters (for a driver that takes them by position), and its types' conversions."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.names = compiled.positiontup if compiled.positional else None
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self.binds = {name: processor for name, bind in compiled.binds.items()
                      if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        columns = list(statement.selected_columns)
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        self.converted = [(index, processor) for index, processor in enumerate(processors) if processor is not None]
        self.row_type = namedtuple("Row", [column.key for column in columns])

    def parameters(self, values: dict):
        if self.fixed:  # values the query itself holds
            values = {**self.fixed, **values}
        if self.binds:
            values = {name: (self.binds[name](value) if name in self.binds else value) for name, value in values.items()}
        return tuple(values[name] for name in self.names) if self.names is not None else values

    def row(self, values: tuple):
        if self.converted:
            values = list(values)
            for index, processor in self.converted:
                values[index] = processor(values[index])
        return self.row_type._make(values)


@functools.lru_cache(maxsize=256)
def _driver_plan(statement, dialect) -> _DriverPlan:
    return _DriverPlan(statement, dialect)
