"""Receiving: the consumer downloads the final signed agreement of their case after the ID check, and the copy
is the signed one (PAdES B-LTA, every signature intact as pyHanko reads it), not the unsigned original."""

from __future__ import annotations

import io
import re
from datetime import timezone

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from sqlmodel import Session, select

from mediation_svc.app import create_app
from mediation_svc.cases.models import Case, CaseParty
from mediation_svc.db import make_engine
from mediation_svc.documents.models import Document
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.signing.service import signed_pdf

from ..conftest import demo_copy


@pytest.fixture
def demo(demo_database, keys_dir, tmp_path):
    from fastapi.testclient import TestClient

    settings = demo_copy(demo_database, keys_dir, tmp_path)
    engine = make_engine(settings)
    with Session(engine) as s:
        case = next(c for c in s.exec(select(Case)).all() if c.number.endswith("第0006号"))
        party = s.exec(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.kind == "person")).first()
        agreement = s.exec(select(Document).where(Document.case_id == case.id, Document.kind == "agreement")).first()
        facts = dict(number=case.number, phone=party.phone, id_number=party.id_number, document_id=agreement.id,
                     original=agreement.pdf, signed=signed_pdf(s, document_id=agreement.id))
    with TestClient(create_app(settings, engine)) as client:
        yield client, engine, facts
    engine.dispose()


def _prove(client, engine, phone: str) -> dict[str, str]:
    assert client.post("/api/v1/self/codes", json={"phone": phone}).status_code == 202
    with Session(engine) as s:
        body = s.exec(select(OutboxMessage.body).where(OutboxMessage.kind == "selfservice.code")
                      .order_by(OutboxMessage.id.desc())).first()
    code = re.search(r"\d{6}", body).group(0)
    token = client.post("/api/v1/self/proofs", json={"phone": phone, "code": code}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_consumer_receives_the_signed_agreement_after_the_id_check(demo):
    client, engine, facts = demo
    assert facts["signed"] and facts["signed"] != facts["original"]
    headers = _prove(client, engine, facts["phone"])
    detail = client.get(f"/api/v1/self/cases/{facts['number']}", headers=headers).json()
    assert facts["document_id"] in [d["id"] for d in detail["documents"]]
    url = f"/api/v1/self/cases/{facts['number']}/documents/{facts['document_id']}/download"
    wrong = client.post(url, headers=headers, json={"id_last4": "0000" if not facts["id_number"].endswith("0000")
                                                     else "1111"})
    assert wrong.status_code == 401 and wrong.json()["type"].endswith("id-check-failed")
    right = client.post(url, headers=headers, json={"id_last4": facts["id_number"][-4:].lower()})
    assert right.status_code == 200 and right.headers["content-type"] == "application/pdf"
    assert "attachment" in right.headers["content-disposition"] and right.headers["cache-control"] == "no-store"
    assert right.content == facts["signed"]
    reader = PdfFileReader(io.BytesIO(right.content))
    signatures = [sig for sig in reader.embedded_signatures if sig.sig_object_type == "/Sig"]
    assert len(signatures) >= 4  # the parties', the mediator's and the seal; document timestamps besides
    for signature in signatures:
        status = validate_pdf_signature(signature)
        assert status.intact and status.valid


def test_wrong_id_checks_are_bounded(demo):
    client, engine, facts = demo
    headers = _prove(client, engine, facts["phone"])
    url = f"/api/v1/self/cases/{facts['number']}/documents/{facts['document_id']}/download"
    wrong = "0000" if not facts["id_number"].endswith("0000") else "1111"
    for _ in range(5):
        assert client.post(url, headers=headers, json={"id_last4": wrong}).status_code == 401
    assert client.post(url, headers=headers, json={"id_last4": facts["id_number"][-4:]}).status_code == 429


def test_the_case_page_hands_over_the_signed_copy_and_says_so_when_the_id_is_wrong(demo):
    from urllib.parse import quote

    from ..web.conftest import csrf_of

    client, engine, facts = demo
    page = client.get("/my")
    sent = client.post("/my/code", data={"phone": facts["phone"], "csrf_token": csrf_of(page.text)})
    with Session(engine) as s:
        body = s.exec(select(OutboxMessage.body).where(OutboxMessage.kind == "selfservice.code")
                      .order_by(OutboxMessage.id.desc())).first()
    client.post("/my/proof", data={"phone": facts["phone"], "code": re.search(r"\d{6}", body).group(0),
                                   "csrf_token": csrf_of(sent.text)})
    case_page = client.get(f"/my/cases/{quote(facts['number'])}")
    assert case_page.status_code == 200 and "下载" in case_page.text
    action = f"/my/cases/{quote(facts['number'])}/documents/{facts['document_id']}"
    wrong = client.post(action, data={"id_last4": "0000" if not facts["id_number"].endswith("0000") else "1111",
                                      "csrf_token": csrf_of(case_page.text)})
    assert "证件号码后 4 位不正确" in wrong.text
    right = client.post(action, data={"id_last4": facts["id_number"][-4:], "csrf_token": csrf_of(case_page.text)})
    assert right.headers["content-type"] == "application/pdf" and right.content == facts["signed"]


def test_a_session_of_the_case_goes_into_the_phones_calendar(demo_database, keys_dir, tmp_path):
    from urllib.parse import quote

    from fastapi.testclient import TestClient
    from icalendar import Calendar

    from mediation_svc.scheduling.models import MediationSession

    from ..web.conftest import csrf_of

    settings = demo_copy(demo_database, keys_dir, tmp_path)
    engine = make_engine(settings)
    with Session(engine) as s:
        ms = s.exec(select(MediationSession).where(MediationSession.status != "cancelled")).first()
        case = s.get(Case, ms.case_id)
        party = s.exec(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.kind == "person")).first()
        number, phone, starts = case.number, party.phone, ms.starts_at
        ms_id = ms.id
    with TestClient(create_app(settings, engine)) as client:
        page = client.get("/my")
        sent = client.post("/my/code", data={"phone": phone, "csrf_token": csrf_of(page.text)})
        with Session(engine) as s:
            body = s.exec(select(OutboxMessage.body).where(OutboxMessage.kind == "selfservice.code")
                          .order_by(OutboxMessage.id.desc())).first()
        client.post("/my/proof", data={"phone": phone, "code": re.search(r"\d{6}", body).group(0),
                                       "csrf_token": csrf_of(sent.text)})
        case_page = client.get(f"/my/cases/{quote(number)}")
        assert "加入手机日历" in case_page.text
        ics = client.get(f"/my/cases/{quote(number)}/sessions/{ms_id}/calendar.ics")
        assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
        event = next(c for c in Calendar.from_ical(ics.content).walk() if c.name == "VEVENT")
        utc_start = starts if starts.tzinfo else starts.replace(tzinfo=timezone.utc)
        assert event.decoded("dtstart").timestamp() == utc_start.timestamp()
        assert number in str(event.get("summary"))
    engine.dispose()
