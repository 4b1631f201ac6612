"""Benchmark: slot finding for a case whose mediator has many sessions, with 200 and 2,000 rooms (PostgreSQL).

For each room count it creates a dedicated database (dropped at the end unless --keep), migrates it, and seeds
through the services a case with its mediator, venues of 10 rooms each (capacities 4 to 20) and the centre's
other mediators. The mediator's sessions (2,000 by default: four a working day, from a year back) and three
bookings a working day of every room by other mediators over the next six weeks are bulk-inserted with their
bookings, like the rows ``schedule_session`` writes. Then it times ``scheduling.service.find_case_slots``, the
function ``GET /api/v1/cases/{id}/session-slots`` calls (every query it makes and the interval arithmetic), in a
fresh database session per call as a request would, the room counts interleaved (A B B A ...), for the API's
default 14-day on-site search, a remote search, a 6-week on-site search and one that finds nothing (the
mediator has no 120-minute gap). Beside each median: this process's CPU and the CPU its PostgreSQL backend
spent per search (what a loaded machine's waiting does not inflate).

    .venv/bin/python bench/scheduling.py [--rooms 200,2000] [--sessions 2000] [--runs 60] [--keep] [--reuse]
                                         [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Goal (issue 19): median under 100 ms for the 14-day on-site search with 2,000 rooms.
"""

from __future__ import annotations

import random
import sys
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from _common import interleave, load_text, summary_line  # noqa: E402
from _postgres import admin_url, database_arguments, database_exists, drop_database, recreate_database  # noqa: E402
from _server import CpuMeter, database_backends  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
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
from mediation_svc.scheduling.resources import create_room, create_venue  # noqa: E402
from mediation_svc.scheduling.service import find_case_slots  # noqa: E402
from mediation_svc.security.passwords import use_profile  # noqa: E402
from mediation_svc.timeutil import SHANGHAI, today_in_shanghai  # noqa: E402
from tests.factories import intake_payload  # noqa: E402

ROOMS_PER_VENUE = 10
GOAL_MS = 100.0  # the 14-day on-site search with 2,000 rooms (issue 19)
OTHER_MEDIATORS = 30
STARTS = (clock(9, 0), clock(10, 30), clock(13, 30), clock(15, 0))  # the mediator's four sessions a day
ROOM_STARTS = (clock(9, 0), clock(13, 30), clock(15, 30))


def local(day: date, at: clock) -> datetime:
    return datetime.combine(day, at, SHANGHAI).astimezone(timezone.utc)


