"""Amounts read as the person types them, with the server's own rule: /amounts/read answers with what
amounts.parse_amount makes of the text, and static/amount.js shows it beside the field on the intake,
complaint and drafting forms. The browser test types into the real forms in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediation_svc.amounts import AmountError, parse_amount

from .conftest import running_server
from .test_story_browser import _free_port


@pytest.mark.parametrize("typed", ["86,500", "8.65万", "86500元", "８６，５００", "人民币86500元整"])
def test_the_endpoint_reads_what_the_forms_will_store(client, make_user, login, typed):
    login(make_user("case_officer"))
    answer = client.get("/amounts/read", params={"text": typed})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json() == {"ok": True, "value": str(parse_amount(typed)), "shown": "已识别为 ¥86,500.00"}
    english = client.get("/amounts/read", params={"text": typed}, cookies={"msvc_lang": "en"})
    assert english.json()["shown"] == "Read as ¥86,500.00"


@pytest.mark.parametrize("typed", ["八万六", "86,50", "-5", "1.005"])
def test_the_endpoint_says_in_chinese_what_to_type_instead(client, make_user, login, typed):
    login(make_user("case_officer"))
    answer = client.get("/amounts/read", params={"text": typed}).json()
    with pytest.raises(AmountError) as refused:
        parse_amount(typed)
    assert answer == {"ok": False, "value": None, "shown": str(refused.value)}


def test_the_endpoint_is_for_people_logged_in(client):
    response = client.get("/amounts/read", params={"text": "86500"}, follow_redirects=False)
    assert response.status_code in (303, 401)


def test_the_forms_carry_the_script_and_the_field_it_reads(client, make_user, login):
    login(make_user("case_officer"))
    for url in ("/cases/new", "/complaints/new"):
        page = client.get(url).text
        assert '<script src="/static/amount.js" defer></script>' in page, url
        assert 'data-amount="parsed-amount"' in page and 'id="parsed-amount"' in page, url
        assert "<script>" not in page  # CSP is self-only: no inline script
    script = client.get("/static/amount.js")
    assert script.status_code == 200 and "/amounts/read" in script.text
    assert "万" not in script.text and "replace(" not in script.text  # no rule of its own


# -- in Chromium ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def amount_server(tmp_path_factory):
    """A migrated database with one officer and one institution, served by uvicorn."""
    from mediation_svc.accounts.schemas import UserCreate
    from mediation_svc.accounts.service import create_user
    from mediation_svc.cases.models import Institution
    from mediation_svc.config import Settings
    from mediation_svc.db import make_engine, unit_of_work
    from mediation_svc.migrations_check import upgrade
    from mediation_svc.pki.keystore import KeyStore, init_keys

    root: Path = tmp_path_factory.mktemp("amounts")
    port = _free_port()
    init_keys(KeyStore(root / "keys", b"amount-test-passphrase"))
    settings = Settings(database_url=f"sqlite:///{root / 'amounts.db'}", key_dir=root / "keys",
                        key_passphrase="amount-test-passphrase", public_base_url=f"http://127.0.0.1:{port}",
                        log_json=False, log_level="WARNING", password_hash_profile="cheapest", sms_gateway="log",
                        _env_file=None)
    engine = make_engine(settings)
    upgrade(engine)
    with unit_of_work(engine) as session:
        create_user(session, data=UserCreate(username="officer.amount", display_name="李明", role="case_officer",
                                             password="correct-horse-42"), actor="test")
        session.add(Institution(name="某银行广州分行", kind="bank", credit_code="91440101MA5CXXXX0X"))
    with running_server(settings, engine) as url:
        yield url
    engine.dispose()


@pytest.mark.browser
def test_chromium_shows_the_parsed_amount_beside_the_field_as_it_is_typed(amount_server, browser):
    from playwright.sync_api import expect  # waits without eval, which the self-only CSP forbids

    context = browser.new_context(base_url=amount_server, locale="zh-CN")
    page = context.new_page()
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/login")
    page.get_by_label("用户名").fill("officer.amount")
    page.get_by_label("密码").fill("correct-horse-42")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/dashboard")
    for url, field in (("/cases/new", "#claim_amount"), ("/complaints/new", "#amount")):
        page.goto(url)
        echo = page.locator("#parsed-amount")
        assert echo.is_hidden()
        for typed in ("8.65万", "86,500", "86500元"):
            page.locator(field).fill("")
            page.locator(field).press_sequentially(typed, delay=30)  # as a person types, key by key
            expect(echo).to_have_text("已识别为 ¥86,500.00")
            assert echo.is_visible(), (url, typed)
        page.locator(field).fill("八万六")
        expect(echo).to_contain_text("无法识别金额“八万六”")
        assert "86500、86,500 或 8.65万" in echo.inner_text()
        assert page.locator(field).get_attribute("aria-invalid") == "true"
        page.locator(field).fill("")
        expect(echo).to_be_hidden()
    assert csp == []
    context.close()
