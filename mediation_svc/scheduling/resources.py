"""Venues, rooms, working hours and leave: what sessions are booked on (a room closed for a day is leave of the
room), and the hours the slot search works within."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import TypeVar

from sqlalchemy import delete
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import record
from ..config import Settings
from ..db import get_or_404 as _get_or_404
from ..db import id_of
from . import slots as slot_policy
from .models import Room, TimeOff, Venue, WorkingHours
from .schemas import HoursIn, RoomIn, TimeOffIn, VenueIn


def create_venue(session: Session, *, data: VenueIn, actor: str) -> Venue:
    """A new venue, audited (``venue.created``)."""
    venue = Venue(**data.model_dump())
    session.add(venue)
    session.flush()
    record(session, actor=actor, action="venue.created", subject=f"venue:{venue.id}", payload=data.model_dump())
    return venue


def create_room(session: Session, *, venue: Venue, data: RoomIn, actor: str) -> Room:
    """A new room in the venue (equipment stored comma-joined), audited (``room.created``)."""
    room = Room(venue_id=id_of(venue), name=data.name, capacity=data.capacity, equipment=",".join(data.equipment),
                video_equipped=data.video_equipped, wheelchair_accessible=data.wheelchair_accessible)
    session.add(room)
    session.flush()
    record(session, actor=actor, action="room.created", subject=f"room:{room.id}",
           payload={"venue_id": venue.id, **data.model_dump()})
    return room


RowT = TypeVar("RowT")


def get_or_404(session: Session, model: type[RowT], ident: int, label: str) -> RowT:
    """``db.get_or_404`` (NotFound, 404) with the message "<label> <ident> not found"."""
    return _get_or_404(session, model, ident, missing=f"{label} {ident} not found")


def venue_of(session: Session, room: Room) -> Venue:
    """The room's venue; a room always has one (a foreign key), so a missing venue is corrupt data."""
    venue = session.get(Venue, room.venue_id)
    if venue is None:
        raise RuntimeError(f"room {room.id} refers to venue {room.venue_id}, which does not exist")
    return venue


def set_working_hours(session: Session, *, user: User, hours: Sequence[HoursIn], actor: str) -> list[WorkingHours]:
    """Replace the user's weekly working hours as a whole, audited. An empty list leaves the user on the
    centre's default hours (``settings.scheduling_default_hours``), not without hours."""
    user_id = id_of(user)
    session.execute(delete(WorkingHours).where(col(WorkingHours.user_id) == user_id))
    rows = [WorkingHours(user_id=user_id, weekday=h.weekday, starts=h.starts, ends=h.ends) for h in hours]
    session.add_all(rows)
    session.flush()
    record(session, actor=actor, action="working_hours.set", subject=f"user:{user.id}",
           payload={"hours": [h.model_dump() for h in hours]})
    return rows


def _unavailable(session: Session, *, off: TimeOff, data: TimeOffIn, actor: str, action: str,
                 subject: str) -> TimeOff:
    session.add(off)
    session.flush()
    record(session, actor=actor, action=action, subject=subject,
           payload={"starts_at": data.starts_at, "ends_at": data.ends_at, "reason": data.reason})
    return off


def add_time_off(session: Session, *, user: User, data: TimeOffIn, actor: str) -> TimeOff:
    """Record the user's leave, audited; sessions already booked in it are not checked or moved."""
    off = TimeOff(user_id=user.id, starts_at=data.starts_at, ends_at=data.ends_at, reason=data.reason)
    return _unavailable(session, off=off, data=data, actor=actor, action="time_off.added", subject=f"user:{user.id}")


def close_room(session: Session, *, room: Room, data: TimeOffIn, actor: str) -> TimeOff:
    """A room out of use for a while (works, an exam); sessions already booked there are left to the officer."""
    off = TimeOff(room_id=room.id, starts_at=data.starts_at, ends_at=data.ends_at, reason=data.reason)
    return _unavailable(session, off=off, data=data, actor=actor, action="room.closed", subject=f"room:{room.id}")


def default_hours(settings: Settings) -> dict[int, list[tuple[time, time]]]:
    """The centre's hours (``settings.scheduling_default_hours``) on every weekday; the workday calendar says
    which days are worked."""
    return slot_policy.every_weekday(slot_policy.parse_hours(settings.scheduling_default_hours))


def hours_of(session: Session, settings: Settings, user_ids: Sequence[int]) -> dict[int, dict[int, list]]:
    """Weekly hours per user: their own rows, or the centre's default."""
    own: dict[int, dict[int, list]] = {}
    if user_ids:
        for row in session.exec(select(WorkingHours).where(col(WorkingHours.user_id).in_(list(user_ids)))).all():
            own.setdefault(row.user_id, {}).setdefault(row.weekday, []).append((row.starts, row.ends))
    fallback = default_hours(settings)
    return {uid: {wd: sorted(r) for wd, r in own[uid].items()} if uid in own else fallback for uid in user_ids}


def venue_hours(venue: Venue) -> dict[int, list[tuple[time, time]]]:
    """The venue's opening hours on every weekday (the workday calendar says which days are worked)."""
    return slot_policy.every_weekday([(venue.opens_at, venue.closes_at)])
