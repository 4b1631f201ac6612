"""A consumer follows their case on a 360-pixel phone in a real browser (Playwright, Debian's Chromium, headless)
against a live uvicorn: types the phone, reads the code from the text message, sees their case in plain Chinese,
opens it, and reads what happens next. Screenshots go to tests/web/artifacts/selfservice/ (gitignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediation_svc.accounts.schemas import UserCreate
from mediation_svc.accounts.service import create_user
from mediation_svc.cases.schemas import CaseIntake
from mediation_svc.cases.service import intake_case
from mediation_svc.config import Settings
from mediation_svc.db import make_engine, unit_of_work
from mediation_svc.migrations_check import upgrade
from mediation_svc.pki.keystore import KeyStore, init_keys

from ..factories import intake_payload
from ..web.conftest import browser, running_server  # noqa: F401 - the module-scoped browser fixture
from ..web.test_story_browser import _free_port
from .test_api import MINE, OTHER, _applicant, _sms_code

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parents[1] / "web" / "artifacts" / "selfservice"
PHONE_360 = {"width": 360, "height": 640}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("selfservice-live")
    port = _free_port()
    init_keys(KeyStore(root / "keys", b"browser-test-passphrase"))
    settings = Settings(database_url=f"sqlite:///{root / 's.db'}", key_dir=root / "keys",
                        key_passphrase="browser-test-passphrase", public_base_url=f"http://127.0.0.1:{port}",
                        log_json=False, log_level="WARNING", password_hash_profile="cheapest", _env_file=None)
    engine = make_engine(settings)
    upgrade(engine)
    with unit_of_work(engine) as session:
        officer = create_user(session, actor="test", data=UserCreate(username="officer.li", role="case_officer",
                                                                     display_name="李文静", password="Demo-2026-x1"))
        mine = intake_case(session, settings, data=CaseIntake(**intake_payload(applicant=_applicant(MINE))),
                           actor=officer)
        other = intake_case(session, settings, data=CaseIntake(**intake_payload(
            applicant=_applicant(OTHER, "王建国"))), actor=officer)
        numbers = (mine.number, other.number)
    with running_server(settings, engine) as base:
        yield base, engine, numbers


def test_a_consumer_follows_their_case_on_a_phone(server, browser):  # noqa: F811
    base, engine, (mine, other) = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE_360, locale="zh-CN")
    page.goto(f"{base}/my")
    assert "查询我的调解进度" in page.inner_text("h1")
    page.fill("#phone", "138 0013 8000")
    page.click("#send-code")
    assert "验证码已发送到 138****8000" in page.inner_text("main")
    page.fill("#code", _sms_code(engine, MINE))
    page.click("#verify")
    page.wait_for_url(f"{base}/my/matters")
    text = page.inner_text("main")
    assert mine in text and other not in text and "已接收" in text and "正在审查是否受理" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways at 360 px"
    page.screenshot(path=str(ARTIFACTS / "matters-360.png"), full_page=True)
    page.click(f"text={mine}")
    detail = page.inner_text("main")
    assert "下一步" in detail and "尚未指派" in detail and "还没有安排调解会议" in detail
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#text-size")  # 大字模式
    assert "large-text" in (page.get_attribute("body", "class") or "")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "case-360-large.png"), full_page=True)
    page.click("#self-logout")
    assert "已退出查询" in page.inner_text("main")
    page.close()
