"""China's statutory holidays and adjusted working days (调休) from the official calendar (chinese_calendar),
seen through the same slot search the API uses, with an explicit "now" so that 2026's holidays can be used."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlmodel import Session

from mediation_svc.cases.models import Case
from mediation_svc.scheduling.models import SessionMode
from mediation_svc.scheduling.service import find_case_slots
from mediation_svc.timeutil import SHANGHAI

from .helpers import iso, workday_ahead

LONG_AGO = datetime(2026, 1, 1, tzinfo=timezone.utc)


def slot_days(engine, settings, case_id, first: date, last: date) -> tuple[set[date], list[date]]:
    with Session(engine) as db:
        found = find_case_slots(db, settings, case=db.get(Case, case_id), mode=SessionMode.REMOTE,
                                duration_minutes=60, date_from=first, date_to=last, limit=1000, now=LONG_AGO)
    return {s.start.astimezone(SHANGHAI).date() for s in found.slots}, found.working_days


def test_national_day_2026_and_its_adjusted_working_days(engine, settings, world):
    days, working = slot_days(engine, settings, world.case.id, date(2026, 9, 19), date(2026, 10, 11))
    assert date(2026, 9, 20) in days  # Sunday, worked in exchange for the holiday (调休上班)
    assert date(2026, 10, 10) in days  # Saturday, likewise
    assert not days & {date(2026, 10, d) for d in range(1, 8)}  # 国庆节 1-7 October
    assert date(2026, 9, 25) not in days  # 中秋节 (a Friday)
    assert date(2026, 9, 27) not in days and date(2026, 10, 11) not in days  # ordinary Sundays
    assert date(2026, 9, 21) in days and date(2026, 10, 9) in days  # ordinary working days
    assert working == sorted(working) and date(2026, 10, 1) not in working


def test_spring_festival_2026(engine, settings, world):
    days, _ = slot_days(engine, settings, world.case.id, date(2026, 2, 13), date(2026, 2, 28))
    assert date(2026, 2, 14) in days and date(2026, 2, 28) in days  # Saturdays worked (调休)
    assert not days & {date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)}  # 春节
    assert date(2026, 2, 13) in days and date(2026, 2, 24) in days


def test_leave_removes_the_days_from_the_slots(client, auth, world, engine, settings):
    day = workday_ahead()
    leave = {"starts_at": iso(day, 0), "ends_at": iso(day + timedelta(days=1), 0), "reason": "病假"}
    assert client.post(f"/api/v1/users/{world.mediator.id}/time-off", json=leave,
                       headers=auth(world.officer)).status_code == 201
    with Session(engine) as db:
        found = find_case_slots(db, settings, case=db.get(Case, world.case.id), mode=SessionMode.REMOTE,
                                duration_minutes=60, date_from=day, date_to=day + timedelta(days=7), limit=1)
    assert found.slots[0].start.astimezone(SHANGHAI).date() > day


def test_manual_meeting_provider_needs_a_typed_link(client, auth, world, settings):
    settings.meeting_provider = "manual"
    day = workday_ahead()
    url = f"/api/v1/cases/{world.case.id}/sessions"
    body = {"mode": "remote", "starts_at": iso(day, 10), "duration_minutes": 60}
    missing = client.post(url, json=body, headers=auth(world.officer))
    assert missing.status_code == 422 and "会议链接" in missing.json()["detail"]
    typed = client.post(url, json={**body, "meeting_url": "https://jitsi.example.cn/zhenghe-0042"},
                        headers=auth(world.officer))
    assert typed.status_code == 201 and typed.json()["meeting_provider"] == "manual"
    assert typed.json()["meeting_url"] == "https://jitsi.example.cn/zhenghe-0042"
