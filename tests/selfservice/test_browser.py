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

from ..complaints.conftest import make_institution
from ..factories import intake_payload, resident_id
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
        make_institution(session, "中国工商银行股份有限公司广州分行", "91440101190471234")
    with running_server(settings, engine) as base:
        yield base, engine, numbers


def test_a_consumer_follows_their_case_on_a_phone(server, browser):  # noqa: F811
    base, engine, (mine, other) = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE_360, locale="zh-CN")
    page.goto(f"{base}/my")
    assert "查询我的调解进度" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the phone page, the code page below
    page.fill("#phone", "138 0013 8000")
    page.click("#send-code")
    assert "验证码已发送到 138****8000" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
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
    photo = ARTIFACTS / "policy-photo.jpg"
    from PIL import Image

    Image.new("RGB", (64, 48), (30, 90, 200)).save(photo, "JPEG")
    page.set_input_files("#evidence-file", str(photo))
    page.fill("#evidence-description", "保险合同第3页")
    page.click("#evidence-send")
    assert "已上传" in page.inner_text("main") and "保险合同第3页" in page.inner_text("main")
    page.fill("#talk-text", "请问可以视频调解吗？我腿脚不方便。")
    page.click("#talk-send")
    assert "留言已发送" in page.inner_text("main") and "请问可以视频调解吗" in page.inner_text("#thread")
    page.click("#text-size")  # 大字模式
    assert "large-text" in (page.get_attribute("body", "class") or "")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "case-360-large.png"), full_page=True)
    page.click("text=我的案件和投诉")
    page.click("#self-apply")  # a new application, from the same proved phone
    page.check("#what-mediation")
    page.fill("#consumer_name", "陈秀兰")
    page.fill("#consumer_id_number", resident_id())
    page.select_option("#institution_id", label="中国工商银行股份有限公司广州分行")
    page.fill("#facts", "理财产品到期未按约定兑付，多次到网点询问没有结果。")
    page.fill("#request", "兑付本金及约定收益")
    page.fill("#amount", "8.65万")
    page.set_input_files("#evidence", str(photo))  # the application carries its evidence
    page.click("#apply-submit")
    assert "勾选" in page.inner_text("#err-consent")  # the notice must be accepted; what was typed is kept
    assert page.input_value("#facts").startswith("理财产品到期")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "apply-360-consent.png"), full_page=True)
    page.check("#consent")
    page.set_input_files("#evidence", str(photo))  # a file input does not keep its file across a refusal
    page.click("#apply-submit")
    page.wait_for_url(f"{base}/my/matters*")
    flash = page.inner_text("main")
    number = flash.split("您的编号是")[1].split("，")[0].strip()
    assert number and number in page.inner_text(".self-list:last-of-type")
    page.screenshot(path=str(ARTIFACTS / "applied-360.png"), full_page=True)
    from sqlmodel import Session, select

    from mediation_svc.complaints.models import Attachment, Contact

    with Session(engine) as s:
        filed = s.exec(select(Contact).where(Contact.number == number)).one()
        assert filed.filed_by_consumer and filed.wants_mediation
        assert [a.side for a in s.exec(select(Attachment).where(Attachment.contact_id == filed.id))] == ["consumer"]
    page.click("#self-logout")
    assert "已退出查询" in page.inner_text("main")
    page.close()
