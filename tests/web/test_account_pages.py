"""The account page: a staff member turns the second factor on (QR code, first code, recovery codes shown
once), logs in with it, spends a recovery code (only once), turns it off again, and changes the password."""

from __future__ import annotations

import re
import time

import pyotp
from sqlmodel import select

from mediation_svc.accounts.models import RecoveryCode, User

from .conftest import PASSWORD, csrf_of
from .plain_language import findings


def _login(client, username: str, password: str = PASSWORD, code: str = ""):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "totp_code": code,
                                       "csrf_token": csrf_of(page.text), "next": "/dashboard"},
                       follow_redirects=False)


def _logout(client) -> None:
    r = client.post("/logout", data={"csrf_token": csrf_of(client.get("/account").text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303  # back to the login page


def _enrol(client, form_post) -> tuple[str, list[str]]:
    """Through the pages: start, read the key beside the QR code, confirm with a code; returns (key, codes)."""
    assert "开启两步验证" in client.get("/account").text
    assert form_post("/account", "/account/second-factor", {}).status_code == 303
    page = client.get("/account")
    assert page.status_code == 200 and "<svg" in page.text and "扫描" in page.text
    assert findings(page.text, "zh-CN") == [], findings(page.text, "zh-CN")
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page.text).group(1)
    wrong = form_post("/account", "/account/second-factor/confirm", {"code": "000000"
                      if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "动态码不对" in wrong.text
    done = form_post("/account", "/account/second-factor/confirm", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    assert findings(done.text, "zh-CN") == []
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.text)
    assert len(codes) == 10
    assert "只显示这一次" in done.text
    again = client.get("/account").text
    assert "两步验证已开启" in again and not any(code in again for code in codes) and secret not in again
    return secret, codes


def test_enrol_log_in_with_a_code_spend_a_recovery_code_once_and_turn_it_off(client, engine, make_user, login,
                                                                             form_post):
    officer = make_user("case_officer", display_name="王敏")
    login(officer)
    secret, codes = _enrol(client, form_post)
    _logout(client)

    # The password alone no longer does; the app's code does (the next step: the first one is spent).
    refused = _login(client, officer.username)
    assert refused.status_code == 401 and "6位动态验证码" in refused.text
    assert _login(client, officer.username, code=pyotp.TOTP(secret).at(time.time() + 30)).status_code == 303
    _logout(client)

    # A recovery code works once.
    assert _login(client, officer.username, code=codes[0]).status_code == 303
    _logout(client)
    second_use = _login(client, officer.username, code=codes[0])
    assert second_use.status_code == 401 and "已使用过" in second_use.text

    # Turning it off asks for the password and a code again.
    assert _login(client, officer.username, code=codes[1]).status_code == 303
    wrong = form_post("/account", "/account/second-factor/off", {"password": "not-the-password", "totp_code": codes[2]})
    assert wrong.status_code == 403 and "密码（或动态验证码）不正确" in wrong.text
    off = form_post("/account", "/account/second-factor/off", {"password": PASSWORD, "totp_code": codes[3]})
    assert off.status_code == 303
    assert "两步验证已关闭" in client.get(off.headers["location"]).text
    with engine.connect() as conn:
        from sqlmodel import Session

        with Session(conn) as session:
            user = session.get(User, officer.id)
            assert not user.second_factor_enabled and user.totp_secret is None
            assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == officer.id)).all() == []
    _logout(client)
    assert _login(client, officer.username).status_code == 303


def test_the_page_speaks_english_too(client, make_user, login, form_post):
    login(make_user("mediator", display_name="李华"))
    page = client.get("/account?lang=en")
    assert "Turn on two-step login" in page.text and findings(page.text, "en") == []
    form_post("/account", "/account/second-factor", {})
    pending = client.get("/account")
    assert "Scan this QR code" in pending.text and findings(pending.text, "en") == []


def test_parties_have_no_second_factor_section(client, make_user, login):
    login(make_user("party"))
    page = client.get("/account")
    assert page.status_code == 200 and "second-factor" not in page.text and "修改密码" in page.text


def test_change_the_password_then_log_in_with_the_new_one(client, make_user, login, form_post):
    officer = make_user("case_officer", display_name="王敏")
    login(officer)
    mismatch = form_post("/account", "/account/password", {"current_password": PASSWORD,
                                                           "new_password": "a-much-longer-phrase-1",
                                                           "new_password_again": "a-much-longer-phrase-2"})
    assert mismatch.status_code == 422 and "两次输入的新密码不一样" in mismatch.text
    weak = form_post("/account", "/account/password", {"current_password": PASSWORD, "new_password": "123456789012",
                                                       "new_password_again": "123456789012"})
    assert weak.status_code == 422 and "新密码不符合要求" in weak.text
    wrong = form_post("/account", "/account/password", {"current_password": "not-it-at-all",
                                                        "new_password": "a-much-longer-phrase-1",
                                                        "new_password_again": "a-much-longer-phrase-1"})
    assert wrong.status_code == 403
    done = form_post("/account", "/account/password", {"current_password": PASSWORD,
                                                       "new_password": "a-much-longer-phrase-1",
                                                       "new_password_again": "a-much-longer-phrase-1"})
    assert done.status_code == 303 and done.headers["location"].startswith("/login")
    assert "密码已修改" in client.get(done.headers["location"]).text
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert _login(client, officer.username).status_code == 401
    assert _login(client, officer.username, password="a-much-longer-phrase-1").status_code == 303
