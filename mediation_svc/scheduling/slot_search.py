"""The database side of a slot search, in small steps: the days searched, the rooms that can host the
session (in order of preference) with their bookings a batch of rooms at a time, and the rooms and venues
of the slots found. ``service.find_case_slots`` composes them around ``slots.find_slots``.

Rooms are read in batches (``ROOM_BATCH``, then four times as many each time) because the pure search
asks for further rooms only while none read so far is free at a moment: with 2,000 rooms, a search whose
preferred rooms are free reads a few dozen rooms and their bookings, not all of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ..db import id_of
from ..errors import InvalidInput
from ..workdays import WorkdayCalendar
from . import slots as slot_policy
from .availability import busy_intervals, room_key
from .models import Room, SessionMode, Venue

ROOM_BATCH = 48
MAX_SEARCH_DAYS = 92


class HostableRoom(NamedTuple):
    """A room that can host the session, with its venue's opening hours (a tuple: a search may read thousands)."""

    room_id: int
    venue_id: int
    opens_at: time
    closes_at: time

    @property
    def key(self) -> str:
        return room_key(self.room_id)


def check_search_range(date_from: date, date_to: date) -> None:
    """At most three months, forwards."""
    if date_to < date_from:
        raise InvalidInput("date_to is before date_from", errors=[{"loc": ["date_to"], "msg": "before date_from"}])
    if (date_to - date_from).days > MAX_SEARCH_DAYS:
        raise InvalidInput("search at most three months at a time",
                           errors=[{"loc": ["date_to"], "msg": "range too long"}])


def search_days(calendar: WorkdayCalendar, date_from: date, date_to: date) -> tuple[list[date], list[date]]:
    """The working days of the range, and those of them the calendar only guesses (no published year)."""
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    working = [d for d in days if calendar.is_workday(d)]
    return working, [d for d in working if not calendar.is_known(d)]


def hostable_rooms(*, mode: SessionMode, people: int, min_capacity: int | None, wheelchair: bool,
                   hybrid: bool, venue_id: int | None, elderly_first: bool) -> sa.Select | None:
    """The active rooms of active venues big (and equipped) enough, in order of preference: elderly-friendly
    venues first when the case asks for it, then the smallest room that fits (large rooms stay free for
    large meetings), then the id. None for a remote session."""
    if mode == SessionMode.REMOTE:
        return None
    query = (sa.select(col(Room.id), col(Room.venue_id), col(Venue.opens_at), col(Venue.closes_at))
             .join(Venue, col(Venue.id) == col(Room.venue_id))
             .where(col(Room.active).is_(True), col(Venue.active).is_(True),
                    col(Room.capacity) >= max(min_capacity or 0, people)))
    if wheelchair:
        query = query.where(col(Room.wheelchair_accessible).is_(True))
    if hybrid:
        query = query.where(col(Room.video_equipped).is_(True))
    if venue_id is not None:
        query = query.where(col(Room.venue_id) == venue_id)
    order = [col(Venue.elderly_friendly).desc()] if elderly_first else []
    return query.order_by(*order, col(Room.capacity), col(Room.id))


def room_batches(session: Session, rooms: sa.Select, *, start: datetime, end: datetime,
                 windows: Sequence[slot_policy.Interval]) -> Iterator[list[slot_policy.Resource]]:
    """The rooms of ``rooms`` (a query in order of preference) as ``slots.Resource`` values, a growing batch
    at a time; each batch and its bookings (within ``windows``, where the people are all free) are read only
    when the search asks for it."""
    hours: dict[tuple[time, time], dict] = {}
    size, offset = ROOM_BATCH, 0
    while True:
        batch = [HostableRoom(*row) for row in session.connection().execute(rooms.limit(size).offset(offset))]
        if not batch:
            return
        busy = busy_intervals(session, resources=[r.key for r in batch], start=start, end=end, windows=windows)
        yield [slot_policy.Resource(key=r.key, busy=busy[r.key],
                                    hours=hours.setdefault((r.opens_at, r.closes_at), slot_policy.every_weekday(
                                        [(r.opens_at, r.closes_at)])))
               for r in batch]
        if len(batch) < size:
            return
        offset, size = offset + size, size * 4


def slot_places(session: Session, found: Sequence[slot_policy.Slot]) -> tuple[dict[str, Room], dict[int, Venue]]:
    """The rooms (by resource key) and venues of the slots found, for their names."""
    ids = sorted({int(s.room.split(":")[1]) for s in found if s.room})
    if not ids:
        return {}, {}
    rows = session.exec(select(Room, Venue).join(Venue, col(Venue.id) == col(Room.venue_id))
                        .where(col(Room.id).in_(ids))).all()
    return {room_key(id_of(room)): room for room, _venue in rows}, {id_of(venue): venue for _room, venue in rows}
