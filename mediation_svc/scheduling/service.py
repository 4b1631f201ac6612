"""Scheduling rules: venues and rooms, working hours and leave, sessions, double-booking checks, history,
slot finding (loading data for the pure ``slots`` module), the session record and calendar feeds. Who attends
is resolved in ``participants``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..cases.models import Case
from ..cases.service import workday_calendar
from ..cases.states import OPEN_STATES, CaseStatus
from ..config import Settings
from ..db import advisory_lock, id_of, utcnow
from ..errors import Conflict, InvalidInput, InvalidTransition
from ..security.roles import Role
from ..timeutil import SHANGHAI, format_shanghai
from ..workdays import WorkdayCalendar
from . import slot_search
from . import slots as slot_policy
from .availability import busy_intervals, room_key
from .meetings import check_manual_link, provider_from_settings
from .models import (ACTIVE_STATUSES, MediationSession, ParticipantRole, Room, SessionBooking, SessionChange,
                     SessionMode, SessionParticipant, SessionStatus, TimeOff, Venue)
from .notify import notify_session
from .participants import Planned, participants_of, plan_participants
from .resources import default_hours, get_or_404, hours_of, venue_hours, venue_of
from .schemas import RescheduleIn, SessionCreate

BOOKING_LOCK_SPACE = 0x5343  # first key of the advisory locks that queue bookings (PostgreSQL)
SCHEDULABLE_CASE_STATES = frozenset({CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION,
                                     CaseStatus.AGREEMENT_DRAFTED})
ROLE_LABELS = {"mediator": "调解员", "applicant": "申请人", "respondent": "被申请人", "representative": "代理人",
               "expert": "专家", "interpreter": "翻译"}


class SchedulingConflict(Conflict):
    """Someone or something is already booked: ``conflicts`` names the sessions in the way."""

    slug, title = "scheduling-conflict", "The time is already booked"


# --- bookings ------------------------------------------------------------------------------------------------


def _bookings_for(ms: MediationSession, planned: Sequence[Planned], buffer: timedelta) -> list[SessionBooking]:
    bookings: dict[str, SessionBooking] = {}
    session_id = id_of(ms)
    for p in planned:
        key = p.resource
        if key is None:
            continue
        ends = ms.ends_at + (buffer if p.role == ParticipantRole.MEDIATOR else timedelta(0))
        if key not in bookings or bookings[key].ends_at < ends:
            bookings[key] = SessionBooking(session_id=session_id, resource=key, starts_at=ms.starts_at, ends_at=ends)
    if ms.room_id is not None:
        key = room_key(ms.room_id)
        bookings[key] = SessionBooking(session_id=session_id, resource=key, starts_at=ms.starts_at,
                                       ends_at=ms.ends_at)
    return list(bookings.values())


def find_conflicts(session: Session, *, bookings: Sequence[SessionBooking], exclude_session_id: int | None,
                   labels: dict[str, str]) -> list[dict]:
    """Active sessions whose bookings overlap the given ones, resource by resource."""
    if not bookings:
        return []
    wanted = {b.resource: b for b in bookings}
    earliest = min(b.starts_at for b in bookings)
    latest = max(b.ends_at for b in bookings)
    query = (select(SessionBooking, MediationSession, Case.number)
             .join(MediationSession, col(MediationSession.id) == col(SessionBooking.session_id))
             .join(Case, col(Case.id) == col(MediationSession.case_id))
             .where(col(SessionBooking.resource).in_(list(wanted)), col(SessionBooking.starts_at) < latest,
                    col(SessionBooking.ends_at) > earliest)
             .order_by(col(MediationSession.starts_at), col(SessionBooking.resource)))
    if exclude_session_id is not None:
        query = query.where(col(SessionBooking.session_id) != exclude_session_id)
    conflicts = []
    for booking, other, case_number in session.exec(query).all():
        mine = wanted[booking.resource]
        if booking.starts_at < mine.ends_at and mine.starts_at < booking.ends_at:
            conflicts.append({
                "session_id": other.id, "case_id": other.case_id, "case_number": case_number,
                "resource": booking.resource, "resource_label": labels.get(booking.resource, booking.resource),
                "starts_at": other.starts_at.isoformat(), "ends_at": other.ends_at.isoformat(),
                "starts_at_local": format_shanghai(other.starts_at),
            })
    return conflicts


def _raise_conflict(conflicts: list[dict]) -> None:
    described = "；".join(f"{c['resource_label']}已安排调解会议 #{c['session_id']}（{c['case_number']}，"
                         f"{c['starts_at_local']}）" for c in conflicts)
    raise SchedulingConflict(f"时间冲突：{described}" if conflicts else "时间冲突：该时段已被占用",
                             conflicts=conflicts)


def book(session: Session, *, ms: MediationSession, planned: Sequence[Planned], buffer: timedelta,
         labels: dict[str, str]) -> list[SessionBooking]:
    """Insert the session's bookings, or raise SchedulingConflict naming the sessions in the way.

    The check before the insert names the conflicts; on PostgreSQL the exclusion constraint is what
    guarantees it when two requests race (the loser's insert waits for the winner's commit, then fails).
    Callers insert bookings before writing the audit entry, so a racing request never waits on a lock
    that the winner also needs.
    """
    bookings = _bookings_for(ms, planned, buffer)
    # Queue requests for the same resources here, in one global order: the later request then sees the earlier
    # one's committed bookings in the check below and gets a clean 409. Without it, two requests inserting
    # several overlapping rows at once can wait on each other inside the constraint (deadlock; PostgreSQL).
    for key in sorted(b.resource for b in bookings):
        advisory_lock(session, BOOKING_LOCK_SPACE, key)
    conflicts = find_conflicts(session, bookings=bookings, exclude_session_id=ms.id, labels=labels)
    if conflicts:
        _raise_conflict(conflicts)
    try:
        with session.begin_nested():
            session.add_all(bookings)
            session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != "23P01":  # exclusion_violation
            raise
        # The savepoint is gone; this statement sees the rival's committed rows (READ COMMITTED).
        _raise_conflict(find_conflicts(session, bookings=bookings, exclude_session_id=ms.id, labels=labels))
    return bookings


def _labels(planned: Sequence[Planned], room: Room | None) -> dict[str, str]:
    labels = {p.resource: f"{ROLE_LABELS.get(p.role, p.role)} {p.name}" for p in planned if p.resource}
    if room is not None:
        labels[room_key(id_of(room))] = f"会议室 {room.name}"
    return labels


# --- validation of a proposed time ------------------------------------------------------------------------------


def check_time(session: Session, settings: Settings, *, starts_at: datetime, ends_at: datetime,
               planned: Sequence[Planned], room: Room | None, calendar: WorkdayCalendar | None = None,
               exclude_session_id: int | None = None) -> None:
    """Working day, working hours, opening hours, leave and room closures; 422 with every problem listed."""
    if starts_at <= utcnow():
        raise InvalidInput("会议时间必须晚于当前时间 (the session must start in the future)",
                           errors=[{"loc": ["starts_at"], "msg": "must be in the future"}])
    calendar = calendar or workday_calendar(session)
    day = starts_at.astimezone(SHANGHAI).date()
    errors: list[dict] = []
    if not calendar.is_workday(day):
        holiday = calendar.holiday_name(day)
        reason = f"法定节假日（{holiday}）" if holiday else "休息日"
        errors.append({"loc": ["starts_at"], "msg": f"{day.isoformat()} 不是工作日：{reason}"})
    staff = [(p.user_id, p) for p in planned if p.user_id is not None and p.role in (
        ParticipantRole.MEDIATOR, ParticipantRole.EXPERT, ParticipantRole.INTERPRETER)]
    hours = hours_of(session, settings, [user_id for user_id, _p in staff])
    for user_id, p in staff:
        if not slot_policy.within_hours(starts_at, ends_at, hours[user_id]):
            errors.append({"loc": ["starts_at"], "msg": f"不在{ROLE_LABELS[p.role]} {p.name} 的工作时间内"})
    if room is not None:
        venue = venue_of(session, room)
        if not slot_policy.within_hours(starts_at, ends_at, venue_hours(venue)):
            errors.append({"loc": ["starts_at"], "msg": f"不在{venue.name}的开放时间内"
                                                        f"（{venue.opens_at:%H:%M}–{venue.closes_at:%H:%M}）"})
    leave_filters: list[ColumnElement[bool]] = []
    user_ids = [p.user_id for p in planned if p.user_id is not None]
    if user_ids:
        leave_filters.append(col(TimeOff.user_id).in_(user_ids))
    if room is not None:
        leave_filters.append(col(TimeOff.room_id) == room.id)
    if leave_filters:
        names = {p.user_id: p.name for p in planned if p.user_id is not None}
        for off in session.exec(select(TimeOff).where(TimeOff.starts_at < ends_at, TimeOff.ends_at > starts_at,
                                                      or_(*leave_filters))).all():
            if off.user_id is not None:
                who = names.get(off.user_id)
            else:  # a room closure: only asked for when there is a room
                who = f"会议室 {room.name}" if room is not None else "会议室"
            errors.append({"loc": ["starts_at"], "msg": f"{who} 在该时段不可用（{off.reason or '请假'}，"
                                                        f"{format_shanghai(off.starts_at)}–{format_shanghai(off.ends_at)}）"})
    if errors:
        raise InvalidInput("；".join(e["msg"] for e in errors), errors=errors)


def resolve_room(session: Session, *, mode: SessionMode, room_id: int | None, people: int) -> Room | None:
    """The room for a session of ``mode`` with ``people`` attending: none for remote, else an active room
    large enough (video-equipped for hybrid); InvalidInput (422) for anything else."""
    if mode == SessionMode.REMOTE:
        if room_id is not None:
            raise InvalidInput("a remote session takes no room", errors=[{"loc": ["room_id"], "msg": "must be empty"}])
        return None
    if room_id is None:
        raise InvalidInput("on-site and hybrid sessions need a room",
                           errors=[{"loc": ["room_id"], "msg": "required for this mode"}])
    room = session.get(Room, room_id)
    if room is None or not room.active:
        raise InvalidInput("no such room", errors=[{"loc": ["room_id"], "msg": "no such active room"}])
    if room.capacity < people:
        raise InvalidInput(f"会议室 {room.name} 只能容纳 {room.capacity} 人，本次 {people} 人",
                           errors=[{"loc": ["room_id"], "msg": "room too small"}])
    if mode == SessionMode.HYBRID and not room.video_equipped:
        raise InvalidInput(f"会议室 {room.name} 没有视频设备，不能用于现场+视频调解",
                           errors=[{"loc": ["room_id"], "msg": "hybrid sessions need a video-equipped room"}])
    return room


def meeting_link(settings: Settings, *, mode: SessionMode, typed: str | None, uid: str) -> tuple[str | None, str | None]:
    """(provider, url) of the session's video link: none on site; the officer's https link as "manual"; else a
    new link from the configured provider (422 when that is "manual": one must be typed)."""
    if mode == SessionMode.ONSITE:
        return None, None
    if typed:
        return "manual", check_manual_link(typed)
    provider = provider_from_settings(settings)
    return provider.name, provider.create_link(session_uid=uid)


# --- sessions --------------------------------------------------------------------------------------------------


def check_case_schedulable(case: Case) -> None:
    """InvalidTransition (409) unless the case is mediator_assigned, in_mediation or agreement_drafted."""
    if CaseStatus(case.status) not in SCHEDULABLE_CASE_STATES:
        raise InvalidTransition(f"sessions cannot be scheduled while the case is '{case.status}'")


def schedule_session(session: Session, settings: Settings, *, case: Case, data: SessionCreate,
                     actor: User) -> MediationSession:
    """Book a new session (times stored in UTC): participants, room, a working time (422), bookings
    (SchedulingConflict, 409), a "created" change, the audit entry, and every participant's notices and
    reminders queued. Flushes; the caller commits."""
    check_case_schedulable(case)
    planned = plan_participants(session, case=case, wanted=data.participants)
    room = resolve_room(session, mode=data.mode, room_id=data.room_id, people=len(planned))
    starts_at = data.starts_at.astimezone(timezone.utc)
    ends_at = starts_at + timedelta(minutes=data.duration_minutes)
    check_time(session, settings, starts_at=starts_at, ends_at=ends_at, planned=planned, room=room)
    uid = f"{uuid.uuid4()}@mediation-svc"
    provider, url = meeting_link(settings, mode=data.mode, typed=data.meeting_url, uid=uid)
    ms = MediationSession(case_id=id_of(case), uid=uid, mode=data.mode, starts_at=starts_at, ends_at=ends_at,
                          room_id=room.id if room else None, meeting_provider=provider, meeting_url=url,
                          agenda=data.agenda, created_by_user_id=actor.id)
    session.add(ms)
    session.flush()
    session_id = id_of(ms)
    session.add_all([SessionParticipant(session_id=session_id, role=p.role, user_id=p.user_id, party_id=p.party_id,
                                        name=p.name, email=p.email, phone=p.phone, language=p.language)
                     for p in planned])
    book(session, ms=ms, planned=planned, buffer=timedelta(minutes=settings.scheduling_buffer_minutes),
         labels=_labels(planned, room))
    actor_ref = actor_of(actor)
    session.add(SessionChange(session_id=session_id, actor=actor_ref, kind="created", to_starts_at=ms.starts_at,
                              to_ends_at=ms.ends_at, to_room_id=ms.room_id))
    session.flush()
    record(session, actor=actor_ref, action="session.scheduled", subject=f"session:{ms.id}", case_id=case.id,
           payload={"mode": ms.mode, "starts_at": ms.starts_at, "ends_at": ms.ends_at, "room_id": ms.room_id,
                    "participants": [{"role": p.role, "user_id": p.user_id, "party_id": p.party_id} for p in planned]})
    notify_session(session, settings, ms=ms, case=case, kind="scheduled")
    return ms


def get_session_or_404(session: Session, session_id: int) -> MediationSession:
    """The session, or NotFound (404)."""
    return get_or_404(session, MediationSession, session_id, "session")


def _planned_from(rows: Sequence[SessionParticipant]) -> list[Planned]:
    return [Planned(ParticipantRole(r.role), r.name, user_id=r.user_id, party_id=r.party_id, email=r.email,
                    phone=r.phone, language=r.language) for r in rows]


def _require_active(ms: MediationSession) -> None:
    if SessionStatus(ms.status) not in ACTIVE_STATUSES:
        raise InvalidTransition(f"session {ms.id} is '{ms.status}' and can no longer be changed")


def reschedule_session(session: Session, settings: Settings, *, ms: MediationSession, case: Case,
                       data: RescheduleIn, actor: User) -> MediationSession:
    """Move a session; the participants (and so the mediator) stay the same, the history keeps the old time.
    409 once the case has ended (its sessions still to come were cancelled then)."""
    _require_active(ms)
    if CaseStatus(case.status) not in OPEN_STATES:
        raise InvalidTransition(f"the case is '{case.status}': its sessions can no longer be moved")
    session_id = id_of(ms)
    planned = _planned_from(participants_of(session, session_id))
    mode = SessionMode(ms.mode)
    room_id = data.room_id if data.room_id is not None else ms.room_id
    room = resolve_room(session, mode=mode, room_id=room_id, people=len(planned))
    starts_at = data.starts_at.astimezone(timezone.utc)
    duration = timedelta(minutes=data.duration_minutes) if data.duration_minutes else ms.ends_at - ms.starts_at
    ends_at = starts_at + duration
    check_time(session, settings, starts_at=starts_at, ends_at=ends_at, planned=planned, room=room)
    previous = (ms.starts_at, ms.ends_at, ms.room_id)
    session.execute(delete(SessionBooking).where(col(SessionBooking.session_id) == session_id))
    ms.starts_at, ms.ends_at, ms.room_id = starts_at, ends_at, room.id if room else None
    if data.meeting_url:
        ms.meeting_provider, ms.meeting_url = "manual", check_manual_link(data.meeting_url)
    ms.status = SessionStatus.RESCHEDULED
    ms.sequence += 1
    ms.updated_at = utcnow()
    session.add(ms)
    session.flush()
    book(session, ms=ms, planned=planned, buffer=timedelta(minutes=settings.scheduling_buffer_minutes),
         labels=_labels(planned, room))
    actor_ref = actor_of(actor)
    session.add(SessionChange(session_id=session_id, actor=actor_ref, kind="rescheduled", from_starts_at=previous[0],
                              from_ends_at=previous[1], from_room_id=previous[2], to_starts_at=ms.starts_at,
                              to_ends_at=ms.ends_at, to_room_id=ms.room_id, reason=data.reason))
    session.flush()
    record(session, actor=actor_ref, action="session.rescheduled", subject=f"session:{ms.id}", case_id=ms.case_id,
           payload={"from": {"starts_at": previous[0], "ends_at": previous[1], "room_id": previous[2]},
                    "to": {"starts_at": ms.starts_at, "ends_at": ms.ends_at, "room_id": ms.room_id},
                    "reason": data.reason})
    notify_session(session, settings, ms=ms, case=case, kind="rescheduled", previous=previous, reason=data.reason)
    return ms


def cancel_session(session: Session, settings: Settings, *, ms: MediationSession, case: Case, reason: str,
                   actor: User) -> MediationSession:
    """Cancel an active session (409 otherwise): frees its bookings, bumps ``sequence`` for calendars, logs
    the change, audits it and queues the cancellation notices (unsent ones withdrawn)."""
    _require_active(ms)
    session_id = id_of(ms)
    session.execute(delete(SessionBooking).where(col(SessionBooking.session_id) == session_id))
    ms.status = SessionStatus.CANCELLED
    ms.cancel_reason = reason
    ms.sequence += 1
    ms.updated_at = utcnow()
    session.add(ms)
    actor_ref = actor_of(actor)
    session.add(SessionChange(session_id=session_id, actor=actor_ref, kind="cancelled", from_starts_at=ms.starts_at,
                              from_ends_at=ms.ends_at, from_room_id=ms.room_id, reason=reason))
    session.flush()
    record(session, actor=actor_ref, action="session.cancelled", subject=f"session:{ms.id}", case_id=ms.case_id,
           payload={"reason": reason, "starts_at": ms.starts_at})
    notify_session(session, settings, ms=ms, case=case, kind="cancelled", reason=reason)
    return ms



def cancel_upcoming(session: Session, settings: Settings, *, case: Case, reason: str, actor: User) -> list[int]:
    """The case's active sessions that have not started, each cancelled as ``cancel_session`` does (bookings
    freed, unsent reminders withdrawn, cancellation notices queued): a case that ended holds no room and sends
    no reminder. Returns their ids."""
    upcoming = list(session.exec(select(MediationSession).where(
        col(MediationSession.case_id) == case.id, col(MediationSession.status).in_([s.value for s in ACTIVE_STATUSES]),
        col(MediationSession.starts_at) > utcnow()).order_by(col(MediationSession.starts_at))).all())
    for ms in upcoming:
        cancel_session(session, settings, ms=ms, case=case, reason=reason, actor=actor)
    return [id_of(ms) for ms in upcoming]

def history(session: Session, *, session_id: int) -> list[SessionChange]:
    """The session's change log (created, rescheduled, cancelled), oldest first."""
    return list(session.exec(select(SessionChange).where(col(SessionChange.session_id) == session_id)
                             .order_by(col(SessionChange.at), col(SessionChange.id))).all())


