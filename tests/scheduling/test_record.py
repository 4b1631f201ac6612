"""The session record (调解笔录): attendance, minutes and outcome, confirmed by the mediator."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from mediation_svc.audit.chain import case_trail
from mediation_svc.cases.models import Case
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.scheduling.models import MediationSession

from .helpers import fetch, iso, workday_ahead


def test_record_written_after_the_session_and_confirmed_by_the_mediator(client, auth, world, engine, make_user):
    day = workday_ahead()
    created = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                          json={"mode": "remote", "starts_at": iso(day, 10), "duration_minutes": 60}).json()
    url = f"/api/v1/sessions/{created['id']}/record"
    people = {p["role"]: p["id"] for p in created["participants"]}
    body = {"minutes": "申请人陈述理赔经过；被申请人说明拒赔依据；双方同意补充病历后再行协商。", "outcome": "adjourned",
            "attendance": [{"participant_id": people["mediator"], "attendance": "present"},
                           {"participant_id": people["applicant"], "attendance": "remote"}]}
    early = client.put(url, json=body, headers=auth(world.mediator))
    assert early.status_code == 409  # not started yet

    with unit_of_work(engine) as db:  # the session has now taken place
        ms = db.get(MediationSession, created["id"])
        ms.starts_at, ms.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
        db.add(ms)
    assert client.put(url, json=body, headers=auth(make_user("party"))).status_code == 403
    assert client.put(url, json=body, headers=auth(world.other_mediator)).status_code == 404
    saved = client.put(url, json=body, headers=auth(world.mediator))
    assert saved.status_code == 200, saved.text
    assert saved.json()["confirmed_at"] is None

    confirm = f"/api/v1/sessions/{created['id']}/record/confirm"
    assert client.post(confirm, headers=auth(world.officer)).status_code == 403  # the mediator's to confirm
    incomplete = client.post(confirm, headers=auth(world.mediator))
    assert incomplete.status_code == 422 and "attendance" in incomplete.text  # the respondent's is missing
    body["attendance"].append({"participant_id": people["respondent"], "attendance": "absent"})
    assert client.put(url, json=body, headers=auth(world.mediator)).status_code == 200
    done = client.post(confirm, headers=auth(world.mediator))
    assert done.status_code == 200 and done.json()["confirmed_by_user_id"] == world.mediator.id
    attendance = {p["role"]: p["attendance"] for p in done.json()["attendance"]}
    assert attendance == {"mediator": "present", "applicant": "remote", "respondent": "absent"}

    session_now = client.get(f"/api/v1/sessions/{created['id']}", headers=auth(world.officer)).json()
    assert session_now["status"] == "held"
    assert client.put(url, json=body, headers=auth(world.mediator)).status_code == 409  # fixed once confirmed
    with Session(engine) as db:
        assert db.get(Case, world.case.id).status == "in_mediation"  # the first held session starts mediation
        assert {"session.record_saved", "session.record_confirmed"} <= {e.action for e in case_trail(db, world.case.id)}
    pending = fetch(engine, select(OutboxMessage).where(OutboxMessage.ref == f"session:{created['id']}",
                                                        OutboxMessage.status == "pending"))
    assert pending == []  # no reminders for a session that has been held
    history = client.get(f"/api/v1/sessions/{created['id']}/history", headers=auth(world.officer)).json()
    assert [h["kind"] for h in history] == ["created", "held"]
