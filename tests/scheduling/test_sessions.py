"""Scheduling through the API: conflicts of each kind, working days, reschedule history, cancellation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from mediation_svc.audit.chain import case_trail, verify_chain
from mediation_svc.cases.models import CalendarOverride, CaseParty
from mediation_svc.db import unit_of_work
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.scheduling.models import SessionBooking

from .helpers import at, fetch, iso, workday_ahead


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def schedule(client, auth, user, case_id, **body):
    body.setdefault("mode", "onsite")
    body.setdefault("duration_minutes", 60)
    return client.post(f"/api/v1/cases/{case_id}/sessions", json=body, headers=auth(user))


def test_schedule_on_site_session(client, auth, world, engine):
    day = workday_ahead()
    r = schedule(client, auth, world.officer, world.case.id, starts_at=iso(day, 10),
                 room_id=world.venue.rooms[0], agenda="核实理赔材料，听取双方意见")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "scheduled" and body["starts_at_local"] == f"{day.isoformat()} 10:00"
    assert body["room_name"] == "301室" and body["meeting_url"] is None
    roles = sorted(p["role"] for p in body["participants"])
    assert roles == ["applicant", "mediator", "respondent"]
    bookings = fetch(engine, select(SessionBooking).where(SessionBooking.session_id == body["id"]))
    resources = {b.resource for b in bookings}
    assert f"user:{world.mediator.id}" in resources and f"room:{world.venue.rooms[0]}" in resources
    assert sum(r.startswith("party:") for r in resources) == 2
    mediator_booking = next(b for b in bookings if b.resource == f"user:{world.mediator.id}")
    assert mediator_booking.ends_at - mediator_booking.starts_at == timedelta(minutes=75)  # 15-minute buffer
    with Session(engine) as db:
        actions = [e.action for e in case_trail(db, world.case.id)]
        assert "session.scheduled" in actions
        assert verify_chain(db).ok
    kinds = {m.kind for m in fetch(engine, select(OutboxMessage).where(OutboxMessage.ref == f"session:{body['id']}"))}
    assert {"session.scheduled", "session.reminder_24h", "session.reminder_1h"} <= kinds


def test_remote_session_gets_an_unguessable_link(client, auth, world):
    day = workday_ahead()
    first = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 9)).json()
    second = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 14)).json()
    assert first["meeting_url"].startswith("https://meet.example.org/mediation/tjhy-")
    assert first["meeting_url"] != second["meeting_url"]
    assert len(first["meeting_url"].rsplit("tjhy-", 1)[1]) >= 21  # 128 random bits, base64url
    typed = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 16),
                     meeting_url="https://meeting.tencent.com/dm/abc123")
    assert typed.json()["meeting_url"] == "https://meeting.tencent.com/dm/abc123"
    bad = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 16, 30),
                   duration_minutes=30, meeting_url="javascript:alert(1)")
    assert bad.status_code == 422


def test_mediator_double_booking_across_cases_is_a_409_naming_the_session(client, auth, world):
    day = workday_ahead()
    first = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 10)).json()
    other_case = world.make_ready_case()
    r = schedule(client, auth, world.officer, other_case.id, mode="remote", starts_at=iso(day, 10, 30))
    assert r.status_code == 409
    problem = r.json()
    assert problem["type"] == "urn:mediation-svc:problem:scheduling-conflict"
    assert r.headers["content-type"].startswith("application/problem+json")
    hit = [c for c in problem["conflicts"] if c["resource"] == f"user:{world.mediator.id}"]
    assert hit and hit[0]["session_id"] == first["id"] and hit[0]["case_number"] == world.case.number
    assert "调解员 王敏" in problem["detail"]


def test_mediator_buffer_between_sessions(client, auth, world):
    day = workday_ahead()
    assert schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 9)).status_code == 201
    other_case = world.make_ready_case()
    too_close = schedule(client, auth, world.officer, other_case.id, mode="remote", starts_at=iso(day, 10, 5))
    assert too_close.status_code == 409
    assert schedule(client, auth, world.officer, other_case.id, mode="remote",
                    starts_at=iso(day, 10, 15)).status_code == 201


def test_room_double_booking(client, auth, world):
    day = workday_ahead()
    room = world.venue.rooms[0]
    first = schedule(client, auth, world.officer, world.case.id, starts_at=iso(day, 14), room_id=room).json()
    other_case = world.make_ready_case(world.other_mediator)
    r = schedule(client, auth, world.officer, other_case.id, starts_at=iso(day, 14, 30), room_id=room)
    assert r.status_code == 409
    assert [c["resource"] for c in r.json()["conflicts"]] == [f"room:{room}"]
    assert r.json()["conflicts"][0]["session_id"] == first["id"]
    assert "会议室 301室" in r.json()["detail"]
    ok = schedule(client, auth, world.officer, other_case.id, starts_at=iso(day, 14, 30), room_id=world.venue.rooms[1])
    assert ok.status_code == 201


def test_expert_double_booking(client, auth, world, make_user):
    expert = make_user("expert", display_name="张教授", email="zhang@example.edu")
    day = workday_ahead()
    participants = [{"role": "expert", "user_id": expert.id}]
    first = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 15),
                     participants=participants)
    assert first.status_code == 201, first.text
    other_case = world.make_ready_case(world.other_mediator)
    r = schedule(client, auth, world.officer, other_case.id, mode="remote", starts_at=iso(day, 15, 30),
                 participants=participants)
    assert r.status_code == 409
    assert r.json()["conflicts"][0]["resource"] == f"user:{expert.id}"
    assert "专家 张教授" in r.json()["detail"]


def test_party_double_booking(client, auth, world, make_user, engine):
    # The same consumer is applicant in two cases with different mediators; her account is linked to both.
    consumer = make_user("party", display_name="陈秀兰", email="chen@example.com")
    other_case = world.make_ready_case(world.other_mediator)
    from mediation_svc.cases.models import Case
    from mediation_svc.cases.service import link_party_user

    with unit_of_work(engine) as session:
        for case_id in (world.case.id, other_case.id):
            party = session.exec(select(CaseParty).where(CaseParty.case_id == case_id,
                                                         CaseParty.role == "applicant")).one()
            link_party_user(session, case=session.get(Case, case_id), party_id=party.id,
                            user=session.get(type(consumer), consumer.id), actor="test")
    day = workday_ahead()
    assert schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 10)).status_code == 201
    r = schedule(client, auth, world.officer, other_case.id, mode="remote", starts_at=iso(day, 10))
    assert r.status_code == 409
    assert [c["resource"] for c in r.json()["conflicts"]] == [f"user:{consumer.id}"]
    assert "申请人 陈秀兰" in r.json()["detail"]


def test_a_refused_booking_leaves_nothing_behind(client, auth, world, engine):
    day = workday_ahead()
    schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 10))
    outbox_before = len(fetch(engine, select(OutboxMessage)))
    other_case = world.make_ready_case()
    r = schedule(client, auth, world.officer, other_case.id, mode="remote", starts_at=iso(day, 10))
    assert r.status_code == 409
    assert len(fetch(engine, select(OutboxMessage))) == outbox_before
    assert client.get(f"/api/v1/cases/{other_case.id}/sessions", headers=auth(world.officer)).json() == []


def test_holiday_and_adjusted_working_day_from_centre_overrides(client, auth, world, engine):
    closed = workday_ahead(weeks=2, weekday=0)  # a Monday the centre declares a holiday
    saturday = closed + timedelta(days=5)  # the Saturday made a working day in exchange (调休)
    with unit_of_work(engine) as session:
        session.add(CalendarOverride(day=closed, is_workday=False, note="调休放假"))
        session.add(CalendarOverride(day=saturday, is_workday=True, note="调休上班"))
    r = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(closed, 10))
    assert r.status_code == 422
    assert "不是工作日" in r.json()["detail"]
    ok = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(saturday, 10))
    assert ok.status_code == 201, ok.text
    sunday = saturday + timedelta(days=1)
    assert schedule(client, auth, world.officer, world.case.id, mode="remote",
                    starts_at=iso(sunday, 10)).status_code == 422


def test_working_hours_and_leave(client, auth, world):
    day = workday_ahead()
    lunch = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 11, 30))
    assert lunch.status_code == 422 and "工作时间" in lunch.json()["detail"]
    hours = [{"weekday": day.weekday(), "starts": "08:00", "ends": "12:00"}]
    assert client.put(f"/api/v1/users/{world.mediator.id}/working-hours", json=hours,
                      headers=auth(world.mediator)).status_code == 200
    afternoon = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 14))
    assert afternoon.status_code == 422
    assert schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 8)).status_code == 201
    leave = {"starts_at": iso(day, 0), "ends_at": iso(day + timedelta(days=7), 0), "reason": "年假"}
    assert client.post(f"/api/v1/users/{world.mediator.id}/time-off", json=leave,
                       headers=auth(world.mediator)).status_code == 201
    r = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 10))
    assert r.status_code == 422 and "年假" in r.json()["detail"]
    # Someone else's leave is not a mediator's to set.
    assert client.post(f"/api/v1/users/{world.other_mediator.id}/time-off", json=leave,
                       headers=auth(world.mediator)).status_code == 403


def test_venue_opening_hours_and_room_capacity(client, auth, world, engine):
    from .helpers import make_venue

    tiny = make_venue(engine, rooms=1, capacity=2, name="小调解室")
    day = workday_ahead()
    r = schedule(client, auth, world.officer, world.case.id, starts_at=iso(day, 10), room_id=tiny.rooms[0])
    assert r.status_code == 422 and "容纳" in r.json()["detail"]
    hours = [{"weekday": day.weekday(), "starts": "08:00", "ends": "20:00"}]
    client.put(f"/api/v1/users/{world.mediator.id}/working-hours", json=hours, headers=auth(world.officer))
    late = schedule(client, auth, world.officer, world.case.id, starts_at=iso(day, 18), room_id=world.venue.rooms[0])
    assert late.status_code == 422 and "开放时间" in late.json()["detail"]


def test_reschedule_keeps_history_mediator_and_frees_the_old_time(client, auth, world, engine):
    day = workday_ahead()
    created = schedule(client, auth, world.officer, world.case.id, starts_at=iso(day, 10),
                       room_id=world.venue.rooms[0]).json()
    r = client.post(f"/api/v1/sessions/{created['id']}/reschedule",
                    json={"starts_at": iso(day, 14), "reason": "申请人住院，申请延期"}, headers=auth(world.officer))
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["status"] == "rescheduled" and moved["sequence"] == 1
    assert moved["starts_at_local"] == f"{day.isoformat()} 14:00" and moved["uid"] == created["uid"]
    mediators = [p["user_id"] for p in moved["participants"] if p["role"] == "mediator"]
    assert mediators == [world.mediator.id]
    history = client.get(f"/api/v1/sessions/{created['id']}/history", headers=auth(world.officer)).json()
    assert [h["kind"] for h in history] == ["created", "rescheduled"]
    assert history[1]["reason"] == "申请人住院，申请延期"
    assert parse(history[1]["from_starts_at"]) == parse(created["starts_at"]) == at(day, 10)
    assert parse(history[1]["to_starts_at"]) == parse(moved["starts_at"]) == at(day, 14)
    # The old slot is free again, for the same mediator and room.
    other_case = world.make_ready_case()
    again = schedule(client, auth, world.officer, other_case.id, starts_at=iso(day, 10), room_id=world.venue.rooms[0])
    assert again.status_code == 201
    # Notices: the old reminders are withdrawn, the change is announced, new reminders planned.
    messages = fetch(engine, select(OutboxMessage).where(OutboxMessage.ref == f"session:{created['id']}"))
    by_status = {}
    for m in messages:
        by_status.setdefault((m.kind, m.status), 0)
        by_status[(m.kind, m.status)] += 1
    assert by_status.get(("session.reminder_24h", "cancelled"))
    assert by_status.get(("session.rescheduled", "pending"))
    assert by_status.get(("session.reminder_24h", "pending"))
    # Moving onto a booked time is refused like a new booking.
    clash = client.post(f"/api/v1/sessions/{created['id']}/reschedule",
                        json={"starts_at": iso(day, 10), "reason": "再次调整"}, headers=auth(world.officer))
    assert clash.status_code == 409
    assert clash.json()["conflicts"][0]["session_id"] == again.json()["id"]


def test_cancel_frees_the_slot_and_is_final(client, auth, world, engine):
    day = workday_ahead()
    created = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 10)).json()
    r = client.post(f"/api/v1/sessions/{created['id']}/cancel", json={"reason": "双方已自行和解"},
                    headers=auth(world.officer))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert fetch(engine, select(SessionBooking).where(SessionBooking.session_id == created["id"])) == []
    again = client.post(f"/api/v1/sessions/{created['id']}/reschedule",
                        json={"starts_at": iso(day, 14), "reason": "x"}, headers=auth(world.officer))
    assert again.status_code == 409 and again.json()["type"].endswith("invalid-transition")
    kinds = {(m.kind, m.status) for m in fetch(engine, select(OutboxMessage).where(
        OutboxMessage.ref == f"session:{created['id']}"))}
    assert ("session.cancelled", "pending") in kinds and ("session.reminder_1h", "cancelled") in kinds
    assert schedule(client, auth, world.officer, world.make_ready_case().id, mode="remote",
                    starts_at=iso(day, 10)).status_code == 201


def test_who_may_schedule(client, auth, world, make_user):
    day = workday_ahead()
    party = make_user("party")
    assert schedule(client, auth, party, world.case.id, mode="remote", starts_at=iso(day, 10)).status_code == 403
    # A mediator not on the case does not even see it.
    assert schedule(client, auth, world.other_mediator, world.case.id, mode="remote",
                    starts_at=iso(day, 10)).status_code == 404
    # The case's own mediator may.
    assert schedule(client, auth, world.mediator, world.case.id, mode="remote", starts_at=iso(day, 10)).status_code == 201


def test_past_and_naive_times_are_refused(client, auth, world):
    r = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at="2020-01-06T10:00:00+08:00")
    assert r.status_code == 422
    day = workday_ahead()
    naive = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=f"{day.isoformat()}T10:00:00")
    assert naive.status_code == 422


def test_busy_minutes_for_rosters(client, auth, world, engine):
    from mediation_svc.scheduling.availability import busy_minutes

    day = workday_ahead()
    schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 9), duration_minutes=90)
    schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(day, 14))
    with Session(engine) as db:
        figures = busy_minutes(db, user_ids=[world.mediator.id, world.other_mediator.id],
                               start=at(day, 0), end=at(day, 23))
        assert figures == {world.mediator.id: 150, world.other_mediator.id: 0}
        assert busy_minutes(db, user_ids=[world.mediator.id], start=at(day, 9, 30),
                            end=at(day, 10))[world.mediator.id] == 30
