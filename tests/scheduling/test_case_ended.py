"""A case that ends by hand (withdrawn, mediation failed) cancels its sessions still to come: the room is free
again, no reminder goes out, and the participants are told; the API and the case page alike."""

from __future__ import annotations

from sqlmodel import select

from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.scheduling.models import MediationSession, SessionBooking

from ..web.conftest import csrf_of, login  # noqa: F401 (login is a fixture)
from .helpers import fetch, iso, workday_ahead
from .test_sessions import schedule


def _messages(engine, session_id: int) -> set[tuple[str, str]]:
    return {(m.kind, m.status) for m in fetch(engine, select(OutboxMessage).where(
        OutboxMessage.ref == f"session:{session_id}"))}


def test_withdrawing_a_case_cancels_its_coming_sessions(client, auth, world, engine):
    day = workday_ahead()
    created = schedule(client, auth, world.officer, world.case.id, starts_at=iso(day, 10), room_id=world.venue.rooms[0])
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    assert ("session.reminder_1h", "pending") in _messages(engine, session_id)

    moved = client.post(f"/api/v1/cases/{world.case.id}/transitions", headers=auth(world.officer),
                        json={"status": "withdrawn", "reason": "申请人撤回调解申请"})
    assert moved.status_code == 200 and moved.json()["status"] == "withdrawn", moved.text

    [ms] = fetch(engine, select(MediationSession).where(MediationSession.id == session_id))
    assert ms.status == "cancelled" and ms.cancel_reason == "申请人撤回调解申请"
    assert fetch(engine, select(SessionBooking).where(SessionBooking.session_id == session_id)) == []
    kinds = _messages(engine, session_id)
    assert ("session.cancelled", "pending") in kinds and ("session.reminder_1h", "cancelled") in kinds
    assert ("session.reminder_1h", "pending") not in kinds
    # the room is free for another case at the same hour
    assert schedule(client, auth, world.officer, world.make_ready_case().id, starts_at=iso(day, 10),
                    room_id=world.venue.rooms[0]).status_code == 201


def test_a_move_that_keeps_the_case_open_keeps_its_sessions(client, auth, world, engine):
    created = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(workday_ahead(), 10))
    assert created.status_code == 201, created.text
    moved = client.post(f"/api/v1/cases/{world.case.id}/transitions", headers=auth(world.officer),
                        json={"status": "in_mediation"})
    assert moved.status_code == 200, moved.text
    [ms] = fetch(engine, select(MediationSession).where(MediationSession.id == created.json()["id"]))
    assert ms.status == "scheduled"


def test_the_case_page_ending_a_case_cancels_its_sessions_too(client, auth, world, engine, login):  # noqa: F811
    created = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(workday_ahead(), 10))
    assert created.status_code == 201, created.text
    login(world.officer)
    page = client.get(f"/cases/{world.case.id}")
    r = client.post(f"/cases/{world.case.id}/transition", follow_redirects=False,
                    data={"csrf_token": csrf_of(page.text), "status": "mediation_failed", "reason": "双方分歧过大"})
    assert r.status_code == 303, r.text
    [ms] = fetch(engine, select(MediationSession).where(MediationSession.id == created.json()["id"]))
    assert ms.status == "cancelled" and ms.cancel_reason == "双方分歧过大"


def test_a_session_under_way_when_the_case_ends_can_no_longer_be_moved(client, auth, world, engine):
    from datetime import timedelta

    from mediation_svc.db import unit_of_work, utcnow

    created = schedule(client, auth, world.officer, world.case.id, mode="remote", starts_at=iso(workday_ahead(), 10))
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    with unit_of_work(engine) as s:  # the session has begun: ending the case leaves it as it is
        ms = s.get(MediationSession, session_id)
        ms.starts_at, ms.ends_at = utcnow() - timedelta(minutes=10), utcnow() + timedelta(minutes=50)
        s.add(ms)
    moved = client.post(f"/api/v1/cases/{world.case.id}/transitions", headers=auth(world.officer),
                        json={"status": "withdrawn", "reason": "申请人当场撤回"})
    assert moved.status_code == 200, moved.text
    [ms] = fetch(engine, select(MediationSession).where(MediationSession.id == session_id))
    assert ms.status == "scheduled"
    r = client.post(f"/api/v1/sessions/{session_id}/reschedule", headers=auth(world.officer),
                    json={"starts_at": iso(workday_ahead(weeks=2), 10), "reason": "改期"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["type"] == "urn:mediation-svc:problem:invalid-transition" and "withdrawn" in r.json()["detail"]
    [ms] = fetch(engine, select(MediationSession).where(MediationSession.id == session_id))
    assert ms.status == "scheduled" and ms.starts_at < utcnow()
