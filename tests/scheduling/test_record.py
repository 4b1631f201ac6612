"""The session record (调解笔录): attendance, minutes and outcome, confirmed by the mediator."""

from __future__ import annotations

from datetime import timedelta

import pytest

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


@pytest.mark.postgresql_only
def test_two_confirmations_of_one_record_at_once_make_one_document(client, auth, world, engine, settings):
    """A double click on 确认笔录: the second waits for the case the first holds, then finds the record confirmed
    (409). Before, it read the record unconfirmed and issued a second final 调解笔录 for the same session."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    from mediation_svc.accounts.models import User
    from mediation_svc.documents.models import Document
    from mediation_svc.scheduling import record_document, records
    from tests.reliability.test_lock_order import wait_for_a_lock_wait

    day = workday_ahead()
    created = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                          json={"mode": "remote", "starts_at": iso(day, 10), "duration_minutes": 60}).json()
    with unit_of_work(engine) as db:
        ms = db.get(MediationSession, created["id"])
        ms.starts_at, ms.ends_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
        db.add(ms)
    body = {"minutes": "双方同意补充病历后再行协商。", "outcome": "adjourned",
            "attendance": [{"participant_id": p["id"], "attendance": "present"} for p in created["participants"]]}
    assert client.put(f"/api/v1/sessions/{created['id']}/record", json=body,
                      headers=auth(world.mediator)).status_code == 200
    documents_before = len(fetch(engine, select(Document)))
    confirm = f"/api/v1/sessions/{created['id']}/record/confirm"
    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as db:  # the first click, as the route makes it, not yet committed
            db.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": world.case.id})
            ms, case, mediator = (db.get(MediationSession, created["id"]), db.get(Case, world.case.id),
                                  db.get(User, world.mediator.id))
            rec = records.confirm_record(db, ms=ms, case=case, actor=mediator)
            record_document.issue(db, settings, ms=ms, case=case, rec=rec, actor=mediator)
            db.flush()
            second = pool.submit(client.post, confirm, headers=auth(world.mediator))
            wait_for_a_lock_wait(engine)
        response = second.result(timeout=120)
    assert response.status_code == 409, response.text
    assert len(fetch(engine, select(Document))) == documents_before + 1
