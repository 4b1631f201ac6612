"""Building blocks for scheduling and notification tests: cases ready for sessions, venues, future days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from mediation_svc.accounts.models import User
from mediation_svc.cases.models import Case
from mediation_svc.cases.service import assign_mediator_user, transition
from mediation_svc.cases.states import CaseStatus
from mediation_svc.db import unit_of_work
from mediation_svc.scheduling.schemas import RoomIn, VenueIn
from mediation_svc.scheduling.resources import create_room, create_venue
from mediation_svc.timeutil import SHANGHAI, today_in_shanghai
from mediation_svc.workdays import WorkdayCalendar


def workday_ahead(weeks: int = 1, weekday: int = 1) -> date:
    """A working day at least ``weeks`` weeks from today, on the given weekday (default Tuesday)."""
    day = today_in_shanghai() + timedelta(weeks=weeks)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    calendar = WorkdayCalendar()
    while not calendar.is_workday(day):
        day += timedelta(days=7)
    return day


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SHANGHAI)


def iso(day: date, hh: int, mm: int = 0) -> str:
    return at(day, hh, mm).isoformat()


def ready_case(engine, make_case, officer, mediator) -> Case:
    """A case accepted and assigned to ``mediator``: sessions can be scheduled for it."""
    case = make_case(officer=officer)
    with unit_of_work(engine) as session:
        case = session.get(Case, case.id)
        transition(session, case=case, target=CaseStatus.ACCEPTED, actor="test")
        assign_mediator_user(session, case=case, mediator=session.get(User, mediator.id), actor="test", reason=None)
    return case


@dataclass
class Venue:
    id: int
    rooms: list[int] = field(default_factory=list)


def make_venue(engine, *, rooms: int = 2, capacity: int = 8, video: bool = True, name: str = "广州调解室") -> Venue:
    with unit_of_work(engine) as session:
        venue = create_venue(session, data=VenueIn(name=name, address="广州市天河区体育西路191号", city="广州",
                                                   elderly_friendly=True, wheelchair_accessible=True), actor="test")
        ids = [create_room(session, venue=venue, data=RoomIn(name=f"{300 + i + 1}室", capacity=capacity,
                                                             video_equipped=video, equipment=["video"] if video else []),
                           actor="test").id for i in range(rooms)]
        return Venue(venue.id, ids)


def fetch(engine, statement) -> list:
    """Run a query in its own short transaction (on SQLite an open transaction holds the write lock)."""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.exec(statement).all())
    return rows


def run_together(count: int, attempt) -> list[object]:
    """Call ``attempt(i)`` for i in 0..count-1 on as many threads, released at the same moment by a barrier;
    each returns what its call returned or the exception it raised."""
    import threading

    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = attempt(index)
        except Exception as exc:  # noqa: BLE001 - handed to the test to judge
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes
