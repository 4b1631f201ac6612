from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Query, Response
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..cases.models import Case
from ..cases.service import get_visible_case_or_404
from ..db import get_or_404, id_of, utcnow
from ..deps import CurrentUser, SessionDep, SettingsDep, StaffUser, actor_of, require
from ..errors import Forbidden, NotFound
from ..security.roles import CASE_WORKERS, Role, is_staff
from ..timeutil import format_shanghai
from . import feeds, record_document, records, resources, service
from .calendar import invitation, make_calendar
from .models import MediationSession, Room, SessionChange, SessionMode, SessionRecord, Venue
from .notice import notice_document
from .notify import event_of, place_of
from .schemas import (CancelIn, ChangeRead, FeedRead, HoursIn, ParticipantRead, RecordIn, RecordRead, RescheduleIn,
                      RoomClosureRead, RoomIn, RoomRead, SessionCreate, SessionRead, SlotRead, SlotsRead, TimeOffIn,
                      TimeOffRead, VenueIn, VenueRead)

router = APIRouter(prefix="/api/v1", tags=["scheduling"])
public_router = APIRouter(prefix="/api/v1", tags=["scheduling"])

SchedulerUser = require(*CASE_WORKERS)
ICS = "text/calendar; charset=utf-8"


def room_read(room: Room) -> RoomRead:
    return RoomRead(id=id_of(room), venue_id=room.venue_id, name=room.name, capacity=room.capacity,
                    equipment=[e for e in (room.equipment or "").split(",") if e], video_equipped=room.video_equipped,
                    wheelchair_accessible=room.wheelchair_accessible, active=room.active)


def venue_read(venue: Venue, rooms: list[Room]) -> VenueRead:
    return VenueRead(**venue.model_dump(), rooms=[room_read(r) for r in rooms])


def session_read(session: Session, ms: MediationSession, case: Case) -> SessionRead:
    _, room, venue = place_of(session, ms)
    session_id = id_of(ms)
    return SessionRead(
        id=session_id, case_id=ms.case_id, case_number=case.number, uid=ms.uid, sequence=ms.sequence, mode=ms.mode,
        status=ms.status, starts_at=ms.starts_at, ends_at=ms.ends_at, starts_at_local=format_shanghai(ms.starts_at),
        ends_at_local=format_shanghai(ms.ends_at), room_id=ms.room_id, room_name=room.name if room else None,
        venue_name=venue.name if venue else None, venue_address=venue.address if venue else None,
        meeting_provider=ms.meeting_provider, meeting_url=ms.meeting_url, agenda=ms.agenda,
        cancel_reason=ms.cancel_reason,
        participants=[ParticipantRead.model_validate(p, from_attributes=True)
                      for p in service.participants_of(session, session_id)])


def visible_session(session: Session, user: User, session_id: int, *,
                    for_update: bool = False) -> tuple[MediationSession, Case]:
    """The session and its case, if ``user`` sees the case. ``for_update``: the case locked first (what a change
    of a session or its record decides, the case still open, the session still active, the record not yet
    confirmed, is then read again under that lock; ending the case cancels its sessions under it too)."""
    missing = f"session {session_id} not found"
    ms = get_or_404(session, MediationSession, session_id, missing=missing)
    case = get_visible_case_or_404(session, user=user, case_id=ms.case_id, missing=missing, for_update=for_update)
    if for_update:
        session.refresh(ms)
    return ms, case


# --- venues and rooms -------------------------------------------------------------------------------------------

@router.post("/venues", status_code=201, response_model=VenueRead)
def create_venue(data: VenueIn, session: SessionDep, user: StaffUser) -> VenueRead:
    return venue_read(resources.create_venue(session, data=data, actor=actor_of(user)), [])


@router.get("/venues", response_model=list[VenueRead])
def list_venues(session: SessionDep, user: CurrentUser) -> list[VenueRead]:
    venues = session.exec(select(Venue).order_by(col(Venue.id))).all()
    rooms = session.exec(select(Room).order_by(col(Room.id))).all()
    return [venue_read(v, [r for r in rooms if r.venue_id == v.id]) for v in venues]


@router.post("/venues/{venue_id}/rooms", status_code=201, response_model=RoomRead)
def create_room(venue_id: int, data: RoomIn, session: SessionDep, user: StaffUser) -> RoomRead:
    venue = resources.get_or_404(session, Venue, venue_id, "venue")
    return room_read(resources.create_room(session, venue=venue, data=data, actor=actor_of(user)))


@router.post("/rooms/{room_id}/closures", status_code=201, response_model=RoomClosureRead)
def close_room(room_id: int, data: TimeOffIn, session: SessionDep, user: StaffUser) -> RoomClosureRead:
    room = resources.get_or_404(session, Room, room_id, "room")
    off = resources.close_room(session, room=room, data=data, actor=actor_of(user))
    return RoomClosureRead(id=id_of(off), room_id=id_of(room), starts_at=off.starts_at, ends_at=off.ends_at,
                           reason=off.reason)


