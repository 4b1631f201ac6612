"""Engine, sessions and the unit of work, identical on SQLite and PostgreSQL.

One request is one transaction: services add and flush, the request's unit of work commits once at the
end (or rolls everything back), so a state change and its audit entry land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine
from sqlmodel.sql.expression import SelectOfScalar

from .config import PROJECT_ROOT, Settings
from .errors import NotFound

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zones; storing naive UTC and re-attaching UTC on the way out keeps comparisons
    and arithmetic the same as on PostgreSQL's ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


FEN = Decimal("0.01")


class Money(sa.types.TypeDecorator):
    """CNY amounts, stored as whole fen (BIGINT) and handed out as ``Decimal`` with two places.

    Integers avoid SQLite's float-backed NUMERIC; no amount ever passes through a float.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        fen = value.quantize(FEN, rounding=ROUND_HALF_UP) * 100
        return int(fen)

    def process_result_value(self, value: int | None, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(FEN)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # A little overflow beyond one connection per request thread, for the readiness probe and callbacks.
    pool = {"pool_size": settings.database_pool_size, "max_overflow": 4,
            "pool_timeout": settings.database_pool_timeout_seconds}
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
        engine = create_engine(url, echo=settings.database_echo, **pool,
                               connect_args={"check_same_thread": False,
                                             "timeout": settings.sqlite_busy_timeout_ms / 1000})
        _configure_sqlite(engine, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        return engine
    # Every session waits at most this long for a lock, runs no statement longer, and is closed by the
    # server if it sits in an open transaction (a request that hung) longer: nothing waits for ever.
    options = (f"-c lock_timeout={settings.database_lock_timeout_ms} "
               f"-c statement_timeout={settings.database_statement_timeout_ms} "
               f"-c idle_in_transaction_session_timeout={settings.database_idle_in_transaction_timeout_ms}")
    return create_engine(url, echo=settings.database_echo, pool_pre_ping=True, **pool,
                         connect_args={"options": options, "connect_timeout": 5,
                                       "application_name": "mediation-svc"})


READ_ONLY = "mediation_read_only"


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling defers BEGIN; we issue BEGIN ourselves (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writer takes the write lock at BEGIN IMMEDIATE, so two writers queue at the start instead of
        # failing at commit. A read-only unit of work (a GET) begins deferred: in WAL mode it reads its
        # snapshot without the write lock and never waits for writers.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


AFTER_TRANSACTION = "after_transaction"


@contextmanager
def unit_of_work(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session whose work commits once on success and rolls back entirely on any error.

    ``read_only`` is a hint for SQLite (a deferred BEGIN, without the write lock); a read-only unit of
    work that writes after all still works, it merely may meet a writer (database busy, retried).
    Callbacks registered with ``after_transaction`` run once the transaction has ended either way, on
    their own connection: for records that must survive a failed request (a failed login, a wrong code).
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only and engine.dialect.name == "sqlite" else engine
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        callbacks = session.info.pop(AFTER_TRANSACTION, [])
        session.close()
        for callback in callbacks:
            callback()


def after_transaction(session: Session, callback) -> None:
    """Run ``callback()`` after this session's transaction ends, whether it committed or rolled back."""
    session.info.setdefault(AFTER_TRANSACTION, []).append(callback)


def is_postgresql(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def advisory_lock(session: Session, space: int, name: str | None = None) -> None:
    """Until this transaction ends, other transactions asking for the same lock wait (PostgreSQL's
    transaction-level advisory lock on ``space``, or on ``space`` and ``name``; SQLite runs writers one at a
    time and needs none). For what has no row of its own to lock: a job's run, a key's attempts, a resource."""
    if is_postgresql(session):
        keys = (space,) if name is None else (space, sa.func.hashtext(name))
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(*keys)))


QueryT = TypeVar("QueryT", bound=sa.Select)


def locked(query: QueryT, *, of=None) -> QueryT:
    """``query`` locking the rows it reads (FOR UPDATE, of the ``of`` entity only when given) and reading them as
    they are once locked, even if this session had loaded them before: what a change decides from is then
    what it changes."""
    return query.with_for_update(of=of).execution_options(populate_existing=True)


# Transient database failures, by what the client should do about them.
CONTENTION = "contention"    # deadlock, serialisation failure, lock timeout, SQLite busy: retry soon
TIMEOUT = "timeout"          # a statement ran past statement_timeout
UNAVAILABLE = "unavailable"  # the server is down or unreachable, the connection broke
SATURATED = "saturated"      # no connection free in the pool in time

_CONTENTION_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization_failure, deadlock_detected, lock_not_available
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300", "53100"}  # shutdowns, too many connections, disk full


def transient_failure(exc: BaseException) -> str | None:
    """Which transient failure ``exc`` is (one of the constants above), or None for a real error."""
    if isinstance(exc, sa.exc.TimeoutError):
        return SATURATED
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state in _CONTENTION_SQLSTATES:
        return CONTENTION
    if state == "57014":  # query_canceled: statement_timeout
        return TIMEOUT
    if exc.connection_invalidated or (state and (state.startswith("08") or state in _UNAVAILABLE_SQLSTATES)):
        return UNAVAILABLE
    if isinstance(exc, sa.exc.OperationalError):
        message = str(orig).lower()
        if "database is locked" in message or "database table is locked" in message or "busy" in message:
            return CONTENTION
        if state is None:  # raised by the client library: the connection could not be made or was lost
            return UNAVAILABLE
    return None


def duplicate_key(exc: BaseException) -> bool:
    """Whether ``exc`` is a unique constraint met (PostgreSQL 23505, SQLite "UNIQUE constraint failed"): in a
    request that checked first, the mark of another transaction inserting the same key at the same moment.
    Not a transient failure for jobs (``transient_failure`` None): run again, a real duplicate stays one."""
    if not isinstance(exc, sa.exc.IntegrityError):
        return False
    return getattr(exc.orig, "sqlstate", None) == "23505" or "unique constraint failed" in str(exc.orig).lower()


# Reading rows: one home for "this row or a 404" and for "the id of a row that has been saved", so that a
# missing row is a typed NotFound (a problem+json 404), never an AttributeError on None (a 500).

RowT = TypeVar("RowT")


def one_or_404(session: Session, query: SelectOfScalar[RowT], *, missing: str, for_update: bool = False) -> RowT:
    """The single row ``query`` selects (locked with ``for_update``, and then read as it is once locked), or
    NotFound(``missing``)."""
    if for_update:
        query = locked(query)
    row = session.exec(query).first()
    if row is None:
        raise NotFound(missing)
    return row


def get_or_404(session: Session, model: type[RowT], ident: object, *, missing: str | None = None) -> RowT:
    """``session.get(model, ident)``, or NotFound when there is no such row."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(missing or f"{getattr(model, '__tablename__', model.__name__)} {ident} not found")
    return row


def id_of(row: object) -> int:
    """The primary key of a row that has been flushed; a row without one is a programming error, said so."""
    ident = getattr(row, "id", None)
    if not isinstance(ident, int):
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it before using its id")
    return ident
