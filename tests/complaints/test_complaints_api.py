"""Complaints through the API: contacts, forwarding with its deadline, scoping of institution accounts, the
institution's answer, the consumer's refusal by the SMS link, and the conversion into a mediation case."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.complaints import board, institutions, service
from mediation_svc.db import unit_of_work

from ..factories import resident_id
from .conftest import complaint_payload, outbox

SH = ZoneInfo("Asia/Shanghai")


def _file(client, auth, officer, institution_id, **overrides) -> dict:
    response = client.post("/api/v1/contacts", headers=auth(officer), json=complaint_payload(institution_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def _forward(client, auth, officer, complaint_id) -> dict:
    response = client.post(f"/api/v1/complaints/{complaint_id}/forward", headers=auth(officer), json={})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_consultation_is_recorded_and_answered_on_the_spot(client, auth, world):
    response = client.post("/api/v1/contacts", headers=auth(world.officer), json={
        "kind": "consultation", "channel": "hotline", "consumer_name": "林淑华", "topic": "定期存款提前支取如何计息",
        "answer": "提前支取部分按活期利率计息，已告知可部分提前支取。"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "consulted" and body["closed_at"] and body["number"].startswith("粤正和诉〔")
    missing = client.post("/api/v1/contacts", headers=auth(world.officer),
                          json={"kind": "consultation", "channel": "web", "consumer_name": "林淑华"})
    assert missing.status_code == 422


def test_forwarding_sets_the_15_day_limit_and_tells_the_institution(client, auth, world, db):
    complaint = _file(client, auth, world.officer, world.icbc)
    assert complaint["status"] == "received" and complaint["consumer_phone_masked"] == "138****8001"
    forwarded = _forward(client, auth, world.officer, complaint["id"])
    assert forwarded["status"] == "forwarded" and forwarded["limit_days"] == 15
    assert forwarded["deadline_state"] in ("ok", "soon")
    sms = outbox(db, "complaint_forwarded")
    assert len(sms) == 1 and sms[0].recipient == "+8613700137000" and complaint["number"] in sms[0].body


def test_a_deadline_ending_in_a_provisional_spring_festival_moves_past_it_and_warns(engine, settings, world):
    with unit_of_work(engine) as session:
        from mediation_svc.complaints.schemas import ContactIn

        officer = session.get(type(world.officer), world.officer.id)
        contact = service.record_contact(session, settings, actor=officer, data=ContactIn(**complaint_payload(world.icbc)))
        service.forward(session, settings, contact=contact, actor=officer, now=datetime(2027, 1, 22, 10, tzinfo=SH))
        # 15 days after Fri 22 Jan 2027 is Sat 6 Feb, in 春节 by rule (5-10 Feb): the limit ends Thu 11 Feb.
        assert contact.deadline_on.isoformat() == "2027-02-11"
        from mediation_svc.cases.service import workday_calendar

        read = service.to_read(contact, calendar=workday_calendar(session), settings=settings, institution_names={})
        assert read.deadline_provisional and "2027年的节假日安排国务院尚未公布" in read.deadline_warning


def test_an_institution_account_sees_only_its_own_institutions_forwarded_complaints(client, auth, world):
    icbc_complaint = _file(client, auth, world.officer, world.icbc)
    ccb_complaint = _file(client, auth, world.officer, world.ccb)
    not_forwarded = _file(client, auth, world.officer, world.icbc, consumer_name="李建华")
    for c in (icbc_complaint, ccb_complaint):
        _forward(client, auth, world.officer, c["id"])
    listed = client.get("/api/v1/complaints", headers=auth(world.icbc_staff)).json()
    assert [c["id"] for c in listed] == [icbc_complaint["id"]]
    assert client.get(f"/api/v1/complaints/{ccb_complaint['id']}", headers=auth(world.icbc_staff)).status_code == 404
    assert client.get(f"/api/v1/complaints/{not_forwarded['id']}", headers=auth(world.icbc_staff)).status_code == 404
    assert client.post(f"/api/v1/complaints/{ccb_complaint['id']}/reply", headers=auth(world.icbc_staff),
                       json={"outcome": "rejected", "text": "不属实"}).status_code == 404
    assert client.get(f"/api/v1/complaints/{ccb_complaint['id']}/messages",
                      headers=auth(world.icbc_staff)).status_code == 404
    # Institution staff cannot forward or record contacts.
    assert client.post(f"/api/v1/complaints/{icbc_complaint['id']}/forward", headers=auth(world.icbc_staff),
                       json={}).status_code == 403
    assert client.post("/api/v1/contacts", headers=auth(world.icbc_staff),
                       json=complaint_payload(world.icbc)).status_code == 403


def test_a_branch_scoped_account_sees_only_its_branch(client, auth, world, engine):
    from mediation_svc.complaints.schemas import InstitutionAccountIn

    with unit_of_work(engine) as session:
        branch_user, _ = institutions.create_institution_account(session, actor="test", data=InstitutionAccountIn(
            username="icbc.yuexiu", display_name="越秀支行", password="correct-horse-42", institution_id=world.icbc,
            branch="越秀支行"))
    tianhe = _file(client, auth, world.officer, world.icbc)
    yuexiu = _file(client, auth, world.officer, world.icbc, institution_branch="越秀支行")
    for c in (tianhe, yuexiu):
        _forward(client, auth, world.officer, c["id"])
    assert [c["id"] for c in client.get("/api/v1/complaints", headers=auth(branch_user)).json()] == [yuexiu["id"]]
    assert {c["id"] for c in client.get("/api/v1/complaints", headers=auth(world.icbc_staff)).json()} == {
        tianhe["id"], yuexiu["id"]}


def test_answer_refused_by_the_consumer_becomes_a_mediation_case_with_its_history(client, auth, world, db):
    complaint = _file(client, auth, world.officer, world.icbc)
    _forward(client, auth, world.officer, complaint["id"])
    cid = complaint["id"]
    talk = client.post(f"/api/v1/complaints/{cid}/messages", headers=auth(world.icbc_staff),
                       json={"body": "已联系客户，正在核实违约金计算。"})
    assert talk.status_code == 201 and talk.json()["side"] == "institution"
    replied = client.post(f"/api/v1/complaints/{cid}/reply", headers=auth(world.icbc_staff),
                          json={"outcome": "settled", "settled_amount": "1200.00", "text": "减免违约金1200元，其余分12期。"})
    assert replied.status_code == 200, replied.text
    assert replied.json()["status"] == "answered"
    sms = outbox(db, "complaint_answered")
    assert len(sms) == 1 and sms[0].recipient == "+8613800138001" and sms[0].confidential
    assert "已和解" in sms[0].body and "¥1,200.00" in sms[0].body
    token = re.search(r"/c/([A-Za-z0-9_-]+)", sms[0].body).group(1)
    # The officer may not offer mediation while the consumer has not said no and the deadline holds.
    early = client.post(f"/api/v1/complaints/{cid}/offer-mediation", headers=auth(world.officer), json={})
    assert early.status_code == 409 and early.json()["type"].endswith("invalid-transition")
    refused = client.post(f"/api/v1/consumer-answers/{token}", json={"accept": False, "comment": "违约金应全部减免"})
    assert refused.status_code == 200 and refused.json()["status"] == "not_accepted"
    again = client.post(f"/api/v1/consumer-answers/{token}", json={"accept": True})
    assert again.status_code == 410 and again.json()["type"].endswith("link-expired")
    assert client.post(f"/api/v1/complaints/{cid}/offer-mediation", headers=auth(world.officer),
                       json={"note": "消费者不接受"}).json()["status"] == "mediation_offered"
    no_id = client.post(f"/api/v1/complaints/{cid}/convert", headers=auth(world.officer), json={"consent": "电话确认同意调解"})
    assert no_id.status_code == 422
    converted = client.post(f"/api/v1/complaints/{cid}/convert", headers=auth(world.officer),
                            json={"consent": "电话确认同意调解", "consumer_id_number": resident_id()})
    assert converted.status_code == 201, converted.text
    case = client.get(f"/api/v1/cases/{converted.json()['case_id']}", headers=auth(world.officer)).json()
    assert case["institution_id"] == world.icbc and case["claim_amount"] == "3865.00"
    assert "【投诉处理经过】" in case["facts"] and "机构答复：已和解" in case["facts"] and "消费者不接受" in case["facts"]
    final = client.get(f"/api/v1/complaints/{cid}", headers=auth(world.officer)).json()
    assert final["status"] == "mediation" and final["case_id"] == case["id"]
    # The ICBC account now sees the case against ICBC, the CCB account does not.
    assert client.get(f"/api/v1/cases/{case['id']}", headers=auth(world.icbc_staff)).status_code == 200
    assert client.get(f"/api/v1/cases/{case['id']}", headers=auth(world.ccb_staff)).status_code == 404
    trail = [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.subject == f"complaint:{cid}")
                                       .order_by(AuditEntry.seq)).all()]
    assert trail[0] == "contact.complaint_recorded" and trail.count("complaint.status_changed") == 5


def test_accepting_the_answer_closes_the_complaint_as_settled(client, auth, world, db):
    complaint = _file(client, auth, world.officer, world.icbc)
    _forward(client, auth, world.officer, complaint["id"])
    client.post(f"/api/v1/complaints/{complaint['id']}/reply", headers=auth(world.icbc_staff),
                json={"outcome": "rejected", "text": "经核实收费符合合同约定。"})
    token = re.search(r"/c/([A-Za-z0-9_-]+)", outbox(db, "complaint_answered")[0].body).group(1)
    assert client.post(f"/api/v1/consumer-answers/{token}", json={"accept": True}).json()["status"] == "accepted"
    closed = client.get(f"/api/v1/complaints/{complaint['id']}", headers=auth(world.officer)).json()
    assert closed["closed_at"] and closed["consumer_accepted"] is True
    assert client.post("/api/v1/consumer-answers/not-a-token", json={"accept": True}).status_code == 404


def test_extensions_follow_the_regulation_and_are_recorded_with_their_reason(client, auth, world):
    complaint = _file(client, auth, world.officer, world.icbc)
    first = _forward(client, auth, world.officer, complaint["id"])
    url = f"/api/v1/complaints/{complaint['id']}/extensions"
    complex_ = client.post(url, headers=auth(world.icbc_staff), json={"kind": "complex", "reason": "需调取两年交易流水"})
    assert complex_.status_code == 201 and complex_.json()["days"] == 30
    assert complex_.json()["deadline_before"] == first["deadline_on"]
    assert client.post(url, headers=auth(world.icbc_staff), json={"kind": "complex", "reason": "再延"}).status_code == 422
    unapproved = client.post(url, headers=auth(world.icbc_staff), json={"kind": "approved", "days": 20, "reason": "涉及第三方"})
    assert unapproved.status_code == 422
    approved = client.post(url, headers=auth(world.icbc_staff),
                           json={"kind": "approved", "days": 30, "reason": "涉及第三方机构核查", "approved_by": "分行副行长 张某"})
    assert approved.status_code == 201 and approved.json()["days"] == 60
    assert client.post(url, headers=auth(world.icbc_staff),
                       json={"kind": "approved", "days": 5, "reason": "再延", "approved_by": "x"}).status_code == 422
    listed = client.get(url, headers=auth(world.officer)).json()
    assert [e["reason"] for e in listed] == ["需调取两年交易流水", "涉及第三方机构核查"]


def test_a_complaint_can_be_withdrawn_and_then_nothing_more_happens(client, auth, world):
    complaint = _file(client, auth, world.officer, world.icbc)
    _forward(client, auth, world.officer, complaint["id"])
    withdrawn = client.post(f"/api/v1/complaints/{complaint['id']}/withdraw", headers=auth(world.officer),
                            json={"reason": "消费者来电撤回投诉"})
    assert withdrawn.json()["status"] == "withdrawn"
    late = client.post(f"/api/v1/complaints/{complaint['id']}/reply", headers=auth(world.icbc_staff),
                       json={"outcome": "rejected", "text": "不予支持"})
    assert late.status_code == 409


def test_an_urgent_complaint_has_a_same_working_day_timer_until_the_institution_responds(engine, settings, world):
    from mediation_svc.cases.service import workday_calendar
    from mediation_svc.complaints.schemas import ContactIn

    with unit_of_work(engine) as session:
        officer = session.get(type(world.officer), world.officer.id)
        data = ContactIn(**complaint_payload(world.icbc, urgent=True, urgent_reason="老人情绪激动，在网点滞留",
                                             received_at="2026-12-31T16:00:00+08:00"))
        contact = service.record_contact(session, settings, actor=officer, data=data)
        assert contact.urgent_due_at == datetime(2026, 12, 31, 17, 30, tzinfo=SH)
        late = service.record_contact(session, settings, actor=officer, data=ContactIn(**{
            **data.model_dump(mode="json"), "received_at": "2026-12-31T18:00:00+08:00"}))
        # After hours on New Year's Eve: the next working day is Mon 4 Jan 2027 (元旦 by rule, then the weekend).
        assert late.urgent_due_at == datetime(2027, 1, 4, 17, 30, tzinfo=SH)
        calendar = workday_calendar(session)
        now = datetime(2026, 12, 31, 16, 30, tzinfo=SH)
        read = service.to_read(contact, calendar=calendar, settings=settings, institution_names={}, now=now)
        assert read.urgent_minutes_left == 60
        rows = board.board(session, user=officer)
        assert rows[0].id in (contact.id, late.id) and rows[0].urgent
        contact.first_response_at = now
        assert service.to_read(contact, calendar=calendar, settings=settings, institution_names={},
                               now=now).urgent_minutes_left is None


def test_attachments_are_bounded_by_size_type_and_pixels(client, auth, world, settings):
    import io

    from PIL import Image

    complaint = _file(client, auth, world.officer, world.icbc)
    _forward(client, auth, world.officer, complaint["id"])
    url = f"/api/v1/complaints/{complaint['id']}/attachments"
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    ok = client.post(url + "?filename=../../回复函.pdf", headers=auth(world.icbc_staff), content=pdf)
    assert ok.status_code == 201, ok.text
    assert ok.json()["filename"] == "回复函.pdf" and ok.json()["side"] == "institution"
    html = client.post(url + "?filename=x.pdf", headers=auth(world.icbc_staff), content=b"<html><script>")
    assert html.status_code == 415
    big = client.post(url, headers=auth(world.icbc_staff), content=b"%PDF-" + b"0" * settings.complaint_attachment_max_bytes)
    assert big.status_code == 413
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, format="PNG")  # 81 megapixels in a few kilobytes
    bomb = client.post(url, headers=auth(world.icbc_staff), content=buffer.getvalue())
    assert bomb.status_code == 413 and "pixels" in bomb.json()["detail"]
    got = client.get(f"{url}/{ok.json()['id']}", headers=auth(world.officer))
    assert got.content == pdf and got.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"{url}/{ok.json()['id']}", headers=auth(world.ccb_staff)).status_code == 404


def test_reminders_go_once_a_day_for_answers_due_soon_or_overdue(engine, settings, world, db):
    from mediation_svc.complaints.reminders import send_reminders
    from mediation_svc.complaints.schemas import ContactIn

    with unit_of_work(engine) as session:
        officer = session.get(type(world.officer), world.officer.id)
        late = service.record_contact(session, settings, actor=officer, data=ContactIn(**complaint_payload(world.icbc)))
        service.forward(session, settings, contact=late, actor=officer, now=datetime(2026, 11, 2, 10, tzinfo=SH))
        fresh = service.record_contact(session, settings, actor=officer, data=ContactIn(**complaint_payload(world.icbc)))
        service.forward(session, settings, contact=fresh, actor=officer)
    with unit_of_work(engine) as session:
        assert send_reminders(session, settings) == 1
    with unit_of_work(engine) as session:
        assert send_reminders(session, settings) == 0  # not twice the same day
    (sms,) = outbox(db, "complaint_deadline_reminder")
    assert sms.recipient == "+8613700137000" and "已超过答复期限" in sms.body and late.number in sms.body


def test_only_an_admin_opens_institution_accounts_and_odd_ids_are_plain_problems(client, auth, world, make_user):
    body = {"username": "icbc.new", "display_name": "工行新专员", "password": "correct-horse-42",
            "institution_id": world.icbc, "branch": "天河支行"}
    assert client.post("/api/v1/institution-accounts", headers=auth(world.officer), json=body).status_code == 403
    created = client.post("/api/v1/institution-accounts", headers=auth(make_user("admin")), json=body)
    assert created.status_code == 201 and created.json()["role"] == "institution"
    for url in ("/api/v1/complaints/99999999999999", "/api/v1/complaints?institution_id=99999999999999",
                "/api/v1/complaints/1/attachments/0"):
        response = client.get(url, headers=auth(world.officer))
        assert response.status_code in (404, 422) and response.headers["content-type"].startswith("application/problem")
