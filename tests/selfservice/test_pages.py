"""The consumer's pages (/my) as a person reads them: plain Chinese, their own case only, a clear way back."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_of

from .test_api import MINE, OTHER, _applicant, _sms_code

pytestmark = pytest.mark.db


@pytest.fixture
def cases(make_case, make_user):
    officer = make_user("case_officer")
    return (make_case(officer=officer, applicant=_applicant(MINE)),
            make_case(officer=officer, applicant=_applicant(OTHER, "王建国")))


def _post(client, page_url: str, action: str, data: dict):
    page = client.get(page_url)
    return client.post(action, data={**data, "csrf_token": csrf_of(page.text)}, follow_redirects=False)


def _prove(client, engine, phone: str = MINE):
    sent = _post(client, "/my", "/my/code", {"phone": phone})
    assert sent.status_code == 200 and "验证码已发送到 138****8000" in sent.text
    token = csrf_of(sent.text)
    proved = client.post("/my/proof", data={"phone": "+86" + phone, "code": _sms_code(engine, phone),
                                            "csrf_token": token}, follow_redirects=False)
    assert proved.status_code == 303 and proved.headers["location"] == "/my/matters"
    cookie = proved.headers["set-cookie"]
    assert "msvc_consumer=" in cookie and "HttpOnly" in cookie and "Path=/my" in cookie
    assert "samesite=strict" in cookie.lower()
    return proved


def test_a_consumer_follows_their_case_in_plain_chinese(client, engine, cases):
    mine, other = cases
    _prove(client, engine)
    matters = client.get("/my/matters")
    assert matters.status_code == 200
    assert mine.number in matters.text and other.number not in matters.text and "王建国" not in matters.text
    assert "已接收" in matters.text and "received" not in matters.text
    page = client.get(f"/my/cases/{mine.number}")
    assert page.status_code == 200
    assert "下一步" in page.text and "正在审查是否受理" in page.text and "个工作日" in page.text
    assert "尚未指派" in page.text and "还没有安排调解会议" in page.text


def test_another_consumers_number_says_so_and_shows_nothing_of_it(client, engine, cases):
    mine, other = cases
    _prove(client, engine)
    page = client.get(f"/my/cases/{other.number}")
    assert page.status_code == 404
    assert "没有找到与您的手机号对应的案号" in page.text and "王建国" not in page.text


def test_without_a_proved_phone_the_page_asks_for_it_again(client, cases):
    mine, _ = cases
    page = client.get(f"/my/cases/{mine.number}")
    assert page.status_code == 401 and "请重新验证手机号" in page.text and "已接收" not in page.text


def test_a_wrong_code_and_a_landline_get_plain_words(client, engine, cases):
    landline = _post(client, "/my", "/my/code", {"phone": "020-12345678"})
    assert landline.status_code == 422 and "不是一个可以接收短信的手机号" in landline.text
    sent = _post(client, "/my", "/my/code", {"phone": MINE})
    right = _sms_code(engine, MINE)
    wrong = client.post("/my/proof", data={"phone": "+86" + MINE, "code": "000000" if right != "000000" else "1",
                                           "csrf_token": csrf_of(sent.text)}, follow_redirects=False)
    assert wrong.status_code == 422 and "验证码不正确" in wrong.text


def test_logging_out_ends_it(client, engine, cases):
    _prove(client, engine)
    out = _post(client, "/my/matters", "/my/logout", {})
    assert out.status_code == 303
    assert client.get("/my/matters").status_code == 401


def test_a_consumer_applies_from_the_phone_and_a_mistake_keeps_what_they_typed(client, engine, cases):
    from sqlmodel import Session, select

    from mediation_svc.complaints.models import Contact
    from mediation_svc.db import unit_of_work

    from ..complaints.conftest import make_institution
    from ..factories import resident_id

    with unit_of_work(engine) as s:
        icbc = make_institution(s, "中国工商银行股份有限公司广州分行", "91440101190471234")
    assert client.get("/my/apply").status_code == 401  # the phone first, then back here
    _prove(client, engine)
    form = client.get("/my/apply")
    assert form.status_code == 200 and "个人信息处理说明" in form.text and "中国工商银行" in form.text
    fields = {"what": "mediation", "consumer_name": "陈秀兰", "consumer_id_number": resident_id()[:-1] + "X",
              "institution_id": str(icbc), "facts": "理财产品到期未兑付。", "request": "兑付本金", "amount": "8.65万",
              "consent": "on", "consent_version": csrf_of_version(form.text)}
    wrong = client.post("/my/apply", data={**fields, "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    if resident_id()[-1] != "X":
        assert wrong.status_code == 422 and "理财产品到期未兑付。" in wrong.text and "身份证" in wrong.text
    no_consent = client.post("/my/apply", data={**fields, "consumer_id_number": resident_id(), "consent": "",
                                                "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert no_consent.status_code == 422 and "勾选" in no_consent.text
    done = client.post("/my/apply", data={**fields, "consumer_id_number": resident_id(),
                                          "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    matters = client.get(done.headers["location"])
    with Session(engine) as s:
        contact = s.exec(select(Contact)).one()
    assert contact.filed_by_consumer and contact.wants_mediation
    assert f"您的编号是 {contact.number}" in matters.text and contact.number in matters.text


def csrf_of_version(html: str) -> str:
    import re

    match = re.search(r'name="consent_version" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_question_asked_is_on_the_page_and_the_answer_goes_back(client, engine, auth, make_user, cases):
    from sqlmodel import Session

    from mediation_svc.complaints.models import Contact
    from mediation_svc.db import unit_of_work

    from ..complaints.conftest import make_institution
    from .test_applications import application

    with unit_of_work(engine) as s:
        icbc = make_institution(s, "中国工商银行股份有限公司广州分行", "91440101190471234")
    _prove(client, engine)
    token = client.cookies.get("msvc_consumer")
    filed = client.post("/api/v1/self/applications", json=application(icbc),
                        headers={"Authorization": f"Bearer {token}"})
    number = filed.json()["number"]
    officer = auth(make_user("case_officer"))
    with Session(engine) as s:
        contact_id = next(c.id for c in s.query(Contact).all() if c.number == number)
    client.post(f"/api/v1/complaints/{contact_id}/review", headers=officer,
                json={"decision": "ask", "text": "请补充购买日期"})
    page = client.get("/my/matters")
    assert "需要您补充材料" in page.text and "调解中心请您补充：请补充购买日期" in page.text
    sent = client.post(f"/my/complaints/{number}/supplement", data={"text": "2025年3月在天河支行购买",
                                                                   "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert sent.status_code == 303
    after = client.get(sent.headers["location"])
    assert "已提交补充材料" in after.text and "已收到，工作人员正在审核" in after.text


def test_a_consumer_writes_to_the_center_from_the_case_page(client, engine, auth, cases):
    mine, _ = cases
    _prove(client, engine)
    page = client.get(f"/my/cases/{mine.number}")
    assert "还没有留言" in page.text
    sent = client.post(f"/my/cases/{mine.number}/messages", data={"text": "我想改到下午", "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert sent.status_code == 303
    after = client.get(sent.headers["location"])
    assert "留言已发送" in after.text and "我想改到下午" in after.text
    empty = client.post(f"/my/cases/{mine.number}/messages", data={"text": " ", "csrf_token": csrf_of(after.text)},
                        follow_redirects=False)
    assert "留言没有发送" in client.get(empty.headers["location"]).text


def test_a_consumer_uploads_a_photo_and_a_renamed_program_is_refused_in_plain_words(client, engine, cases):
    import io

    from PIL import Image

    mine, _ = cases
    _prove(client, engine)
    page = client.get(f"/my/cases/{mine.number}")
    assert "我的证据材料" in page.text
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(photo, "JPEG")
    sent = client.post(f"/my/cases/{mine.number}/evidence", data={"csrf_token": csrf_of(page.text), "description": "保单"},
                       files={"file": ("保单.jpg", photo.getvalue(), "image/jpeg")}, follow_redirects=False)
    assert sent.status_code == 303
    after = client.get(sent.headers["location"])
    assert "已上传" in after.text and "SHA-256" in after.text and "保单" in after.text
    program = client.post(f"/my/cases/{mine.number}/evidence", data={"csrf_token": csrf_of(after.text)},
                          files={"file": ("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, "image/jpeg")},
                          follow_redirects=False)
    refused = client.get(program.headers["location"])
    assert "没有上传" in refused.text and refused.text.count("SHA-256 ") == 1


def test_an_application_carries_its_evidence_and_a_renamed_program_stops_it(client, engine, cases):
    import io

    from PIL import Image
    from sqlmodel import Session, select

    from mediation_svc.complaints.models import Attachment, Contact
    from mediation_svc.db import unit_of_work

    from ..complaints.conftest import make_institution
    from ..factories import resident_id

    with unit_of_work(engine) as s:
        icbc = make_institution(s, "中国工商银行股份有限公司广州分行", "91440101190471234")
    _prove(client, engine)
    form = client.get("/my/apply")
    fields = {"what": "complaint", "consumer_name": "陈秀兰", "consumer_id_number": resident_id(),
              "institution_id": str(icbc), "facts": "信用卡被盗刷。", "request": "退还盗刷款", "consent": "on",
              "consent_version": csrf_of_version(form.text), "csrf_token": csrf_of(form.text)}
    photo = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 10, 10)).save(photo, "JPEG")
    bad = client.post("/my/apply", data=fields, files=[("evidence", ("账单.jpg", b"MZ\x90\x00" * 50, "image/jpeg"))],
                      follow_redirects=False)
    assert bad.status_code == 422 and "信用卡被盗刷。" in bad.text
    with Session(engine) as s:
        assert s.exec(select(Contact)).all() == []  # nothing filed: the savepoint took the application back too
    good = client.post("/my/apply", data=fields, files=[("evidence", ("账单.jpg", photo.getvalue(), "image/jpeg"))],
                       follow_redirects=False)
    assert good.status_code == 303, good.text
    with Session(engine) as s:
        contact = s.exec(select(Contact)).one()
        files = s.exec(select(Attachment).where(Attachment.contact_id == contact.id)).all()
    assert [(f.side, f.user_id, f.media_type) for f in files] == [("consumer", None, "image/jpeg")]
