"""The session notice (调解通知书) as a PDF, rendered by the documents domain's template."""

from __future__ import annotations

import subprocess

from sqlmodel import Session, select

from mediation_svc.cases.models import Case, CaseParty
from mediation_svc.cases.service import link_party_user
from mediation_svc.db import unit_of_work
from mediation_svc.documents.models import Document
from mediation_svc.documents.service import find_by_code
from mediation_svc.scheduling.models import SessionNotice

from .helpers import fetch, iso, workday_ahead


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_notice_pdf_names_the_case_the_party_and_the_local_time(client, auth, world, engine, make_user):
    day = workday_ahead()
    r = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                    json={"mode": "onsite", "starts_at": iso(day, 9, 30), "duration_minutes": 120,
                          "room_id": world.venue.rooms[0]})
    assert r.status_code == 201, r.text
    session_id = r.json()["id"]

    # The consumer's own copy is addressed to her.
    consumer = make_user("party", display_name="陈秀兰")
    with unit_of_work(engine) as db:
        party = db.exec(select(CaseParty).where(CaseParty.case_id == world.case.id,
                                                CaseParty.role == "applicant")).one()
        link_party_user(db, case=db.get(Case, world.case.id), party_id=party.id, user=db.get(type(consumer), consumer.id),
                        actor="test")
    notice = client.get(f"/api/v1/sessions/{session_id}/notice.pdf", headers=auth(consumer))
    assert notice.status_code == 200, notice.text
    assert notice.headers["content-type"] == "application/pdf" and notice.content.startswith(b"%PDF")
    text = pdf_text(notice.content)
    flat = "".join(text.split())
    assert "调解通知书" in flat and world.case.number in flat
    assert "陈秀兰：" in flat
    assert f"{day.year}年{day.month}月{day.day}日09:30至11:30（北京时间）" in flat  # Asia/Shanghai, not UTC
    assert "301室" in flat and "王敏" in flat

    # Issued once and kept: the same bytes again, a verification code that resolves to it.
    assert client.get(f"/api/v1/sessions/{session_id}/notice.pdf", headers=auth(consumer)).content == notice.content
    document_id = notice.headers["x-document-id"]
    (document,) = fetch(engine, select(Document).where(Document.id == document_id))
    assert document.kind == "session_notice" and document.case_id == world.case.id
    assert document.verification_code in flat.replace("-", "")  # printed on the page, grouped
    with Session(engine) as db:
        assert find_by_code(db, document.verification_code).id == document_id

    # Staff get the copy addressed to every party; a moved session gets a new notice.
    staff = pdf_text(client.get(f"/api/v1/sessions/{session_id}/notice.pdf", headers=auth(world.officer)).content)
    assert "各方当事人：" in "".join(staff.split())
    client.post(f"/api/v1/sessions/{session_id}/reschedule", headers=auth(world.officer),
                json={"starts_at": iso(day, 14), "reason": "会议室检修"})
    moved = pdf_text(client.get(f"/api/v1/sessions/{session_id}/notice.pdf", headers=auth(consumer)).content)
    assert f"{day.month}月{day.day}日14:00至16:00" in "".join(moved.split())
    assert len(fetch(engine, select(SessionNotice).where(SessionNotice.session_id == session_id))) == 3
    # Someone unrelated to the case does not get it.
    assert client.get(f"/api/v1/sessions/{session_id}/notice.pdf",
                      headers=auth(world.other_mediator)).status_code == 404


def test_remote_notice_carries_the_meeting_link(client, auth, world):
    day = workday_ahead()
    created = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                          json={"mode": "remote", "starts_at": iso(day, 15), "duration_minutes": 60}).json()
    r = client.get(f"/api/v1/sessions/{created['id']}/notice.pdf", headers=auth(world.mediator))
    assert r.status_code == 200, r.text
    flat = "".join(pdf_text(r.content).split())
    assert "线上视频调解" in flat and "tjhy-" in flat


def test_a_party_reading_english_gets_the_english_notice(client, auth, world, engine, make_user):
    with unit_of_work(engine) as db:
        party = db.exec(select(CaseParty).where(CaseParty.case_id == world.case.id,
                                                CaseParty.role == "applicant")).one()
        party_id = party.id
    day = workday_ahead()
    r = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                    json={"mode": "remote", "starts_at": iso(day, 10), "duration_minutes": 60,
                          "participants": [{"role": "applicant", "party_id": party_id, "language": "en"}]})
    assert r.status_code == 201, r.text
    consumer = make_user("party", display_name="Chen Xiulan")
    with unit_of_work(engine) as db:
        link_party_user(db, case=db.get(Case, world.case.id), party_id=party_id,
                        user=db.get(type(consumer), consumer.id), actor="test")
    notice = client.get(f"/api/v1/sessions/{r.json()['id']}/notice.pdf", headers=auth(consumer))
    assert notice.status_code == 200, notice.text
    text = " ".join(pdf_text(notice.content).split())
    assert "NOTICE OF MEDIATION SESSION" in text and world.case.number.replace(" ", "") in text.replace(" ", "")
    assert "10:00 to 11:00 (Beijing time)" in text and "Video mediation" in text
    (document,) = fetch(engine, select(Document).where(Document.id == notice.headers["x-document-id"]))
    assert document.language == "en"
    # staff keep the Chinese copy addressed to every party
    staff = "".join(pdf_text(client.get(f"/api/v1/sessions/{r.json()['id']}/notice.pdf",
                                        headers=auth(world.officer)).content).split())
    assert "调解通知书" in staff and "各方当事人：" in staff