# --- working hours and leave ----------------------------------------------------------------------------------------

def _self_or_staff(session: Session, user: User, user_id: int) -> User:
    if user.id != user_id and not is_staff(user.role):
        raise Forbidden("you can only change your own working hours and leave")
    target = session.get(User, user_id)
    if target is None:
        raise NotFound(f"user {user_id} not found")
    return target


@router.put("/users/{user_id}/working-hours", response_model=list[HoursIn])
def set_hours(user_id: int, hours: list[HoursIn], session: SessionDep, user: CurrentUser) -> list[HoursIn]:
    target = _self_or_staff(session, user, user_id)
    rows = resources.set_working_hours(session, user=target, hours=hours, actor=actor_of(user))
    return [HoursIn(weekday=r.weekday, starts=r.starts, ends=r.ends) for r in rows]


@router.post("/users/{user_id}/time-off", status_code=201, response_model=TimeOffRead)
def add_time_off(user_id: int, data: TimeOffIn, session: SessionDep, user: CurrentUser) -> TimeOffRead:
    target = _self_or_staff(session, user, user_id)
    off = resources.add_time_off(session, user=target, data=data, actor=actor_of(user))
    return TimeOffRead(id=id_of(off), user_id=id_of(target), starts_at=off.starts_at, ends_at=off.ends_at,
                       reason=off.reason)


# --- slots and sessions -----------------------------------------------------------------------------------------

@router.get("/cases/{case_id}/session-slots", response_model=SlotsRead)
def session_slots(case_id: int, session: SessionDep, settings: SettingsDep, user: User = SchedulerUser,
                  duration: int = Query(60, ge=15, le=480, description="minutes"),
                  mode: SessionMode = SessionMode.ONSITE,
                  date_from: date | None = Query(None, alias="from"), date_to: date | None = Query(None, alias="to"),
                  user_ids: list[int] = Query(default_factory=list, description="experts, interpreters"),
                  min_capacity: int | None = Query(None, ge=1), wheelchair: bool = False,
                  venue_id: int | None = None, limit: int = Query(10, ge=1, le=100)) -> SlotsRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    date_from = date_from or format_date_today()
    date_to = date_to or date_from + timedelta(days=14)
    found = service.find_case_slots(session, settings, case=case, mode=mode, duration_minutes=duration,
                                    date_from=date_from, date_to=date_to, extra_user_ids=user_ids,
                                    min_capacity=min_capacity, wheelchair=wheelchair, venue_id=venue_id, limit=limit)
    slots = []
    for slot in found.slots:
        room = found.rooms.get(slot.room) if slot.room else None
        venue = found.venues.get(room.venue_id) if room else None
        slots.append(SlotRead(starts_at=slot.start, ends_at=slot.end, starts_at_local=format_shanghai(slot.start),
                              room_id=room.id if room else None, room_name=room.name if room else None,
                              venue_name=venue.name if venue else None))
    return SlotsRead(case_id=id_of(case), duration_minutes=duration, mode=mode, working_days=found.working_days,
                     provisional_days=found.provisional_days, required=found.required, slots=slots)


def format_date_today() -> date:
    from ..timeutil import today_in_shanghai

    return today_in_shanghai()


@router.post("/cases/{case_id}/sessions", status_code=201, response_model=SessionRead)
def schedule(case_id: int, data: SessionCreate, session: SessionDep, settings: SettingsDep,
             user: User = SchedulerUser) -> SessionRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    ms = service.schedule_session(session, settings, case=case, data=data, actor=user)
    return session_read(session, ms, case)


@router.get("/cases/{case_id}/sessions", response_model=list[SessionRead])
def list_sessions(case_id: int, session: SessionDep, user: CurrentUser) -> list[SessionRead]:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    return [session_read(session, ms, case) for ms in service.sessions_of_case(session, case_id=id_of(case))]


@router.get("/sessions/{session_id}", response_model=SessionRead)
def get_session(session_id: int, session: SessionDep, user: CurrentUser) -> SessionRead:
    ms, case = visible_session(session, user, session_id)
    return session_read(session, ms, case)


@router.post("/sessions/{session_id}/reschedule", response_model=SessionRead)
def reschedule(session_id: int, data: RescheduleIn, session: SessionDep, settings: SettingsDep,
               user: User = SchedulerUser) -> SessionRead:
    ms, case = visible_session(session, user, session_id, for_update=True)
    service.reschedule_session(session, settings, ms=ms, case=case, data=data, actor=user)
    return session_read(session, ms, case)