def seed(engine, settings: Settings, rng: random.Random, *, rooms_wanted: int, sessions_wanted: int) -> int:
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
        for v in range(max(rooms_wanted // ROOMS_PER_VENUE, 1)):
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
        while len(days) * len(STARTS) < sessions_wanted:
            if calendar.is_workday(day) and day != today_in_shanghai():
                days.append(day)
            day += timedelta(days=1)
        sessions, bookings = [], []
        next_id = 1
        for day in days:
            for at in STARTS:
                if next_id > sessions_wanted:
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
        print(f"seeded {len(rooms)} rooms, {sum(1 for s in sessions if s['id'] in used)} sessions "
              f"({sessions_wanted} for the case's mediator), {len(kept)} bookings", flush=True)
        return target.id


def fix_sequences(db_url: str) -> None:
    with psycopg.connect(admin_url(db_url), autocommit=True) as conn:
        conn.execute("SELECT setval('mediation_sessions_id_seq', (SELECT max(id) FROM mediation_sessions))")
        conn.execute("ANALYZE")


def searches(first: date) -> list[tuple[str, dict]]:
    return [
        ("on-site, 60 min, 14 days (API default)", dict(mode=SessionMode.ONSITE, duration_minutes=60,
                                                        date_from=first, date_to=first + timedelta(days=14))),
        ("remote, 60 min, 14 days", dict(mode=SessionMode.REMOTE, duration_minutes=60, date_from=first,
                                         date_to=first + timedelta(days=14))),
        ("on-site, 60 min, 6 weeks, 50 slots", dict(mode=SessionMode.ONSITE, duration_minutes=60, date_from=first,
                                                    date_to=first + timedelta(days=42), limit=50)),
        ("on-site, 120 min, 6 weeks (no slot exists)", dict(mode=SessionMode.ONSITE, duration_minutes=120,
                                                            date_from=first, date_to=first + timedelta(days=42))),
    ]


def searcher(engine, settings: Settings, case_id: int, found: list, search: dict):
    """One search per call, in a fresh database session as a request would; the slots found are kept."""
    def call():
        with Session(engine) as session:
            result = find_case_slots(session, settings, case=session.get(Case, case_id), **search)
        found[:] = result.slots
    return call


@dataclass(frozen=True)
class World:
    rooms: int
    url: str
    engine: object
    case_id: int

    @property
    def label(self) -> str:
        return f"{self.rooms} rooms"


def build(args, settings_for, rooms: int, rng: random.Random) -> World:
    name = f"mediation_bench_sched_{rooms}_{args.sessions}"
    db_url = make_url(args.url).set(database=name).render_as_string(hide_password=False)
    reuse = args.reuse and database_exists(args.url, name)
    if not reuse:
        db_url = recreate_database(args.url, name)
    settings = settings_for(db_url)
    engine = make_engine(settings)
    upgrade(engine)
    if reuse:  # the case searched for is the first one seed() made
        with engine.connect() as conn:
            case_id = conn.execute(text("SELECT min(id) FROM cases")).scalar_one()
    else:
        case_id = seed(engine, settings, rng, rooms_wanted=rooms, sessions_wanted=args.sessions)
    fix_sequences(db_url)
    return World(rooms, db_url, engine, case_id)


def first_slot(slots) -> str:
    return slots[0].start.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if slots else "none"


def main() -> None:
    parser = database_arguments(__doc__.split("\n\n")[0])
    parser.set_defaults(runs=60)
    parser.add_argument("--rooms", default="200,2000", help="room counts, comma-separated (each its own database)")
    parser.add_argument("--sessions", type=int, default=2_000, help="the case's mediator's own sessions")
    parser.add_argument("--reuse", action="store_true", help="use the databases a --keep run left, where they exist")
    args = parser.parse_args()
    rng = random.Random(20261123)

    def settings_for(db_url: str) -> Settings:
        return Settings(database_url=db_url, log_json=False, _env_file=None)

    worlds: list[World] = []
    try:
        for rooms in (int(r) for r in args.rooms.split(",")):
            worlds.append(build(args, settings_for, rooms, rng))
        first = today_in_shanghai() + timedelta(days=1)
        print(f"{args.runs} runs per search and size, the sizes interleaved (A B B A ...); {load_text()}")
        for label, search in searches(first):
            found = {w.label: [] for w in worlds}
            calls = {w.label: searcher(w.engine, settings_for(w.url), w.case_id, found[w.label], search) for w in worlds}
            for call in calls.values():  # warm-up (the pools' connections open), then their backends' CPU counted
                call()
            meters = {w.label: CpuMeter(database_backends(args.url, make_url(w.url).database)) for w in worlds}
            for meter in meters.values():
                meter.start()
            results = interleave(calls, runs=args.runs, warmup=2)
            for w in worlds:
                r, db = results[w.label], meters[w.label].stop() * 1000 / (args.runs + 2)
                print(f"slot finding, {label}, {w.label}, {args.sessions} sessions of the mediator: median "
                      f"{r.median:.1f} ms, p95 {r.p95:.1f} ms, CPU {r.cpu_median:.1f} ms + PostgreSQL {db:.1f} ms "
                      f"({len(found[w.label])} slots, first {first_slot(found[w.label])})")
                goal = label.endswith("(API default)") and w.rooms == 2000
                print(summary_line(f"slot search {label}, {w.label}", r, goal="< 100 ms" if goal else "",
                                   met=(r.median < GOAL_MS) if goal else None))
        print(load_text())
    finally:
        for w in worlds:
            w.engine.dispose()
            if not args.keep:
                drop_database(args.url, make_url(w.url).database)


if __name__ == "__main__":
    main()
