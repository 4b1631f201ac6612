"""The staff side on the case page: the consumer's message is there to answer (and the answer reaches them), the
evidence they uploaded is there to download and to share with the court; a court account sees neither the
thread nor unshared evidence."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ..web.conftest import csrf_of, login  # noqa: F401 - the fixture
from .test_messages import world  # noqa: F401 - the fixture
from .test_api import MINE, _prove

pytestmark = pytest.mark.db


def test_the_officer_answers_and_shares_from_the_case_page(client, engine, login, make_user, world):  # noqa: F811
    headers = _prove(client, engine, MINE)
    number, case_id = world["mine"].number, world["mine"].id
    assert client.post(f"/api/v1/self/cases/{number}/messages", headers=headers,
                       json={"text": "合同照片已上传，请查收"}).status_code == 201
    photo = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 120, 0)).save(photo, "JPEG")
    uploaded = client.post(f"/api/v1/self/cases/{number}/evidence", headers=headers,
                           files={"file": ("合同.jpg", photo.getvalue(), "image/jpeg")})
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()
    login(world["officer"])
    page = client.get(f"/cases/{case_id}")
    assert "当事人留言" in page.text and "合同照片已上传，请查收" in page.text
    assert "合同.jpg" in page.text and item["sha256"] in page.text
    sent = client.post(f"/cases/{case_id}/messages", data={"text": "已收到，谢谢。", "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert sent.status_code == 303
    thread = client.get(f"/api/v1/self/cases/{number}/messages", headers=headers).json()
    assert [m["text"] for m in thread] == ["合同照片已上传，请查收", "已收到，谢谢。"]
    download = client.get(f"/cases/{case_id}/evidence/{item['id']}")
    assert download.status_code == 200 and download.headers["x-evidence-sha256"] == item["sha256"]
    page = client.get(f"/cases/{case_id}")
    shared = client.post(f"/cases/{case_id}/evidence/{item['id']}/share",
                         data={"shared": "1", "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert shared.status_code == 303 and "已向法院共享" in client.get(shared.headers["location"]).text


def test_a_court_sees_neither_the_thread_nor_unshared_evidence(client, engine, auth, login, make_user, world):  # noqa: F811
    headers = _prove(client, engine, MINE)
    number, case_id = world["mine"].number, world["mine"].id
    client.post(f"/api/v1/self/cases/{number}/messages", headers=headers, json={"text": "私下的话"})
    court = make_user("court")
    officer = auth(world["officer"])
    assert client.post(f"/api/v1/cases/{case_id}/shares", headers=officer,
                       json={"court_user_id": court.id, "days": 7}).status_code in (200, 201)
    login(court)
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "私下的话" not in page.text and "当事人留言" not in page.text


def test_the_officer_checks_a_consumer_application_on_the_complaint_page(client, engine, login, make_user):
    from sqlmodel import Session, select

    from mediation_svc.complaints.models import Contact
    from mediation_svc.db import unit_of_work

    from ..complaints.conftest import make_institution
    from .test_applications import application

    with unit_of_work(engine) as s:
        icbc = make_institution(s, "中国工商银行股份有限公司广州分行", "91440101190471234")
    headers = _prove(client, engine, MINE)
    number = client.post("/api/v1/self/applications", json=application(icbc, category_code="wealth_management"),
                         headers=headers).json()["number"]
    with Session(engine) as s:
        contact_id = s.exec(select(Contact.id).where(Contact.number == number)).one()
    officer = make_user("case_officer")
    login(officer)
    page = client.get(f"/complaints/{contact_id}")
    assert "消费者在线提交：请先审核" in page.text and "消费者申请调解" in page.text and "粤语" in page.text
    assert 'id="forward-form"' not in page.text
    done = client.post(f"/complaints/{contact_id}/review", data={"decision": "accept", "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "已立案" in after.text
    with Session(engine) as s:
        assert s.get(Contact, contact_id).status == "mediation"



def test_an_officer_attaches_the_scan_of_a_paper_form_to_the_case(client, engine, login, world):  # noqa: F811
    scan = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 250)).save(scan, "PNG")
    login(world["officer"])
    case_id = world["mine"].id
    page = client.get(f"/cases/{case_id}")
    assert 'id="staff-evidence-form"' in page.text
    sent = client.post(f"/cases/{case_id}/evidence", data={"csrf_token": csrf_of(page.text), "description": "纸质申请表"},
                       files={"file": ("申请表扫描.png", scan.getvalue(), "image/png")}, follow_redirects=False)
    assert sent.status_code == 303
    after = client.get(sent.headers["location"])
    assert "已添加" in after.text and "申请表扫描.png" in after.text and "纸质申请表" in after.text


def test_an_application_opened_from_the_wechat_menu_is_marked_wechat(client, engine):
    from sqlmodel import Session, select

    from mediation_svc.complaints.models import Contact
    from mediation_svc.db import unit_of_work

    from ..complaints.conftest import make_institution
    from ..factories import resident_id
    from .test_pages import csrf_of_version

    with unit_of_work(engine) as s:
        icbc = make_institution(s, "中国工商银行股份有限公司广州分行", "91440101190471234")
    from .test_pages import _prove as prove_on_pages

    prove_on_pages(client, engine)
    form = client.get("/my/apply?channel=wechat")
    assert 'name="channel" value="wechat"' in form.text
    sent = client.post("/my/apply", follow_redirects=False, data={
        "what": "complaint", "consumer_name": "陈秀兰", "consumer_id_number": resident_id(), "institution_id": str(icbc),
        "facts": "转账被拦截。", "request": "解除冻结", "consent": "on", "channel": "wechat",
        "consent_version": csrf_of_version(form.text), "csrf_token": csrf_of(form.text)})
    assert sent.status_code == 303
    with Session(engine) as s:
        assert s.exec(select(Contact.channel)).one() == "wechat"
