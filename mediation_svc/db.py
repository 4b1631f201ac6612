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

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from .config import PROJECT_ROOT, Settings

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
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
        engine = create_engine(url, echo=settings.database_echo,
                               connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=settings.database_echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling defers BEGIN; we issue BEGIN IMMEDIATE ourselves so that
        # two writers serialise at the start of the transaction instead of failing at commit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


AFTER_TRANSACTION = "after_transaction"


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session whose work commits once on success and rolls back entirely on any error.

    Callbacks registered with ``after_transaction`` run once the transaction has ended either way, on
    their own connection: for records that must survive a failed request (a failed login, a wrong code).
    """
    session = Session(engine, expire_on_commit=False)
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
