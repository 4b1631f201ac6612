"""The complaint pages as people use them: the officer records and forwards, the bank answers from its inbox,
the consumer refuses on the SMS link's page, the officer turns it into a mediation case; scoping on pages."""

from __future__ import annotations

import re

from sqlmodel import select

from mediation_svc.complaints.models import Contact

from ..factories import resident_id
from ..web.conftest import csrf_of, form_post, login  # noqa: F401 (fixtures)
from .conftest import PASSWORD, outbox


def _post(client, page_url, action, data, files=None):
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    return client.post(action, data={**data, "csrf_token": csrf_of(page.text)}, files=files, follow_redirects=True)


def test_forwarded_answered_refused_and_turned_into_a_mediation_case_on_the_pages(client, login, world, db):
    login(world.officer)
    recorded = _post(client, "/complaints/new", "/complaints/new", {
        "kind": "complaint", "channel": "hotline", "consumer_name": "黄志伟", "consumer_phone": "13800138001",
        "institution_id": str(world.icbc), "institution_branch": "天河支行", "category_code": "bank_card",
        "facts": "信用卡违约金过高。", "request": "减免违约金", "amount": "3865.00"})
    assert recorded.status_code == 200 and "已登记" in recorded.text
    contact_id = int(re.search(r"/complaints/(\d+)/forward", recorded.text).group(1))
    forwarded = _post(client, f"/complaints/{contact_id}", f"/complaints/{contact_id}/forward", {"note": ""})
    assert "已转办，机构须于" in forwarded.text and "机构处理中" in forwarded.text
    board = client.get("/complaints")
    assert "黄志伟" in board.text and "投诉转办看板" in board.text

    login(world.icbc_staff)
    inbox = client.get("/inbox")
    assert inbox.status_code == 200 and "黄志伟" in inbox.text
    assert client.get("/complaints").status_code == 403
    answered = _post(client, f"/complaints/{contact_id}", f"/complaints/{contact_id}/reply",
                     {"outcome": "settled", "settled_amount": "1,200.00", "text": "减免违约金1200元。"})
    assert "答复已提交" in answered.text and "机构已答复" in answered.text
    attached = _post(client, f"/complaints/{contact_id}", f"/complaints/{contact_id}/attachments", {},
                     files={"file": ("回复函.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")})
    assert "已上传 回复函.pdf" in attached.text
    refused_type = _post(client, f"/complaints/{contact_id}", f"/complaints/{contact_id}/attachments", {},
                         files={"file": ("x.pdf", b"MZ\x90\x00", "application/pdf")})
    assert refused_type.status_code == 415 and "PDF" in refused_type.text

    login(world.ccb_staff)
    assert client.get(f"/complaints/{contact_id}").status_code == 404
    assert "黄志伟" not in client.get("/inbox").text

    token = re.search(r"/c/([A-Za-z0-9_-]+)", outbox(db, "complaint_answered")[0].body).group(1)
    client.cookies.clear()
    consumer = client.get(f"/c/{token}")
    assert consumer.status_code == 200 and "已和解" in consumer.text and "¥1,200.00" in consumer.text
    refused = _post(client, f"/c/{token}", f"/c/{token}", {"choice": "refuse", "comment": "应全部减免"})
    assert "已记录您不接受处理结果" in refused.text
    assert "此链接已失效" in client.get(f"/c/{token}").text

    login(world.officer)
    offered = _post(client, f"/complaints/{contact_id}", f"/complaints/{contact_id}/offer-mediation", {"note": ""})
    assert "已向消费者提出调解" in offered.text
    converted = _post(client, f"/complaints/{contact_id}", f"/complaints/{contact_id}/convert",
                      {"consent": "电话确认同意调解", "consumer_id_number": resident_id()})
    assert converted.status_code == 200 and "已转为调解案件" in converted.text and "投诉处理经过" in converted.text
    db.expire_all()
    contact = db.exec(select(Contact).where(Contact.id == contact_id)).one()
    assert contact.status == "mediation" and contact.case_id


def test_a_wrong_move_on_a_page_says_what_happened(client, login, world):
    login(world.officer)
    recorded = _post(client, "/complaints/new", "/complaints/new", {
        "kind": "complaint", "channel": "web", "consumer_name": "李建华", "consumer_phone": "13800138002",
        "institution_id": str(world.icbc), "category_code": "loan", "facts": "贷款被冒用。", "request": "停止催收"})
    contact_id = int(re.search(r"/complaints/(\d+)/forward", recorded.text).group(1))
    early = _post(client, f"/complaints/{contact_id}", f"/complaints/{contact_id}/offer-mediation", {"note": ""})
    assert early.status_code == 409 and "才能引导调解" in early.text
    incomplete = _post(client, "/complaints/new", "/complaints/new", {"kind": "complaint", "channel": "web",
                                                                       "consumer_name": "李建华"})
    assert incomplete.status_code == 422 and "投诉还需填写" in incomplete.text


def test_institution_password_login_reaches_the_inbox(client, world):
    page = client.get("/login")
    response = client.post("/login", data={"username": world.icbc_staff.username, "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text), "next": "/inbox"})
    assert response.status_code == 200 and "转办投诉待办" in response.text


def test_statistics_page_draws_the_figures_and_offers_the_monthly_report(client, login, world):
    login(world.officer)
    _post(client, "/complaints/new", "/complaints/new", {
        "kind": "complaint", "channel": "visit", "consumer_name": "张桂英", "consumer_phone": "13800138003",
        "institution_id": str(world.ccb), "category_code": "loan", "facts": "贷款利率上浮未告知。", "request": "退还多收利息"})
    page = client.get("/complaint-statistics")
    assert page.status_code == 200 and "<svg" in page.text and "<?xml" not in page.text
    assert "中国建设银行" in page.text and "来访" in page.text
    month = re.search(r'/complaint-statistics/(\d{4}-\d{2})\.xlsx', page.text).group(1)
    xlsx = client.get(f"/complaint-statistics/{month}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    login(world.icbc_staff)
    assert client.get("/complaint-statistics").status_code == 403
    assert client.get(f"/complaint-statistics/{month}.csv").status_code == 403
