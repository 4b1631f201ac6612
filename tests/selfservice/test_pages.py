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