def sessions_of_case(session: Session, *, case_id: int) -> list[MediationSession]:
    """Every session of the case, cancelled ones included, by start time."""
    return list(session.exec(select(MediationSession).where(col(MediationSession.case_id) == case_id)
                             .order_by(col(MediationSession.starts_at))).all())


# --- slot finding ----------------------------------------------------------------------------------------------


@dataclass
class SlotSearch:
    slots: list[slot_policy.Slot]
    working_days: list[date]
    provisional_days: list[date]
    required: list[str]
    rooms: dict[str, Room]
    venues: dict[int, Venue]


def _search_participants(session: Session, *, case: Case, extra_user_ids: Sequence[int]) -> list[Planned]:
    """The case's mediator and parties, and the experts or interpreters asked for."""
    planned = plan_participants(session, case=case, wanted=None)
    for uid in extra_user_ids:
        user = session.get(User, uid)
        if user is None or not user.active:
            raise InvalidInput("no such user", errors=[{"loc": ["user_ids"], "msg": f"user {uid} not found"}])
        planned.append(Planned(ParticipantRole.EXPERT if user.role == Role.EXPERT else ParticipantRole.INTERPRETER,
                               user.display_name, user_id=user.id))
    return planned


def _people_resources(session: Session, settings: Settings, *, keys: dict[str, Planned], start: datetime,
                      end: datetime, buffer: timedelta) -> list[slot_policy.Resource]:
    """Everyone who must be free, with their hours (staff's own, else the centre's) and bookings; the
    mediator keeps the buffer free before each booking."""
    staff_ids = [p.user_id for p in keys.values() if p.user_id is not None
                 and p.role in (ParticipantRole.MEDIATOR, ParticipantRole.EXPERT, ParticipantRole.INTERPRETER)]
    hours = hours_of(session, settings, staff_ids)
    centre = default_hours(settings)
    busy = busy_intervals(session, resources=list(keys), start=start - buffer, end=end + buffer)
    return [slot_policy.Resource(key=key, busy=busy[key],
                                 hours=hours.get(p.user_id, centre) if p.user_id is not None else centre,
                                 buffer=buffer if p.role == ParticipantRole.MEDIATOR else timedelta(0))
            for key, p in keys.items()]


