"""An officer checks a consumer's own application: accept (forwarded, or a mediation case), ask for more (the
consumer reads the question, answers, and it is back), reject (the consumer reads why)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from mediation_svc.cases.models import Case
from mediation_svc.complaints.models import Contact
from mediation_svc.notifications.models import OutboxMessage

from .test_api import MINE, _prove
from .test_applications import application, icbc  # noqa: F401 - the fixture

pytestmark = pytest.mark.db


def _file(client, engine, institution: int, **overrides):
    headers = _prove(client, engine, MINE)
    answer = client.post("/api/v1/self/applications", json=application(institution, **overrides), headers=headers)
    assert answer.status_code == 201, answer.text
    with Session(engine) as s:
        contact_id = s.exec(select(Contact.id).where(Contact.number == answer.json()["number"])).one()
    return headers, answer.json()["number"], contact_id


def _sms(engine, kind: str = "selfservice.reviewed") -> list[str]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage.body).where(OutboxMessage.kind == kind)).all())


def _mine(client, headers, number):
    return next(c for c in client.get("/api/v1/self/matters", headers=headers).json()["complaints"]
                if c["number"] == number)


def test_ask_for_more_then_the_consumers_answer_brings_it_back(client, engine, auth, make_user, icbc):  # noqa: F811
    headers, number, contact_id = _file(client, engine, icbc)
    officer = auth(make_user("case_officer"))
    asked = client.post(f"/api/v1/complaints/{contact_id}/review", headers=officer,
                        json={"decision": "ask", "text": "请上传理财产品合同的照片"})
    assert asked.status_code == 200 and asked.json()["complaint"]["status"] == "needs_info"
    assert any("请上传理财产品合同的照片" in body for body in _sms(engine))
    mine = _mine(client, headers, number)
    assert mine["status_text"] == "需要您补充材料" and mine["reason"] == "请上传理财产品合同的照片"
    answered = client.post(f"/api/v1/self/complaints/{number}/supplement", headers=headers,
                           json={"text": "合同编号 LC-2025-0098，照片已交网点。"})
    assert answered.status_code == 200 and answered.json()["status"] == "received"
    with Session(engine) as s:
        contact = s.get(Contact, contact_id)
        assert "LC-2025-0098" in (contact.facts or "") and "请上传理财产品合同的照片" in (contact.facts or "")
    again = client.post(f"/api/v1/self/complaints/{number}/supplement", headers=headers, json={"text": "再补充"})
    assert again.status_code == 409


def test_reject_tells_the_consumer_why(client, engine, auth, make_user, icbc):  # noqa: F811
    headers, number, contact_id = _file(client, engine, icbc)
    officer = auth(make_user("case_officer"))
    missing = client.post(f"/api/v1/complaints/{contact_id}/review", headers=officer, json={"decision": "reject"})
    assert missing.status_code == 422
    done = client.post(f"/api/v1/complaints/{contact_id}/review", headers=officer,
                       json={"decision": "reject", "text": "该纠纷已由法院受理，本中心不再受理。"})
    assert done.status_code == 200 and done.json()["complaint"]["status"] == "closed"
    assert _mine(client, headers, number)["reason"] == "该纠纷已由法院受理，本中心不再受理。"
    assert any("已由法院受理" in body for body in _sms(engine))


def test_accepting_a_mediation_application_opens_the_case_the_consumer_then_sees(client, engine, auth, make_user,
                                                                                icbc):  # noqa: F811
    headers, number, contact_id = _file(client, engine, icbc, category_code="wealth_management")
    officer = auth(make_user("case_officer"))
    done = client.post(f"/api/v1/complaints/{contact_id}/review", headers=officer, json={"decision": "accept"})
    assert done.status_code == 200, done.text
    case_number = done.json()["case_number"]
    assert case_number and done.json()["complaint"]["status"] == "mediation"
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.number == case_number)).one()
        assert case.channel == "web"
    matters = client.get("/api/v1/self/matters", headers=headers).json()
    assert case_number in [c["number"] for c in matters["cases"]]
    assert any(case_number in body for body in _sms(engine))


def test_accepting_a_complaint_forwards_it(client, engine, auth, make_user, icbc):  # noqa: F811
    headers, number, contact_id = _file(client, engine, icbc, wants_mediation=False)
    officer = auth(make_user("case_officer"))
    done = client.post(f"/api/v1/complaints/{contact_id}/review", headers=officer, json={"decision": "accept"})
    assert done.status_code == 200 and done.json()["complaint"]["status"] == "forwarded"
    assert _mine(client, headers, number)["status_text"] == "已转交被投诉机构处理"


def test_an_officers_own_intake_is_not_reviewed_this_way_and_parties_may_not_review(client, engine, auth, make_user,
                                                                                   icbc):  # noqa: F811
    officer = auth(make_user("case_officer"))
    recorded = client.post("/api/v1/contacts", headers=officer, json={
        "kind": "complaint", "channel": "hotline", "consumer_name": "黄志伟", "consumer_phone": "13800138001",
        "institution_id": icbc, "facts": "信用卡违约金。", "request": "减免"})
    assert recorded.status_code == 201, recorded.text
    refused = client.post(f"/api/v1/complaints/{recorded.json()['id']}/review", headers=officer,
                          json={"decision": "accept"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("not-a-consumer-filing")
    _, _, contact_id = _file(client, engine, icbc)
    party = auth(make_user("party"))
    assert client.post(f"/api/v1/complaints/{contact_id}/review", headers=party,
                       json={"decision": "accept"}).status_code in (403, 404)


def test_the_applications_evidence_becomes_the_cases_and_a_waiting_one_stays_on_the_board(client, engine, auth,
                                                                                         make_user, icbc):  # noqa: F811
    import io

    from PIL import Image

    from mediation_svc.complaints.attachments import add_from_consumer
    from mediation_svc.config import Settings
    from mediation_svc.db import unit_of_work
    from mediation_svc.evidence.models import EvidenceItem

    headers, number, contact_id = _file(client, engine, icbc, category_code="wealth_management")
    photo = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(photo, "JPEG")
    with unit_of_work(engine) as s:
        attachment = add_from_consumer(s, Settings(_env_file=None), contact=s.get(Contact, contact_id),
                                       actor="consumer:138****8000", filename="合同.jpg", data=photo.getvalue())
        sha = attachment.sha256
    officer = auth(make_user("case_officer"))
    done = client.post(f"/api/v1/complaints/{contact_id}/review", headers=officer, json={"decision": "accept"})
    case_id = done.json()["case_id"]
    with Session(engine) as s:
        items = s.exec(select(EvidenceItem).where(EvidenceItem.case_id == case_id)).all()
    assert [(i.sha256, i.side, i.filename) for i in items] == [(sha, "consumer", "合同.jpg")]
    other_number = client.post("/api/v1/self/applications", json=application(icbc), headers=headers).json()["number"]
    with Session(engine) as s:
        other_id = s.exec(select(Contact.id).where(Contact.number == other_number)).one()
    client.post(f"/api/v1/complaints/{other_id}/review", headers=officer, json={"decision": "ask", "text": "补充"})
    board = client.get("/api/v1/complaints", headers=officer).json()
    assert other_number in [c["number"] for c in board]


@pytest.mark.postgresql_only
def test_the_consumers_answer_while_an_officer_declines_the_application(client, engine, auth, make_user,
                                                                       icbc):  # noqa: F811
    """The answer waits for the officer's decision on the same application, then is refused (before, it read the
    application still waiting for the answer and put the declined application back in the officers' queue)."""
    from concurrent.futures import ThreadPoolExecutor

    from mediation_svc.complaints import review
    from mediation_svc.config import get_settings
    from mediation_svc.db import unit_of_work
    from tests.reliability.test_lock_order import wait_for_a_lock_wait

    headers, number, contact_id = _file(client, engine, icbc)
    officer = make_user("case_officer")
    asked = client.post(f"/api/v1/complaints/{contact_id}/review", headers=auth(officer),
                        json={"decision": "ask", "text": "请上传理财产品合同的照片"})
    assert asked.status_code == 200, asked.text
    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:  # the officer declines it, not yet committed
            contact = session.exec(select(Contact).where(Contact.id == contact_id).with_for_update()).one()
            review.reject(session, get_settings(), contact=contact, actor=session.get(type(officer), officer.id),
                          reason="该纠纷已由法院受理，本中心不再受理。")
            session.flush()
            answer = pool.submit(client.post, f"/api/v1/self/complaints/{number}/supplement", headers=headers,
                                 json={"text": "合同编号 LC-2025-0098。"})
            wait_for_a_lock_wait(engine)
        response = answer.result(timeout=120)
    assert response.status_code == 409, response.text
    with Session(engine) as s:
        contact = s.get(Contact, contact_id)
        assert contact.status == "closed" and "LC-2025-0098" not in (contact.facts or "")
