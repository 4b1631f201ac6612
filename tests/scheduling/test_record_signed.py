"""The session record (调解笔录) as a signed PDF: confirmed by the mediator, it becomes a finalised document that
the consumer, the bank's representative and the mediator sign through the signing flow, and the center seals.

One module-scoped run (one signing round is CPU-heavy); the checks look at what it left behind: the record on
paper (pdftoppm, pdftotext) before and after signing, the signatures verified now and with the clock moved, and
what the signing did not do (the case does not move, the record does not change)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from mediation_svc.accounts.schemas import UserCreate
from mediation_svc.accounts.service import create_user, issue_access_token
from mediation_svc.cases.models import Case
from mediation_svc.cases.schemas import CaseIntake
from mediation_svc.cases.service import assign_mediator_user, intake_case, transition
from mediation_svc.cases.states import CaseStatus
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.documents.models import Document
from mediation_svc.scheduling.models import MediationSession, SessionRecord

from ..conftest import TEST_PASSPHRASE
from ..factories import intake_payload
from ..judicial.test_confirmation_flow import sign_everything
from ..signing.flow import REP_ID, REP_PHONE, deadline, institution_party, link_from_sms, module_app
from .helpers import iso, workday_ahead

pytestmark = pytest.mark.db

MINUTES = ("申请人陈述：投保时业务员未询问肝炎病史，健康告知书系业务员代为勾选。\n"
           "被申请人委托代理人陈述：健康告知书第5项已明确询问，申请人签字确认。\n"
           "调解员释明如实告知义务的规定，双方同意十个工作日内补充门诊病历后再行协商。")
BLOCKS = {"party-1": "申请人（签名或按指印）", "party-2": "授权代表（签名）", "mediator": "调解员（签名）",
          "seal": "调解组织（印章）"}


@pytest.fixture(scope="module")
def record_flow(database_template, keys_dir, tmp_path_factory):
    settings, engine, app = module_app(database_template, keys_dir, tmp_path_factory, "record")
    with unit_of_work(engine) as s:
        def user(username, role, name, **extra):
            return create_user(s, data=UserCreate(username=username, password="correct-horse-42", display_name=name,
                                                  role=role, **extra), actor="test")
        officer = user("officer.r", "case_officer", "李文静")
        mediator = user("mediator.r", "mediator", "陈国栋", phone="13902000001")
        case = intake_case(s, settings, data=CaseIntake(**intake_payload()), actor=officer)
        transition(s, case=case, target=CaseStatus.ACCEPTED, actor="test")
        assign_mediator_user(s, case=case, mediator=mediator, actor="test", reason=None)

    def auth(u):
        return {"Authorization": f"Bearer {issue_access_token(app.state.tokens, settings, u)[0]}"}

    out = {"engine": engine, "case_id": case.id}
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post(f"/api/v1/cases/{case.id}/sessions", headers=auth(officer),
                              json={"mode": "remote", "starts_at": iso(workday_ahead(), 10), "duration_minutes": 90})
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        with unit_of_work(engine) as s:  # the session has taken place
            ms = s.get(MediationSession, sid)
            ms.starts_at, ms.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1, minutes=30)
            s.add(ms)
        people = created.json()["participants"]
        body = {"minutes": MINUTES, "outcome": "adjourned",
                "attendance": [{"participant_id": p["id"], "attendance": "remote" if p["role"] == "respondent"
                                else "present"} for p in people]}
        assert client.put(f"/api/v1/sessions/{sid}/record", json=body, headers=auth(mediator)).status_code == 200
        confirmed = client.post(f"/api/v1/sessions/{sid}/record/confirm", headers=auth(mediator))
        assert confirmed.status_code == 200, confirmed.text
        out["confirmed"] = confirmed.json()
        out["reread"] = client.get(f"/api/v1/sessions/{sid}/record", headers=auth(officer)).json()
        out["confirm_again"] = client.post(f"/api/v1/sessions/{sid}/record/confirm", headers=auth(mediator))
        document_id = out["confirmed"]["document_id"]
        out["unsigned"] = client.get(f"/api/v1/documents/{document_id}/pdf", headers=auth(officer)).content

        bank = institution_party(engine, case.id)
        reps = [{"party_id": bank.id, "name": "王晓明", "phone": REP_PHONE, "id_number": REP_ID}]
        r = client.post(f"/api/v1/cases/{case.id}/signing-requests", headers=auth(officer),
                        json={"document_id": document_id, "deadline_at": deadline(), "representatives": reps})
        assert r.status_code == 201, r.text
        out["request"] = r.json()
        out["sealed"] = sign_everything(client, engine, auth, officer, mediator, r.json(), out["unsigned"], seed=11)
        out["signer_page"] = client.get(f"/s/{link_from_sms(engine, '陈秀兰')}").text  # the consumer's link, later
        signed = client.get(f"/api/v1/signing-requests/{r.json()['id']}/document.pdf", headers=auth(officer))
        assert signed.status_code == 200, signed.text
        out["signed"] = signed.content
        out["verified"] = client.post("/api/v1/verify", files={"file": ("record.pdf", out["signed"],
                                                                       "application/pdf")}).json()
    with Session(engine) as s:
        out["document"] = s.get(Document, document_id)
        out["case_status"] = s.get(Case, case.id).status
        out["records"] = s.exec(select(SessionRecord).where(SessionRecord.session_id == sid)).all()
    yield out
    engine.dispose()


def test_confirming_the_record_issues_one_finalised_record_document(record_flow):
    confirmed, document = record_flow["confirmed"], record_flow["document"]
    assert confirmed["document_id"] and confirmed["document_id"] == record_flow["reread"]["document_id"]
    assert record_flow["confirm_again"].status_code == 409  # fixed once confirmed; no second document
    assert [r.document_id for r in record_flow["records"]] == [confirmed["document_id"]]
    assert document.kind == "session_record" and document.title == "调解笔录"
    assert record_flow["unsigned"].startswith(b"%PDF-") and document.status == "signed"


def test_the_record_says_what_the_mediator_confirmed(record_flow):
    from ..signing.paper import page_texts

    text = "".join(page_texts(record_flow["unsigned"])).replace(" ", "")
    for line in MINUTES.split("\n"):
        assert line.replace(" ", "")[:30] in text.replace("\n", "")
    assert "调解笔录" in text and "第一次调解" in text and "本次调解休会，择期继续调解。" in text
    assert "陈秀兰（到场）" in text and "视频参加" in text and "记录人" in text


def test_the_parties_mediator_and_seal_signed_the_record_in_their_blocks(record_flow):
    from ..signing.paper import check_signed_on_paper, keep_pages

    keep_pages(record_flow["signed"], "session-record-signed")  # test-artifacts/, to look at
    check_signed_on_paper(record_flow["unsigned"], record_flow["signed"], signers=BLOCKS)
    kinds = [p["kind"] for p in record_flow["request"]["participants"]]
    assert kinds == ["person", "representative", "mediator", "seal"]


def test_the_signed_record_verifies_now_and_with_the_clock_moved(record_flow, keys_dir):
    from mediation_svc.pki import hierarchy
    from mediation_svc.pki.keystore import KeyStore
    from mediation_svc.verification.report import verify_pdf

    assert record_flow["verified"]["indication"] == "TOTAL_PASSED", record_flow["verified"]
    root = KeyStore(keys_dir, TEST_PASSPHRASE.encode()).certificate(hierarchy.ROOT)
    for later in (timedelta(hours=2), timedelta(days=365), timedelta(days=9 * 365)):
        report = verify_pdf(record_flow["signed"], trust_roots=[root], file_name="record.pdf",
                            now=dt.datetime.now(dt.timezone.utc) + later)
        assert report.indication.value == "TOTAL_PASSED", (later, report.summary)
    assert len(report.signatures) >= 4


def test_signing_the_record_does_not_move_the_case(record_flow):
    # the first held session moved the case into mediation; the record's signatures settle nothing
    assert record_flow["case_status"] == CaseStatus.IN_MEDIATION


def test_the_consent_names_the_document_that_is_signed():
    from mediation_svc.signing.service import CONSENT_TEXTS, consent_texts

    record = consent_texts("signer_device", "session_record")
    assert record["zh-CN"].startswith("我已读完这份调解笔录，确认笔录内容与调解情况一致")
    assert "协议" not in record["zh-CN"] and "agreement" not in record["en"]
    assert record["zh-CN"].endswith(CONSENT_TEXTS["signer_device"]["zh-CN"].split("。", 1)[1])
    assert consent_texts("institution", "agreement") == CONSENT_TEXTS["institution"]
    assert "申请书" in consent_texts("center_server", "judicial_application")["zh-CN"]


def test_the_signers_page_speaks_of_the_record(record_flow):
    from mediation_svc.web.document_words import reword

    page = record_flow["signer_page"]
    assert "调解笔录" in page or "笔录已签署完成" in page, page
    assert "协议" not in page.replace("验证协议", ""), page  # the verification page keeps its name in the menu
    assert reword("请完整阅读协议", kind="session_record", language="zh-CN") == "请完整阅读笔录"
    assert reword("签署调解协议书", kind="judicial_application", language="zh-CN") == "签署司法确认申请书"
    assert reword("Download the signed agreement", kind="session_record", language="en") == "Download the signed record"
    assert reword("请完整阅读协议", kind="agreement", language="zh-CN") == "请完整阅读协议"
