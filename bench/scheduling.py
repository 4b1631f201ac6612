"""Benchmark: slot finding for a case whose mediator has 2,000 sessions on the calendar, with 200 rooms (PostgreSQL).

Creates a dedicated database (dropped at the end unless --keep), migrates it, and seeds through the services
a case with its mediator, 20 venues with 200 rooms (10 each, capacities 4 to 20) and the centre's other
mediators. The mediator's 2,000 sessions (four a working day, a year back and a year ahead, on-site in the
rooms) and 12,000 more room bookings of other mediators over the next six weeks (three sessions a day in
every room) are bulk-inserted with their bookings, like the rows ``schedule_session`` writes. Then it times
``scheduling.service.find_case_slots``, the function ``GET /api/v1/cases/{id}/session-slots`` calls (every
query it makes and the interval arithmetic), in a fresh database session per call as a request would, and
prints the median and p95 for the API's default 14-day on-site search, a remote search, 6-week on-site
searches, and a search that finds nothing (the mediator has no 120-minute gap: every day is scanned).

    .venv/bin/python bench/scheduling.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                         [--runs 200] [--keep]

Target: median under 100 ms for the 14-day on-site search.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from _postgres import admin_url, database_arguments, drop_database, recreate_database  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from mediation_svc.accounts.schemas import UserCreate  # noqa: E402
from mediation_svc.accounts.service import create_user  # noqa: E402
from mediation_svc.cases.models import Case  # noqa: E402
from mediation_svc.cases.schemas import CaseIntake  # noqa: E402
from mediation_svc.cases.service import assign_mediator_user, intake_case, transition, workday_calendar  # noqa: E402
from mediation_svc.cases.states import CaseStatus  # noqa: E402
from mediation_svc.config import Settings  # noqa: E402
from mediation_svc.db import make_engine, unit_of_work  # noqa: E402
from mediation_svc.migrations_check import upgrade  # noqa: E402
from mediation_svc.scheduling.models import MediationSession, SessionBooking, SessionMode  # noqa: E402
from mediation_svc.scheduling.schemas import RoomIn, VenueIn  # noqa: E402
from mediation_svc.scheduling.service import create_room, create_venue, find_case_slots  # noqa: E402
from mediation_svc.security.passwords import use_profile  # noqa: E402
from mediation_svc.timeutil import SHANGHAI, today_in_shanghai  # noqa: E402
from tests.factories import intake_payload  # noqa: E402

DB_NAME = "mediation_bench_sched"
SESSIONS = 2_000
VENUES, ROOMS_PER_VENUE = 20, 10
OTHER_MEDIATORS = 30
STARTS = (clock(9, 0), clock(10, 30), clock(13, 30), clock(15, 0))  # the mediator's four sessions a day
ROOM_STARTS = (clock(9, 0), clock(13, 30), clock(15, 30))


def local(day: date, at: clock) -> datetime:
    return datetime.combine(day, at, SHANGHAI).astimezone(timezone.utc)


def seed(engine, settings: Settings, rng: random.Random) -> int:
    """Returns the id of the case to search slots for."""
    use_profile("cheapest")  # the benchmark's users never log in
    with unit_of_work(engine) as session:
        officer = create_user(session, data=UserCreate(username="bench.officer", password="bench-password-1",
                                                       display_name="基准测试", role="case_officer"), actor="bench")
        mediators = [create_user(session, data=UserCreate(username=f"bench.mediator{i}", password="bench-password-1",
                                                          display_name=f"调解员{i}", role="mediator"), actor="bench")
                     for i in range(OTHER_MEDIATORS + 1)]
        cases = []
        for i in range(OTHER_MEDIATORS + 1):
            case = intake_case(session, settings, data=CaseIntake(**intake_payload()), actor=officer)
            transition(session, case=case, target=CaseStatus.ACCEPTED, actor="bench")
            assign_mediator_user(session, case=case, mediator=mediators[i], actor="bench", reason=None)
            cases.append(case)
        rooms = []
        for v in range(VENUES):
            venue = create_venue(session, data=VenueIn(name=f"调解场所{v + 1}", address=f"广州市天河区示例路{v + 1}号",
                                                       city="广州"), actor="bench")
            rooms += [create_room(session, venue=venue, data=RoomIn(name=f"{v + 1}-{r + 1}室", capacity=4 + 2 * (r % 9),
                                                                     video_equipped=r % 2 == 0), actor="bench")
                      for r in range(ROOMS_PER_VENUE)]
        calendar = workday_calendar(session)
        target = cases[0]
        mediator_id = mediators[0].id
        # The mediator's 2,000 sessions: four a working day, from a year ago onwards.
        days = []
        day = today_in_shanghai() - timedelta(days=365)
        while len(days) * len(STARTS) < SESSIONS:
            if calendar.is_workday(day) and day != today_in_shanghai():
                days.append(day)
            day += timedelta(days=1)
        sessions, bookings = [], []
        next_id = 1
        for day in days:
            for at in STARTS:
                if next_id > SESSIONS:
                    break
                starts, ends = local(day, at), local(day, at) + timedelta(hours=1)
                room = rng.choice(rooms)
                sessions.append(dict(id=next_id, case_id=cases[1 + next_id % OTHER_MEDIATORS].id,
                                     uid=f"{uuid.uuid4()}@bench", sequence=0, mode="onsite", status="scheduled",
                                     starts_at=starts, ends_at=ends, room_id=room.id, created_at=starts,
                                     updated_at=starts))
                bookings.append(dict(session_id=next_id, resource=f"user:{mediator_id}", starts_at=starts,
                                     ends_at=ends + timedelta(minutes=settings.scheduling_buffer_minutes)))
                bookings.append(dict(session_id=next_id, resource=f"room:{room.id}", starts_at=starts, ends_at=ends))
                next_id += 1
        # Other mediators' sessions fill every room three times a working day for the next six weeks.
        start_day = today_in_shanghai() + timedelta(days=1)
        for offset in range(42):
            day = start_day + timedelta(days=offset)
            if not calendar.is_workday(day):
                continue
            for room in rooms:
                for at in ROOM_STARTS:
                    starts, ends = local(day, at), local(day, at) + timedelta(minutes=rng.choice((60, 90, 120)))
                    other = rng.randint(1, OTHER_MEDIATORS)
                    sessions.append(dict(id=next_id, case_id=cases[other].id, uid=f"{uuid.uuid4()}@bench", sequence=0,
                                         mode="onsite", status="scheduled", starts_at=starts, ends_at=ends,
                                         room_id=room.id, created_at=starts, updated_at=starts))
                    bookings.append(dict(session_id=next_id, resource=f"room:{room.id}", starts_at=starts,
                                         ends_at=ends))
                    next_id += 1
        occupied: dict[str, list[tuple[datetime, datetime]]] = {}
        kept = []
        for b in bookings:  # a room drawn twice for overlapping times: keep the first (the constraint would)
            spans = occupied.setdefault(b["resource"], [])
            if any(s < b["ends_at"] and b["starts_at"] < e for s, e in spans):
                continue
            spans.append((b["starts_at"], b["ends_at"]))
            kept.append(b)
        used = {b["session_id"] for b in kept}
        session.execute(insert(MediationSession.__table__), [s for s in sessions if s["id"] in used])
        session.execute(insert(SessionBooking.__table__), kept)
        print(f"seeded {VENUES * ROOMS_PER_VENUE} rooms, {sum(1 for s in sessions if s['id'] in used)} sessions "
              f"({SESSIONS} for the case's mediator), {len(kept)} bookings")
        return target.id


def fix_sequences(db_url: str) -> None:
    with psycopg.connect(admin_url(db_url), autocommit=True) as conn:
        conn.execute("SELECT setval('mediation_sessions_id_seq', (SELECT max(id) FROM mediation_sessions))")
        conn.execute("ANALYZE")


def time_search(engine, settings: Settings, case_id: int, runs: int, **search) -> dict:
    samples, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        with Session(engine) as session:
            case = session.get(Case, case_id)
            result = find_case_slots(session, settings, case=case, **search)
        samples.append((time.perf_counter() - started) * 1000)
        found = len(result.slots)
    samples.sort()
    return {"median": statistics.median(samples), "p95": samples[int(0.95 * (len(samples) - 1))], "found": found,
            "first": result.slots[0].start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if result.slots else None}


def main() -> None:
    parser = database_arguments(__doc__.split("\n\n")[0])
    args = parser.parse_args()
    rng = random.Random(20261123)
    db_url = recreate_database(args.url, DB_NAME)
    try:
        settings = Settings(database_url=db_url, log_json=False, _env_file=None)
        engine = make_engine(settings)
        upgrade(engine)
        case_id = seed(engine, settings, rng)
        fix_sequences(db_url)
        today = today_in_shanghai()
        first = today + timedelta(days=1)
        searches = [
            ("on-site, 60 min, 14 days (API default)", dict(mode=SessionMode.ONSITE, duration_minutes=60,
                                                            date_from=first, date_to=first + timedelta(days=14))),
            ("remote, 60 min, 14 days", dict(mode=SessionMode.REMOTE, duration_minutes=60, date_from=first,
                                             date_to=first + timedelta(days=14))),
            ("on-site, 60 min, 6 weeks, 50 slots", dict(mode=SessionMode.ONSITE, duration_minutes=60,
                                                        date_from=first, date_to=first + timedelta(days=42),
                                                        limit=50)),
            ("on-site, 120 min, 6 weeks (no slot exists)", dict(mode=SessionMode.ONSITE, duration_minutes=120,
                                                                date_from=first, date_to=first + timedelta(days=42))),
        ]
        for label, search in searches:
            time_search(engine, settings, case_id, 5, **search)  # warm the connection pool and caches
            r = time_search(engine, settings, case_id, args.runs, **search)
            print(f"slot finding, {label}: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms "
                  f"({args.runs} runs, {r['found']} slots, first {r['first']})")
        engine.dispose()
    finally:
        if not args.keep:
            drop_database(args.url, DB_NAME)


if __name__ == "__main__":
    main()
