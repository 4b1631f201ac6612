"""Venues, rooms, working hours, mediation sessions (调解会议) and their bookings.

Double booking is prevented by ``session_bookings``: one row per resource (a user, a case party without an
account, a room) and active session, holding the time it blocks. On PostgreSQL an exclusion constraint
(``resource WITH =, tstzrange(starts_at, ends_at) WITH &&``, created by migration 0003) makes overlapping
rows impossible even under concurrency; on SQLite the service checks inside the transaction, which
``BEGIN IMMEDIATE`` serialises.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow
from ..documents import models as _documents  # noqa: F401 - session_notices refers to its table


class SessionMode(StrEnum):
    ONSITE = "onsite"  # 现场调解
    REMOTE = "remote"  # 视频调解
    HYBRID = "hybrid"  # 现场 + 视频


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    HELD = "held"
    NO_SHOW = "no_show"


ACTIVE_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.RESCHEDULED)


class ParticipantRole(StrEnum):
    MEDIATOR = "mediator"  # 调解员
    APPLICANT = "applicant"  # 申请人
    RESPONDENT = "respondent"  # 被申请人
    REPRESENTATIVE = "representative"  # 代理人
    EXPERT = "expert"  # 专家
    INTERPRETER = "interpreter"  # 翻译


class Venue(SQLModel, table=True):
    __tablename__ = "venues"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(max_length=300)
    city: str | None = Field(default=None, max_length=80)
    # Opening hours on working days, local (Asia/Shanghai) time.
    opens_at: time = Field(default=time(9, 0))
    closes_at: time = Field(default=time(17, 30))
    elderly_friendly: bool = False  # 适老化
    wheelchair_accessible: bool = False
    active: bool = True


class Room(SQLModel, table=True):
    __tablename__ = "rooms"
    # The slot search reads the rooms that can host a session (ix_rooms_hostable, migration 0052_baseline_rosters_sessions).
    __table_args__ = (Index("ix_rooms_hostable", "active", "wheelchair_accessible", "video_equipped", "capacity",
                            "id"),)

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(foreign_key="venues.id", index=True)
    name: str = Field(max_length=120)
    capacity: int = 6
    equipment: str | None = Field(default=None, max_length=500)  # comma separated: video,projector,recording
    video_equipped: bool = False
    wheelchair_accessible: bool = False
    active: bool = True


class WorkingHours(SQLModel, table=True):
    """A user's working hours on one weekday (0 = Monday), local time; several rows make split shifts.
    A user without rows works the centre's default hours (settings.scheduling_default_hours)."""

    __tablename__ = "working_hours"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    weekday: int = Field(ge=0, le=6)
    starts: time
    ends: time


class TimeOff(SQLModel, table=True):
    """Leave of a user or closure of a room (one of the two is set)."""

    __tablename__ = "time_off"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="rooms.id", index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reason: str | None = Field(default=None, max_length=300)


class MediationSession(SQLModel, table=True):
    """One sitting of a mediation (调解会议), on-site, by video, or both."""

    __tablename__ = "mediation_sessions"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    uid: str = Field(max_length=80, unique=True)  # RFC 5545 UID, stable across reschedules
    sequence: int = 0  # RFC 5545 SEQUENCE, raised on every change attendees must see
    mode: SessionMode = Field(sa_type=sa.String(10))
    status: SessionStatus = Field(default=SessionStatus.SCHEDULED, sa_type=sa.String(20), index=True)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    room_id: int | None = Field(default=None, foreign_key="rooms.id", index=True)
    meeting_provider: str | None = Field(default=None, max_length=20)  # builtin | manual
    meeting_url: str | None = Field(default=None, max_length=500)
    agenda: str | None = Field(default=None, max_length=4000)
    cancel_reason: str | None = Field(default=None, max_length=1000)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SessionParticipant(SQLModel, table=True):
    """Someone expected at a session: a user (mediator, party account, expert, interpreter), a case party
    without an account, or a named person (a representative)."""

    __tablename__ = "session_participants"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mediation_sessions.id", index=True)
    role: ParticipantRole = Field(sa_type=sa.String(20))
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    party_id: int | None = Field(default=None, foreign_key="case_parties.id")
    name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    attendance: str | None = Field(default=None, max_length=20)  # present | remote | absent
    language: str = Field(default="zh-CN", max_length=10)  # of the notices they receive: zh-CN | en


class SessionBooking(SQLModel, table=True):
    """The time an active session blocks for one resource: ``user:<id>``, ``party:<id>`` or ``room:<id>``.
    A mediator's booking ends ``buffer`` minutes after the session, which keeps their sessions apart."""

    __tablename__ = "session_bookings"
    __table_args__ = (Index("ix_session_bookings_resource_start", "resource", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mediation_sessions.id", index=True)
    resource: str = Field(max_length=40)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class SessionChange(SQLModel, table=True):
    """History of a session: creation, each reschedule, cancellation, the record."""

    __tablename__ = "session_changes"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mediation_sessions.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=120)
    kind: str = Field(max_length=30)  # created | rescheduled | cancelled | held | no_show
    from_starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    from_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    from_room_id: int | None = None
    to_starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    to_ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    to_room_id: int | None = None
    reason: str | None = Field(default=None, max_length=1000)


class SessionRecord(SQLModel, table=True):
    """The session record (调解笔录): minutes and outcome, confirmed by the mediator; attendance is kept
    on the participants. Once confirmed it no longer changes."""

    __tablename__ = "session_records"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mediation_sessions.id", unique=True)
    minutes: str = Field(max_length=50000)
    outcome: str = Field(max_length=30)  # settled | partially_settled | not_settled | adjourned | no_show
    drafted_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    confirmed_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the record as a PDF (template session_record), issued when it is confirmed; the parties and the mediator
    # sign it through the signing flow
    document_id: str | None = Field(default=None, foreign_key="documents.id", max_length=36)


class CalendarFeedToken(SQLModel, table=True):
    """A user's secret calendar feed address; only the SHA-256 of the token is stored."""

    __tablename__ = "calendar_feed_tokens"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SessionNotice(SQLModel, table=True):
    """A session notice (调解通知书) issued for one arrangement of a session (its SEQUENCE) and one recipient,
    kept as a finalised document so that the verification code printed on it resolves."""

    __tablename__ = "session_notices"
    __table_args__ = (UniqueConstraint("session_id", "sequence", "recipient", name="uq_session_notices_issue"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mediation_sessions.id")
    sequence: int
    recipient: str = Field(max_length=120)
    document_id: str = Field(foreign_key="documents.id", max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
