"""Loading who is busy when: the database side of slot finding, and workload figures for rosters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import or_
from sqlmodel import Session, col, select

from .models import ACTIVE_STATUSES, MediationSession, SessionBooking, SessionParticipant, SessionStatus, TimeOff
from .slots import Interval, merge

BOOKED_STATUSES = (*ACTIVE_STATUSES, SessionStatus.HELD)


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def party_key(party_id: int) -> str:
    return f"party:{party_id}"


def room_key(room_id: int) -> str:
    return f"room:{room_id}"


def busy_minutes(session: Session, *, user_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, int]:
    """Minutes each user spends in scheduled or held sessions within [start, end) (buffers not counted).

    Every requested user is in the answer, with 0 when they have no sessions in the window.
    """
    ids = sorted(set(user_ids))
    result = {user_id: 0 for user_id in ids}
    if not ids or end <= start:
        return result
    rows = session.exec(
        select(SessionParticipant.user_id, MediationSession.starts_at, MediationSession.ends_at)
        .join(MediationSession, col(MediationSession.id) == col(SessionParticipant.session_id))
        .where(col(SessionParticipant.user_id).in_(ids),
               col(MediationSession.status).in_([s.value for s in BOOKED_STATUSES]),
               col(MediationSession.starts_at) < end, col(MediationSession.ends_at) > start)
    ).all()
    seen: dict[int, list[Interval]] = defaultdict(list)
    for user_id, s_start, s_end in rows:
        if user_id is None:  # not selected: the query asks for these users only
            continue
        seen[user_id].append((max(s_start, start), min(s_end, end)))
    for user_id, intervals in seen.items():
        # A user listed twice on one session, or on two overlapping sessions, is not busy twice over.
        result[user_id] = int(sum((b - a).total_seconds() for a, b in merge(intervals)) // 60)
    return result


MAX_WINDOWS = 60  # more windows than this and one range is cheaper than the OR of them


def busy_intervals(session: Session, *, resources: Sequence[str], start: datetime, end: datetime,
                   exclude_session_id: int | None = None,
                   windows: Sequence[Interval] | None = None) -> dict[str, list[Interval]]:
    """Booked time per resource key overlapping [start, end), merged and sorted (leave included).

    With ``windows``, only bookings overlapping one of them are read (the rest cannot matter to the caller):
    a slot search asks for rooms only where the people are all free, which on a busy calendar is a small
    part of the range."""
    result: dict[str, list[Interval]] = {key: [] for key in resources}
    if not resources:
        return result
    table = sa.inspect(SessionBooking).local_table  # the Core table: plain tuples, no ORM per-row work
    starts_col: sa.ColumnElement[datetime] = table.c.starts_at
    ends_col: sa.ColumnElement[datetime] = table.c.ends_at
    if session.get_bind().dialect.name == "postgresql":
        # timestamptz already comes back aware: skip the per-value conversion of UTCDateTime, which is most of
        # the cost when a slot search reads thousands of room bookings (see docs/benchmarks.md).
        starts_col = sa.type_coerce(starts_col, sa.DateTime(timezone=True))
        ends_col = sa.type_coerce(ends_col, sa.DateTime(timezone=True))
    query = (sa.select(table.c.resource, starts_col, ends_col)
             .where(table.c.resource.in_(list(resources)), table.c.starts_at < end, table.c.ends_at > start))
    if windows is not None:
        if not windows:
            return result
        if len(windows) <= MAX_WINDOWS:
            query = query.where(or_(*(sa.and_(table.c.starts_at < w_end, table.c.ends_at > w_start)
                                      for w_start, w_end in windows)))
    if exclude_session_id is not None:
        query = query.where(table.c.session_id != exclude_session_id)
    # A Core query on the session's connection: plain tuples, without the ORM's per-row work.
    for resource, b_start, b_end in session.connection().execute(query).all():
        # One tzinfo object (timezone.utc) for every value: see slots.day_windows.
        result[resource].append((b_start.astimezone(timezone.utc), b_end.astimezone(timezone.utc)))
    user_ids = {int(k.split(":")[1]): k for k in resources if k.startswith("user:")}
    room_ids = {int(k.split(":")[1]): k for k in resources if k.startswith("room:")}
    if user_ids or room_ids:
        leave = select(TimeOff).where(col(TimeOff.starts_at) < end, col(TimeOff.ends_at) > start,
                                      or_(col(TimeOff.user_id).in_(list(user_ids)),
                                          col(TimeOff.room_id).in_(list(room_ids))))
        for off in session.exec(leave).all():
            if off.user_id is not None:
                key = user_ids.get(off.user_id)
            else:
                key = room_ids.get(off.room_id) if off.room_id is not None else None
            if key is not None:
                result[key].append((off.starts_at, off.ends_at))
    return {key: merge(intervals) for key, intervals in result.items()}
