"""A complaint's story in a real browser (Playwright, Debian's Chromium, headless) against a live uvicorn:
an officer records a complaint against ICBC and forwards it (转办) the same day; ICBC's complaint staff answer
from their inbox on a 360-pixel phone; the consumer refuses the answer on the SMS link's page (phone); the
officer offers mediation and, with the consumer's consent, turns the complaint into a mediation case.
Screenshots go to tests/web/artifacts/complaints/ (gitignored)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from mediation_svc.config import Settings
from mediation_svc.db import make_engine, unit_of_work
from mediation_svc.migrations_check import upgrade
from mediation_svc.pki.keystore import KeyStore, init_keys

from ..factories import resident_id
from .conftest import running_server
from .test_story_browser import DESKTOP, _free_port

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts" / "complaints"
PHONE_360 = {"width": 360, "height": 780}
PASSWORD = "Demo-2026-mediation"


@pytest.fixture(scope="module")
def complaint_server(tmp_path_factory):
    """A migrated SQLite database with an officer, ICBC and CCB, and one complaint account at ICBC."""
    from mediation_svc.accounts.schemas import UserCreate
    from mediation_svc.accounts.service import create_user
    from mediation_svc.cases.models import Institution
    from mediation_svc.complaints.institutions import make_institution_account

    from ..factories import credit_code

    root = tmp_path_factory.mktemp("complaints-live")
    port = _free_port()
    init_keys(KeyStore(root / "keys", b"browser-test-passphrase"))
    settings = Settings(database_url=f"sqlite:///{root / 'c.db'}", key_dir=root / "keys",
                        key_passphrase="browser-test-passphrase", public_base_url=f"http://127.0.0.1:{port}",
                        log_json=False, log_level="WARNING", password_hash_profile="cheapest", _env_file=None)
    engine = make_engine(settings)
    upgrade(engine)
    with unit_of_work(engine) as session:
        create_user(session, actor="test", data=UserCreate(username="officer.li", role="case_officer",
                                                           display_name="李文静", password=PASSWORD))
        for name, body in (("中国工商银行股份有限公司广州分行", "91440101190471234"),
                           ("中国建设银行股份有限公司广州分行", "91440101190475678")):
            session.add(Institution(name=name, kind="bank", credit_code=credit_code(body)))
        session.flush()
        icbc = session.exec(select(Institution).where(Institution.name.startswith("中国工商银行"))).one()
        bank = create_user(session, actor="test", data=UserCreate(username="party.bank", role="party",
                                                                  display_name="吴海峰（工行投诉专员）", password=PASSWORD))
        make_institution_account(session, user=bank, institution_id=icbc.id, branch=None, actor="test")
    with running_server(settings, engine):
        yield {"url": settings.public_base_url, "engine": engine, "icbc": icbc.id}
    engine.dispose()


def test_a_complaint_forwarded_answered_refused_and_turned_into_a_case(complaint_server, browser):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    violations: list[str] = []
    step = iter(range(1, 100))

    def page(viewport):
        context = browser.new_context(viewport=viewport, base_url=complaint_server["url"], locale="zh-CN",
                                      device_scale_factor=2 if viewport == PHONE_360 else 1)
        context.set_default_timeout(30_000)
        p = context.new_page()
        p.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        return p

    def shot(p, name):
        p.screenshot(path=str(ARTIFACTS / f"{next(step):02d}-{name}.png"), full_page=True)

    def login(p, username):
        p.goto("/login")
        p.get_by_label("用户名").fill(username)
        p.get_by_label("密码").fill(PASSWORD)
        p.get_by_role("button", name="登录").click()
        p.wait_for_url("**/dashboard")

    officer = page(DESKTOP)
    login(officer, "officer.li")
    officer.goto("/complaints/new")
    officer.get_by_label("消费者").fill("黄志伟")
    officer.get_by_label("手机号码").fill("13800138001")
    officer.get_by_label("被投诉机构").select_option(str(complaint_server["icbc"]))
    officer.get_by_label("分支机构").fill("天河支行")
    officer.get_by_label("纠纷类别").select_option("bank_card")
    officer.get_by_label("事实与理由").fill("信用卡逾期后被收取高额违约金，多次沟通未果。")
    officer.get_by_label("请求事项").fill("减免违约金并分期还款")
    officer.get_by_label("请求金额（元）").fill("3865.00")
    officer.get_by_role("button", name="登记").click()
    officer.wait_for_url(re.compile(r".*/complaints/\d+\?ok=contact_recorded.*"))
    complaint_url = officer.url.split("?")[0]
    officer.get_by_role("button", name="今日转办").click()
    assert "已转办，机构须于" in officer.locator(".flash").inner_text()
    officer.goto("/complaints")
    assert "黄志伟" in officer.locator("#complaints").inner_text()
    shot(officer, "officer-forwarding-board")

    bank = page(PHONE_360)
    login(bank, "party.bank")
    bank.goto("/inbox")
    bank.get_by_role("link", name=re.compile("粤正和诉")).first.click()
    assert "信用卡逾期" in bank.content()
    bank.get_by_label("和解金额（元）").fill("1,200.00")
    bank.get_by_label("处理结果（和解内容或不予支持的理由）").fill("减免违约金1200元，其余欠款分12期偿还。")
    shot(bank, "bank-inbox-reply-phone")
    bank.get_by_role("button", name="提交答复（将短信告知消费者）").click()
    assert "答复已提交" in bank.locator(".flash").inner_text()
    assert bank.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"], "no sideways scrolling"

    from mediation_svc.notifications.models import OutboxMessage

    with Session(complaint_server["engine"]) as session:
        body = session.exec(select(OutboxMessage.body).where(OutboxMessage.kind == "complaint_answered")).one()
    link = "/c/" + re.search(r"/c/([A-Za-z0-9_-]+)", body).group(1)
    consumer = page(PHONE_360)
    consumer.goto(link)
    assert "¥1,200.00" in consumer.locator("#outcome").inner_text()
    consumer.get_by_label("您的意见（可不填）").fill("违约金应全部减免")
    shot(consumer, "consumer-answer-phone")
    consumer.get_by_role("button", name="不接受").click()
    assert "已记录您不接受处理结果" in consumer.locator("#consumer-done").inner_text()
    shot(consumer, "consumer-refused-phone")

    officer.goto(complaint_url)
    assert "消费者不接受" in officer.locator("#complaint-status").inner_text()
    officer.get_by_role("button", name="向消费者提出调解").click()
    officer.get_by_label("消费者同意的方式").fill("电话确认同意调解")
    officer.get_by_label("身份证号").fill(resident_id())
    officer.get_by_role("button", name="转为调解案件").click()
    officer.wait_for_url(re.compile(r".*/cases/\d+\?ok=converted.*"))
    assert "投诉处理经过" in officer.content() and "机构答复：已和解" in officer.content()
    shot(officer, "officer-case-from-complaint")
    assert not violations, violations
