"""The thread between a consumer and the center: the consumer writes, the mediator is texted, the officer answers,
the consumer is texted and reads it; nobody else reads it; every message is in the case's audit chain."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from mediation_svc.accounts.models import User
from mediation_svc.audit.models import AuditEntry
from mediation_svc.cases.models import Case
from mediation_svc.cases.service import assign_mediator_user, transition
from mediation_svc.cases.states import CaseStatus
from mediation_svc.db import unit_of_work
from mediation_svc.notifications.models import OutboxMessage

from .test_api import MINE, OTHER, _applicant, _prove

pytestmark = pytest.mark.db


@pytest.fixture
def world(make_case, make_user, engine):
    officer = make_user("case_officer")
    mediator = make_user("mediator", phone="13902000001")
    mine = make_case(officer=officer, applicant=_applicant(MINE))
    other = make_case(officer=officer, applicant=_applicant(OTHER, "王建国"))
    with unit_of_work(engine) as s:
        case = s.get(Case, mine.id)
        transition(s, case=case, target=CaseStatus.ACCEPTED, actor="test")
        assign_mediator_user(s, case=case, mediator=s.get(User, mediator.id), actor="test", reason=None)
    return dict(officer=officer, mediator=mediator, mine=mine, other=other)


def _sms(engine, kind):
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())


def test_a_consumer_and_the_center_talk_on_the_case(client, engine, auth, world):
    headers = _prove(client, engine, MINE)
    number = world["mine"].number
    written = client.post(f"/api/v1/self/cases/{number}/messages", headers=headers,
                          json={"text": "请问调解会在哪里进行？我腿脚不方便。"})
    assert written.status_code == 201 and written.json()["side"] == "consumer"
    assert MINE not in written.json()["author"]
    told = _sms(engine, "case.message_received")
    assert [m.recipient for m in told] == ["+8613902000001"]
    officer = auth(world["officer"])
    thread = client.get(f"/api/v1/cases/{world['mine'].id}/messages", headers=officer).json()
    assert [m["text"] for m in thread] == ["请问调解会在哪里进行？我腿脚不方便。"]
    reply = client.post(f"/api/v1/cases/{world['mine'].id}/messages", headers=officer,
                        json={"text": "可以安排视频调解，也可以在一楼无障碍调解室。"})
    assert reply.status_code == 201
    assert [m.recipient for m in _sms(engine, "case.message_reply")] == ["+86" + MINE]
    mine = client.get(f"/api/v1/self/cases/{number}/messages", headers=headers).json()
    assert [m["side"] for m in mine] == ["consumer", "center"]
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "case.message",
                                                  AuditEntry.case_id == world["mine"].id)).all()
        digests = {e.payload for e in entries}
    assert len(entries) == 2
    assert any(hashlib.sha256("可以安排视频调解，也可以在一楼无障碍调解室。".encode()).hexdigest() in p for p in digests)


def test_nobody_else_reads_or_writes_the_thread(client, engine, auth, make_user, world):
    headers = _prove(client, engine, MINE)
    other = world["other"].number
    assert client.get(f"/api/v1/self/cases/{other}/messages", headers=headers).status_code == 404
    assert client.post(f"/api/v1/self/cases/{other}/messages", headers=headers, json={"text": "hi"}).status_code == 404
    outsider = auth(make_user("mediator"))
    assert client.get(f"/api/v1/cases/{world['mine'].id}/messages", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/cases/{world['mine'].id}/messages", headers=outsider,
                       json={"text": "x"}).status_code == 404
    court = auth(make_user("court"))
    assert client.get(f"/api/v1/cases/{world['mine'].id}/messages", headers=court).status_code == 404
    mediator = auth(world["mediator"])
    assert client.post(f"/api/v1/cases/{world['mine'].id}/messages", headers=mediator,
                       json={"text": "我是本案调解员，周四上午可以吗？"}).status_code == 201


def test_an_empty_or_overlong_message_is_refused(client, engine, world):
    headers = _prove(client, engine, MINE)
    number = world["mine"].number
    assert client.post(f"/api/v1/self/cases/{number}/messages", headers=headers, json={"text": " "}).status_code == 422
    too_long = client.post(f"/api/v1/self/cases/{number}/messages", headers=headers, json={"text": "字" * 2001})
    assert too_long.status_code == 422
