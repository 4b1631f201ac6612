from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from ..phones import OptionalMobilePhone
from .models import ParticipantRole, SessionMode, SessionStatus


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a wall-clock time in Beijing (like 09:00), without a UTC offset or Z")
    return value


# Opening and working hours are local wall-clock times; "09:00Z" would be compared with naive times.
LocalTime = Annotated[time, AfterValidator(_wall_clock)]


class VenueIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=300)
    city: str | None = Field(default=None, max_length=80)
    opens_at: LocalTime = time(9, 0)
    closes_at: LocalTime = time(17, 30)
    elderly_friendly: bool = False
    wheelchair_accessible: bool = False

    @model_validator(mode="after")
    def _hours(self) -> "VenueIn":
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self


class RoomIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    capacity: int = Field(default=6, ge=1, le=500)
    equipment: list[str] = Field(default_factory=list)
    video_equipped: bool = False
    wheelchair_accessible: bool = False


class RoomRead(BaseModel):
    id: int
    venue_id: int
    name: str
    capacity: int
    equipment: list[str]
    video_equipped: bool
    wheelchair_accessible: bool
    active: bool


class VenueRead(BaseModel):
    id: int
    name: str
    address: str
    city: str | None
    opens_at: time
    closes_at: time
    elderly_friendly: bool
    wheelchair_accessible: bool
    active: bool
    rooms: list[RoomRead] = []


class HoursIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    starts: LocalTime
    ends: LocalTime

    @model_validator(mode="after")
    def _order(self) -> "HoursIn":
        if self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self


class TimeOffIn(BaseModel):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _order(self) -> "TimeOffIn":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class RoomClosureRead(BaseModel):
    """A room closed from ``starts_at`` to ``ends_at`` (UTC)."""

    id: int
    room_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str | None


class TimeOffRead(BaseModel):
    """A person's leave from ``starts_at`` to ``ends_at`` (UTC)."""

    id: int
    user_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str | None


class ParticipantIn(BaseModel):
    """A user (user_id), a party of the case (party_id), or a named person without an account (name)."""

    role: ParticipantRole
    user_id: int | None = None
    party_id: int | None = None
    name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=200)
    phone: OptionalMobilePhone = None
    language: Literal["zh-CN", "en"] | None = Field(default=None, description="of the notices; default zh-CN")

    @model_validator(mode="after")
    def _identified(self) -> "ParticipantIn":
        if self.user_id is None and self.party_id is None and not (self.name and self.name.strip()):
            raise ValueError("give user_id, party_id or name")
        return self


class SessionCreate(BaseModel):
    mode: SessionMode
    starts_at: AwareDatetime
    duration_minutes: int = Field(ge=15, le=480)
    room_id: int | None = None
    meeting_url: str | None = Field(default=None, max_length=500, description="a link typed by the officer")
    agenda: str | None = Field(default=None, max_length=4000)
    # Omitted: the case's mediator and every party of the case. The mediator is always added.
    participants: list[ParticipantIn] | None = None


class RescheduleIn(BaseModel):
    starts_at: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=15, le=480)
    room_id: int | None = None
    meeting_url: str | None = Field(default=None, max_length=500)
    reason: str = Field(min_length=1, max_length=1000)


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class ParticipantRead(BaseModel):
    id: int
    role: ParticipantRole
    user_id: int | None
    party_id: int | None
    name: str
    attendance: str | None
    language: str = "zh-CN"


class SessionRead(BaseModel):
    id: int
    case_id: int
    case_number: str
    uid: str
    sequence: int
    mode: SessionMode
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    starts_at_local: str
    ends_at_local: str
    room_id: int | None
    room_name: str | None
    venue_name: str | None
    venue_address: str | None
    meeting_provider: str | None
    meeting_url: str | None
    agenda: str | None
    cancel_reason: str | None
    participants: list[ParticipantRead]


class ChangeRead(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_starts_at: datetime | None
    from_ends_at: datetime | None
    from_room_id: int | None
    to_starts_at: datetime | None
    to_ends_at: datetime | None
    to_room_id: int | None
    reason: str | None


class SlotRead(BaseModel):
    starts_at: datetime
    ends_at: datetime
    starts_at_local: str
    room_id: int | None
    room_name: str | None
    venue_name: str | None


class SlotsRead(BaseModel):
    case_id: int
    duration_minutes: int
    mode: SessionMode
    working_days: list[date]
    provisional_days: list[date] = Field(default_factory=list,
                                         description="days whose official holiday arrangement is not published yet")
    required: list[str]
    slots: list[SlotRead]


class AttendanceIn(BaseModel):
    participant_id: int
    attendance: str = Field(pattern="^(present|remote|absent)$")


class RecordIn(BaseModel):
    minutes: str = Field(min_length=1, max_length=50000)
    outcome: str = Field(pattern="^(settled|partially_settled|not_settled|adjourned|no_show)$")
    attendance: list[AttendanceIn] = Field(default_factory=list)


class RecordRead(BaseModel):
    session_id: int
    minutes: str
    outcome: str
    attendance: list[ParticipantRead]
    drafted_by_user_id: int | None
    updated_at: datetime
    confirmed_by_user_id: int | None
    confirmed_at: datetime | None
    document_id: str | None = Field(default=None, description="the confirmed record as a PDF (调解笔录), to be signed "
                                    "by the parties and the mediator through a signing request on this document")


class FeedRead(BaseModel):
    url: str
    note: str = "保存此地址：出于安全考虑，令牌只显示一次。"