def find_case_slots(session: Session, settings: Settings, *, case: Case, mode: SessionMode, duration_minutes: int,
                    date_from: date, date_to: date, extra_user_ids: Sequence[int] = (), min_capacity: int | None = None,
                    wheelchair: bool = False, venue_id: int | None = None, limit: int = 10,
                    now: datetime | None = None) -> SlotSearch:
    """Earliest free slots for the case's mediator, its parties, the extra users and (on-site) a room."""
    slot_search.check_search_range(date_from, date_to)
    planned = _search_participants(session, case=case, extra_user_ids=extra_user_ids)
    working, provisional = slot_search.search_days(workday_calendar(session), date_from, date_to)
    start = datetime.combine(date_from, time(0), SHANGHAI)
    end = datetime.combine(date_to + timedelta(days=1), time(0), SHANGHAI)
    keys = {p.resource: p for p in planned if p.resource}
    people = _people_resources(session, settings, keys=keys, start=start, end=end,
                               buffer=timedelta(minutes=settings.scheduling_buffer_minutes))
    query = slot_policy.SlotQuery(days=working, duration=timedelta(minutes=duration_minutes), people=people,
                                  rooms=None, step=timedelta(minutes=settings.scheduling_slot_step_minutes),
                                  not_before=now or utcnow(), limit=limit)
    more_rooms: Iterable[list[slot_policy.Resource]] = ()
    rooms = slot_search.hostable_rooms(mode=mode, people=len(planned), min_capacity=min_capacity,
                                       wheelchair=wheelchair, hybrid=mode == SessionMode.HYBRID,
                                       venue_id=venue_id, elderly_first=case.needs_elderly_support)
    if rooms is not None:  # None for a remote session
        # Rooms only where everyone is free, and only as many as the search needs (slot_search).
        query = replace(query, rooms=[])
        more_rooms = slot_search.room_batches(session, rooms, start=start, end=end,
                                              windows=slot_policy.usable_windows(query))
    found = slot_policy.find_slots(query, more_rooms)
    labels = _labels(list(keys.values()), None)
    rooms_found, venues_found = slot_search.slot_places(session, found)
    return SlotSearch(slots=found, working_days=working, provisional_days=provisional,
                      required=[labels[k] for k in keys], rooms=rooms_found, venues=venues_found)
