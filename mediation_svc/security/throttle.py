"""Fixed-window attempt counting in the database, shared by every API worker.

Counting happens in the request's transaction; a failed attempt is written after that transaction ends
(``db.after_transaction``), on its own connection, so it is kept even though the failing request rolls back
(and a request never holds two connections). ``serialise`` makes the attempts on one key wait for each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlmodel import Field, Session, SQLModel, col

from ..db import UTCDateTime, advisory_lock, after_transaction, utcnow
from ..errors import TooManyRequests


class ThrottleEvent(SQLModel, table=True):
    __tablename__ = "throttle_events"

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40, index=True)
    key: str = Field(max_length=200, index=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


def recent_count(session: Session, *, bucket: str, key: str, window: timedelta) -> int:
    since = utcnow() - window
    return session.execute(
        select(func.count()).select_from(ThrottleEvent)
        .where(col(ThrottleEvent.bucket) == bucket, col(ThrottleEvent.key) == key, col(ThrottleEvent.at) >= since)
    ).scalar_one()


def last_at(session: Session, *, bucket: str, key: str, window: timedelta) -> tuple[int, datetime | None]:
    """How many events in the window, and when the latest was."""
    since = utcnow() - window
    count, latest = session.execute(
        select(func.count(), func.max(ThrottleEvent.at)).select_from(ThrottleEvent)
        .where(col(ThrottleEvent.bucket) == bucket, col(ThrottleEvent.key) == key, col(ThrottleEvent.at) >= since)
    ).one()
    return count, latest


def growing_delay(failures: int, *, free: int, cap_seconds: int) -> int:
    """Seconds to wait after the latest failure: none for the first ``free`` ones, then 1, 2, 4 ... capped."""
    if failures < free:
        return 0
    return min(2 ** (failures - free), cap_seconds)


def ensure_allowed(session: Session, *, bucket: str, key: str, limit: int, window: timedelta,
                   message: str = "Too many attempts; try again later.") -> None:
    if recent_count(session, bucket=bucket, key=key, window=window) >= limit:
        raise TooManyRequests(message, retry_after_seconds=int(window.total_seconds()))


THROTTLE_LOCK_SPACE = 0x5448  # first key of the advisory locks that serialise attempts on one key (PostgreSQL)


def serialise(session: Session, *, bucket: str, key: str) -> None:
    """Until this transaction ends, other attempts on ``bucket``/``key`` wait (PostgreSQL; SQLite runs writers
    one at a time): the check of the limit and the attempt it allows are then one step, so parallel requests
    cannot all pass a check made before any of them was counted. Take such locks in one order (phone before
    client) and nothing after them but rows of their own."""
    advisory_lock(session, THROTTLE_LOCK_SPACE, f"{bucket}:{key}")


def count_attempt(session: Session, *, bucket: str, key: str) -> None:
    """Count an attempt durably: written once the current transaction ends, whatever its outcome."""
    engine = session.get_bind().engine

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(insert(ThrottleEvent).values(bucket=bucket, key=key, at=utcnow()))

    after_transaction(session, write)


def remember(session: Session, *, bucket: str, key: str) -> None:
    """Record an event in the current transaction (kept only if it commits)."""
    session.add(ThrottleEvent(bucket=bucket, key=key, at=utcnow()))


def clear(session: Session, *, bucket: str, key: str) -> None:
    session.execute(delete(ThrottleEvent).where(col(ThrottleEvent.bucket) == bucket,
                                                   col(ThrottleEvent.key) == key))
