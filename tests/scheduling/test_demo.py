"""The demo calendar: seeded through the scheduling service on top of the demo users and cases."""

from __future__ import annotations

from datetime import timezone

from sqlmodel import Session, select

from mediation_svc import demo
from mediation_svc.audit.chain import verify_chain
from mediation_svc.db import unit_of_work
from mediation_svc.scheduling import demo as scheduling_demo
from mediation_svc.scheduling.models import (MediationSession, Room, SessionBooking, SessionRecord, Venue,
                                             WorkingHours)
from mediation_svc.timeutil import SHANGHAI, today_in_shanghai
from mediation_svc.workdays import WorkdayCalendar


def test_demo_calendar(engine, settings, client, auth):
    context = demo.DemoContext()
    with unit_of_work(engine) as session:
        demo._seed_users(session, context)
        demo._seed_cases(session, settings, context)
        scheduling_demo.seed(session, settings, context)
    with Session(engine) as session:
        (venue,) = session.exec(select(Venue)).all()
        assert venue.city == "广州" and venue.wheelchair_accessible
        rooms = session.exec(select(Room)).all()
        assert len(rooms) == 4 and max(r.capacity for r in rooms) == 20
        assert session.exec(select(WorkingHours)).all()
        sessions = session.exec(select(MediationSession).order_by(MediationSession.starts_at)).all()
        held = [s for s in sessions if s.status == "held"]
        upcoming = [s for s in sessions if s.status == "scheduled"]
        assert len(held) == 1 and len(upcoming) == 3
        assert session.exec(select(SessionRecord)).one().confirmed_at is not None
        calendar = WorkdayCalendar()
        today = today_in_shanghai()
        for s in upcoming:
            local = s.starts_at.astimezone(SHANGHAI)
            assert s.starts_at.utcoffset() == timezone.utc.utcoffset(None)  # stored in UTC
            assert local.date() > today and calendar.is_workday(local.date())
            assert 9 <= local.hour < 17  # Beijing business hours
            assert session.exec(select(SessionBooking).where(SessionBooking.session_id == s.id)).all()
        assert verify_chain(session).ok
    # The demo mediator sees his sessions, and his feed works.
    mediator = context.users["mediator.chen"]
    feed = client.post("/api/v1/me/calendar-feed", headers=auth(mediator)).json()["url"]
    assert client.get(feed.removeprefix("http://testserver")).status_code == 200
