"""Demo scheduling: the Guangzhou centre with its rooms, working hours for the demo mediators, and sessions for
the demo cases on the coming working days (times in Beijing business hours, stored in UTC).

Future sessions go through the same calls as the API (slot finding, then ``schedule_session``), so they are
checked for conflicts, audited and announced in the outbox. The one held session lies in the past, where the
service refuses to book, so it is written directly, with its history, confirmed record and audit entries.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..cases.models import Case
from ..cases.service import parties_of, workday_calendar
from ..config import Settings
from ..db import id_of, utcnow
from ..timeutil import SHANGHAI, today_in_shanghai
from . import record_document
from .models import (MediationSession, ParticipantRole, SessionChange, SessionMode, SessionParticipant,
                     SessionRecord, SessionStatus)
from .schemas import HoursIn, RoomIn, SessionCreate, TimeOffIn, VenueIn
from .resources import add_time_off, create_room, create_venue, set_working_hours
from .service import find_case_slots, schedule_session

ACTOR = "seed-demo"
FULL_DAY = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))
ROOMS = [
    RoomIn(name="第一调解室", capacity=8, equipment=["video", "projector"], video_equipped=True,
           wheelchair_accessible=True),
    RoomIn(name="第二调解室", capacity=6, equipment=["whiteboard"]),
    RoomIn(name="视频调解室", capacity=4, equipment=["video", "recording"], video_equipped=True),
    RoomIn(name="大调解厅", capacity=20, equipment=["video", "projector", "recording"], video_equipped=True,
           wheelchair_accessible=True),
]
# Full-time mediators work every working day (adjusted Saturdays included: the day list decides); part-timers
# come on fixed weekdays only.
FULL_TIME = ("mediator.chen", "mediator.huang", "mediator.zhang")
PART_TIME = {"mediator.lin": (0, 2, 4), "mediator.liang": (1, 3)}


def _hours(weekdays) -> list[HoursIn]:
    return [HoursIn(weekday=d, starts=s, ends=e) for d in weekdays for s, e in FULL_DAY]


def seed(session: Session, settings: Settings, context) -> None:
    users = context.users
    venue = create_venue(session, data=VenueIn(
        name="广东正和调解中心（广州）", address="广州市天河区珠江新城华夏路8号合景国际金融广场12楼", city="广州",
        elderly_friendly=True, wheelchair_accessible=True), actor=ACTOR)
    rooms = [create_room(session, venue=venue, data=room, actor=ACTOR) for room in ROOMS]
    for username in FULL_TIME:
        set_working_hours(session, user=users[username], hours=_hours(range(7)), actor=ACTOR)
    for username, weekdays in PART_TIME.items():
        set_working_hours(session, user=users[username], hours=_hours(weekdays), actor=ACTOR)

    calendar = workday_calendar(session)
    today = today_in_shanghai()
    # 梁志坚 is on leave for the coming week (an example of leave in the calendar).
    leave_start = datetime.combine(today + timedelta(days=1), time(0), SHANGHAI)
    add_time_off(session, user=users["mediator.liang"],
                 data=TimeOffIn(starts_at=leave_start, ends_at=leave_start + timedelta(days=7), reason="年假"),
                 actor=ACTOR)

    officer = users["officer.li"]
    first_day = calendar.add_workdays(today, 1)
    plans = [  # case, mode, minutes, working days ahead, agenda
        ("credit_card_penalty", SessionMode.ONSITE, 90, 1, "核对欠款明细，协商违约金减免及分期还款方案"),
        ("time_deposit", SessionMode.REMOTE, 60, 2, "听取双方陈述，核实柜台办理录像及告知情况"),
        ("critical_illness", SessionMode.HYBRID, 60, 3, "宣读调解协议条款，解答签署问题（申请人可视频参加）"),
    ]
    for key, mode, minutes, ahead, agenda in plans:
        case = context.cases.get(key)
        if case is None or case.mediator_user_id is None:
            continue
        day = calendar.add_workdays(first_day, ahead - 1)
        found = find_case_slots(session, settings, case=case, mode=mode, duration_minutes=minutes,
                                date_from=day, date_to=day + timedelta(days=14), limit=1)
        if not found.slots:
            continue
        slot = found.slots[0]
        room = found.rooms[slot.room].id if slot.room else None
        schedule_session(session, settings, case=case, actor=officer,
                         data=SessionCreate(mode=mode, starts_at=slot.start, duration_minutes=minutes, room_id=room,
                                            agenda=agenda))
    held_case = context.cases.get("critical_illness")
    if held_case is not None and held_case.mediator_user_id is not None:
        day = today - timedelta(days=7)
        while not calendar.is_workday(day):
            day -= timedelta(days=1)
        mediator = session.get(User, held_case.mediator_user_id)
        if mediator is None:
            raise RuntimeError(f"demo case {held_case.number}: mediator user {held_case.mediator_user_id} is missing")
        _held_session(session, settings, case=held_case, mediator=mediator, day=day, room_id=id_of(rooms[0]))


def _held_session(session: Session, settings: Settings, *, case: Case, mediator: User, day: date,
                  room_id: int) -> None:
    """A first session that took place last week, with its confirmed record (调解笔录) and the record's PDF,
    ready for the parties and the mediator to sign from the case page."""
    starts = datetime.combine(day, time(10, 0), SHANGHAI)
    ends = starts + timedelta(hours=2)
    ms = MediationSession(case_id=id_of(case), uid=f"{uuid.uuid4()}@mediation-svc", mode=SessionMode.ONSITE,
                          status=SessionStatus.HELD, starts_at=starts, ends_at=ends, room_id=room_id,
                          agenda="听取双方陈述，核实投保告知及理赔材料", created_by_user_id=None,
                          created_at=starts - timedelta(days=7), updated_at=ends)
    session.add(ms)
    session.flush()
    session_id = id_of(ms)
    people = [SessionParticipant(session_id=session_id, role=ParticipantRole.MEDIATOR, user_id=mediator.id,
                                 name=mediator.display_name, email=mediator.email, attendance="present")]
    for party in parties_of(session, id_of(case)):
        role = ParticipantRole.APPLICANT if party.role == "applicant" else ParticipantRole.RESPONDENT
        people.append(SessionParticipant(session_id=session_id, role=role, user_id=party.user_id, party_id=party.id,
                                         name=party.name, phone=party.phone, attendance="present"))
    session.add_all(people)
    minutes = ("申请人陈述：投保时业务员未询问肝炎病史，健康告知书系业务员代为勾选。\n"
               "被申请人陈述：健康告知书第5项已明确询问，申请人签字确认。\n"
               "调解员释明《保险法》第十六条关于如实告知义务的规定，双方同意在保险金额九成以上协商。")
    rec = SessionRecord(session_id=session_id, minutes=minutes, outcome="partially_settled",
                        drafted_by_user_id=mediator.id, updated_at=ends, confirmed_by_user_id=mediator.id,
                        confirmed_at=ends + timedelta(hours=1))
    session.add(rec)
    session.add(SessionChange(session_id=session_id, at=starts - timedelta(days=7), actor=ACTOR, kind="created",
                              to_starts_at=starts, to_ends_at=ends))
    session.add(SessionChange(session_id=session_id, at=ends + timedelta(hours=1), actor=actor_of(mediator), kind="held"))
    session.flush()
    record(session, actor=ACTOR, action="session.held_imported", subject=f"session:{ms.id}", case_id=case.id,
           payload={"starts_at": starts, "ends_at": ends, "outcome": "partially_settled",
                    "minutes_sha256": hashlib.sha256(minutes.encode()).hexdigest(), "imported_at": utcnow()})
    record_document.issue(session, settings, ms=ms, case=case, rec=rec, actor=mediator)