@router.post("/sessions/{session_id}/cancel", response_model=SessionRead)
def cancel(session_id: int, data: CancelIn, session: SessionDep, settings: SettingsDep,
           user: User = SchedulerUser) -> SessionRead:
    ms, case = visible_session(session, user, session_id, for_update=True)
    service.cancel_session(session, settings, ms=ms, case=case, reason=data.reason, actor=user)
    return session_read(session, ms, case)


@router.get("/sessions/{session_id}/history", response_model=list[ChangeRead])
def session_history(session_id: int, session: SessionDep, user: CurrentUser) -> list[SessionChange]:
    ms, _ = visible_session(session, user, session_id)
    return service.history(session, session_id=id_of(ms))


@router.get("/sessions/{session_id}/calendar.ics")
def session_ics(session_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    ms, case = visible_session(session, user, session_id)
    body = invitation(event_of(session, settings, ms, case))
    return Response(body, media_type=ICS,
                    headers={"Content-Disposition": f'attachment; filename="session-{ms.id}.ics"'})


@router.get("/sessions/{session_id}/notice.pdf")
def session_notice(session_id: int, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    """The session notice (调解通知书) of the current arrangement, addressed to the caller if a party."""
    ms, case = visible_session(session, user, session_id)
    document = notice_document(session, settings, ms=ms, case=case, user=user)
    return Response(document.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="session-{ms.id}-notice.pdf"',
                             "X-Document-Id": document.id})


# --- the session record (调解笔录) ----------------------------------------------------------------------------------

def record_read(session: Session, ms: MediationSession, rec: SessionRecord) -> RecordRead:
    session_id = id_of(ms)
    return RecordRead(session_id=session_id, minutes=rec.minutes, outcome=rec.outcome,
                      attendance=[ParticipantRead.model_validate(p, from_attributes=True)
                                  for p in service.participants_of(session, session_id)],
                      drafted_by_user_id=rec.drafted_by_user_id, updated_at=rec.updated_at,
                      confirmed_by_user_id=rec.confirmed_by_user_id, confirmed_at=rec.confirmed_at,
                      document_id=rec.document_id)


@router.put("/sessions/{session_id}/record", response_model=RecordRead)
def save_record(session_id: int, data: RecordIn, session: SessionDep, user: User = SchedulerUser) -> RecordRead:
    ms, _ = visible_session(session, user, session_id, for_update=True)
    rec = records.save_record(session, ms=ms, data=data, actor=user)
    return record_read(session, ms, rec)


@router.post("/sessions/{session_id}/record/confirm", response_model=RecordRead)
def confirm_record(session_id: int, session: SessionDep, settings: SettingsDep,
                   user: User = require(Role.MEDIATOR)) -> RecordRead:
    """The mediator fixes the record; in the same transaction it becomes the 调解笔录 PDF that the parties sign."""
    ms, case = visible_session(session, user, session_id, for_update=True)
    rec = records.confirm_record(session, ms=ms, case=case, actor=user)
    record_document.issue(session, settings, ms=ms, case=case, rec=rec, actor=user)
    return record_read(session, ms, rec)


@router.get("/sessions/{session_id}/record", response_model=RecordRead)
def get_record(session_id: int, session: SessionDep, user: CurrentUser) -> RecordRead:
    ms, _ = visible_session(session, user, session_id)
    return record_read(session, ms, records.record_of(session, session_id=id_of(ms)))


# --- calendar feeds ---------------------------------------------------------------------------------------------

@router.post("/me/calendar-feed", status_code=201, response_model=FeedRead)
def issue_feed(session: SessionDep, settings: SettingsDep, user: CurrentUser) -> FeedRead:
    token = feeds.issue_feed_token(session, user=user)
    return FeedRead(url=f"{settings.public_base_url.rstrip('/')}/api/v1/calendar-feeds/{token}.ics")


@router.delete("/me/calendar-feed", status_code=204)
def revoke_feed(session: SessionDep, user: CurrentUser) -> Response:
    if not feeds.revoke_feed_token(session, user=user):
        raise NotFound("you have no calendar feed")
    return Response(status_code=204)


@public_router.get("/calendar-feeds/{token}.ics")
def calendar_feed(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """A user's sessions as an iCalendar feed; the secret token in the address is the only credential."""
    user = feeds.user_for_feed_token(session, token=token)
    events = []
    for ms in feeds.sessions_of_user(session, user_id=id_of(user), since=utcnow() - timedelta(days=90)):
        case = session.get(Case, ms.case_id)
        if case is None:
            raise RuntimeError(f"session {ms.id} refers to case {ms.case_id}, which does not exist")
        events.append(event_of(session, settings, ms, case))
    body = make_calendar(events, method="PUBLISH", name=f"{settings.center_name} · {user.display_name}")
    return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})
