"""Two requests for the same slot at the same moment: exactly one wins."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from mediation_svc.accounts.models import User
from mediation_svc.cases.models import Case
from mediation_svc.db import unit_of_work
from mediation_svc.scheduling.models import MediationSession, SessionBooking
from mediation_svc.scheduling.schemas import SessionCreate
from mediation_svc.scheduling.service import SchedulingConflict, schedule_session

from .helpers import at, fetch, make_venue, run_together, workday_ahead


def _request(day, room_id):
    return SessionCreate(mode="onsite", starts_at=at(day, 10), duration_minutes=60, room_id=room_id)


def test_two_simultaneous_requests_for_one_slot(engine, settings, world):
    """Both requests run at once (a barrier releases them together); one is booked, the other gets the 409."""
    day = workday_ahead()
    cases = [world.case.id, world.make_ready_case().id]

    def attempt(index: int) -> int:
        with unit_of_work(engine) as session:
            return schedule_session(session, settings, case=session.get(Case, cases[index]),
                                    data=_request(day, world.venue.rooms[0]),
                                    actor=session.get(User, world.officer.id)).id

    outcomes = run_together(2, attempt)
    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, SchedulingConflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert {c["session_id"] for c in losers[0].extensions["conflicts"]} == {winners[0]}
    assert len(fetch(engine, select(MediationSession))) == 1
    assert {b.session_id for b in fetch(engine, select(SessionBooking))} == {winners[0]}


@pytest.mark.postgresql_only
def test_database_refuses_the_overlap_even_when_the_check_before_insert_passed(engine, settings, world):
    """The race the check cannot see: another writer has booked the room but not committed yet (a raw insert,
    so it does not queue on the service's advisory lock). The second request's check sees nothing, its insert
    waits on the exclusion constraint, and when the first commits it fails; the service answers the same 409,
    naming the first session."""
    day = workday_ahead()
    room = world.venue.rooms[0]
    first = Session(engine, expire_on_commit=False)
    ms = MediationSession(case_id=world.case.id, uid="first@test", mode="onsite", starts_at=at(day, 10),
                          ends_at=at(day, 11), room_id=room)
    first.add(ms)
    first.flush()
    first.add(SessionBooking(session_id=ms.id, resource=f"room:{room}", starts_at=at(day, 10), ends_at=at(day, 11)))
    first.flush()  # the row exists, uncommitted
    second_case = world.make_ready_case(world.other_mediator)
    result: dict[str, object] = {}

    def second() -> None:
        try:
            with unit_of_work(engine) as session:
                result["id"] = schedule_session(session, settings, case=session.get(Case, second_case.id),
                                                data=_request(day, room), actor=session.get(User, world.officer.id)).id
        except SchedulingConflict as exc:
            result["conflict"] = exc
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    waiting = 0
    with engine.connect() as probe:  # wait until the second transaction is blocked on the uncommitted row
        for _ in range(200):
            waiting = probe.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                         "AND datname = current_database()")).scalar_one()
            if waiting:
                break
            time.sleep(0.05)
    first.commit()
    first.close()
    thread.join(60)
    assert waiting, "the second request was expected to wait on the first one's booking"
    assert "error" not in result and "id" not in result, result
    conflict = result["conflict"]
    assert conflict.status == 409 and conflict.slug == "scheduling-conflict"
    assert [(c["session_id"], c["resource"]) for c in conflict.extensions["conflicts"]] == [(ms.id, f"room:{room}")]
    assert {b.session_id for b in fetch(engine, select(SessionBooking))} == {ms.id}


@pytest.mark.postgresql_only
def test_exclusion_constraint_itself(engine, world):
    """Even a write that skips the service cannot overlap two bookings of one resource."""
    from sqlalchemy.exc import IntegrityError

    day = workday_ahead()
    with unit_of_work(engine) as session:
        ms = MediationSession(case_id=world.case.id, uid="x@test", mode="remote", starts_at=at(day, 10),
                              ends_at=at(day, 11))
        session.add(ms)
        session.flush()
        session.add(SessionBooking(session_id=ms.id, resource="room:1", starts_at=at(day, 10), ends_at=at(day, 11)))
    with pytest.raises(IntegrityError) as info:
        with unit_of_work(engine) as session:
            session.add(SessionBooking(session_id=ms.id, resource="room:1", starts_at=at(day, 10, 59),
                                       ends_at=at(day, 12)))
    assert getattr(info.value.orig, "sqlstate", None) == "23P01"
    # Touching ranges are fine: [10, 11) and [11, 12).
    with unit_of_work(engine) as session:
        session.add(SessionBooking(session_id=ms.id, resource="room:1", starts_at=at(day, 11),
                                   ends_at=at(day, 11) + timedelta(hours=1)))


def test_four_simultaneous_requests_for_one_mediator(engine, settings, world):
    """Four officers book the same mediator at the same moment, each for another case and room, on separate
    connections released together by a barrier: exactly one booking exists afterwards, the rest are 409s."""
    from mediation_svc.scheduling.models import SessionMode

    day = workday_ahead()
    extra_rooms = make_venue(engine, rooms=2, name="深圳调解室").rooms
    rooms = [*world.venue.rooms, *extra_rooms]
    cases = [world.case.id, *(world.make_ready_case().id for _ in range(3))]

    def attempt(index: int) -> int:
        with unit_of_work(engine) as session:
            return schedule_session(
                session, settings, case=session.get(Case, cases[index]),
                data=SessionCreate(mode=SessionMode.ONSITE, starts_at=at(day, 9, 30 if index % 2 else 0),
                                   duration_minutes=60, room_id=rooms[index]),
                actor=session.get(User, world.officer.id)).id

    outcomes = run_together(4, attempt)
    winners = [o for o in outcomes if isinstance(o, int)]
    assert len(winners) == 1 and all(isinstance(o, (int, SchedulingConflict)) for o in outcomes), outcomes
    for loser in (o for o in outcomes if isinstance(o, SchedulingConflict)):
        assert {c["session_id"] for c in loser.extensions["conflicts"]} == set(winners)
        assert {c["resource"] for c in loser.extensions["conflicts"]} >= {f"user:{world.mediator.id}"}
    mediator_bookings = fetch(engine, select(SessionBooking).where(
        SessionBooking.resource == f"user:{world.mediator.id}"))
    assert [b.session_id for b in mediator_bookings] == winners


@pytest.mark.postgresql_only
def test_a_session_asked_for_while_the_case_ends_is_not_booked(client, auth, engine, world):
    """Ending a case cancels its sessions to come under the case's lock; a session asked for at that moment
    waits for the lock and is then refused (before, it read the case still open and was booked for an ended
    case: room held, notices and reminders sent, nothing to cancel it later)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.reliability.test_lock_order import wait_for_a_lock_wait

    day = workday_ahead()
    body = {"mode": "remote", "starts_at": at(day, 10).isoformat(), "duration_minutes": 60}
    with engine.connect() as ending, ThreadPoolExecutor(max_workers=1) as pool:
        ending.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": world.case.id})
        ending.execute(text("UPDATE cases SET status = 'withdrawn' WHERE id = :id"), {"id": world.case.id})
        asked = pool.submit(client.post, f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                            json=body)
        wait_for_a_lock_wait(engine)
        ending.commit()
        response = asked.result(timeout=120)
    assert response.status_code == 409 and response.json()["type"].endswith("invalid-transition"), response.text
    assert fetch(engine, select(MediationSession).where(MediationSession.case_id == world.case.id)) == []


@pytest.mark.postgresql_only
def test_a_session_moved_while_it_is_cancelled_stays_cancelled(client, auth, engine, world):
    """The reschedule waits for the case a cancellation holds, then finds the session cancelled (before, it
    moved the cancelled session back to 'rescheduled', booked it again and sent "moved" notices)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.reliability.test_lock_order import wait_for_a_lock_wait

    day = workday_ahead()
    created = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                          json={"mode": "remote", "starts_at": at(day, 10).isoformat(), "duration_minutes": 60})
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    with engine.connect() as cancelling, ThreadPoolExecutor(max_workers=1) as pool:
        cancelling.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": world.case.id})
        cancelling.execute(text("UPDATE mediation_sessions SET status = 'cancelled', sequence = sequence + 1 "
                                "WHERE id = :id"), {"id": session_id})
        cancelling.execute(text("DELETE FROM session_bookings WHERE session_id = :id"), {"id": session_id})
        moving = pool.submit(client.post, f"/api/v1/sessions/{session_id}/reschedule", headers=auth(world.officer),
                             json={"starts_at": at(day, 14).isoformat(), "duration_minutes": 60,
                                   "reason": "申请人下午方便"})
        wait_for_a_lock_wait(engine)
        cancelling.commit()
        response = moving.result(timeout=120)
    assert response.status_code == 409, response.text
    with Session(engine) as s:
        assert s.get(MediationSession, session_id).status == "cancelled"
    assert fetch(engine, select(SessionBooking).where(SessionBooking.session_id == session_id)) == []
