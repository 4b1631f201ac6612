"""The whole story in a real browser (Playwright driving Debian's Chromium, headless) against a live uvicorn.

A consumer applies for mediation from a 360x640 phone with a photo of the policy; the officer checks the
application and opens the case, accepts it and assigns the top-ranked mediator, schedules a session and starts
the mediation; the mediator drafts (live preview) and finalises the agreement and sends it for signing; the
officer files the bank representative's letter of authorisation; both parties sign on a 360x640 phone
screen (link and code read from the SMS outbox), the mediator signs, the officer seals; a court clerk
verifies the signed PDF on the verification page and sees it pass, then a tampered copy and sees it fail.
Along the way the consumer follows the case on /my (the session into the calendar, the notice downloaded), writes
to the officer and reads the answer, receives the signed agreement, and signs the joint application
(consumer_story.py).
Screenshots of each step go to tests/web/artifacts/ (gitignored).
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import time
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session, select

from mediation_svc.db import make_engine

from ..conftest import demo_copy
from . import consumer_story
from .conftest import running_server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]  # the whole story, demo seeding included

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(demo_database, keys_dir, tmp_path_factory):
    """A copy of the run's seeded demo, served by uvicorn on a free port."""
    root = tmp_path_factory.mktemp("live")
    port = _free_port()
    settings = demo_copy(demo_database, keys_dir, root).model_copy(
        update={"public_base_url": f"http://127.0.0.1:{port}"})
    engine = make_engine(settings)
    with running_server(settings, engine):
        yield {"url": settings.public_base_url, "engine": engine, "settings": settings, "root": root}
    engine.dispose()


class Story:
    def __init__(self, browser, live) -> None:
        self.browser, self.live, self.step, self.pages = browser, live, 0, []
        self.csp_violations: list[str] = []
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        ARTIFACTS.mkdir(parents=True)

    def page(self, viewport=DESKTOP):
        context = self.browser.new_context(viewport=viewport, base_url=self.live["url"], locale="zh-CN",
                                           device_scale_factor=2 if viewport == PHONE else 1,
                                           accept_downloads=True)
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.on("console", lambda m: self.csp_violations.append(m.text)
                if "Content Security Policy" in m.text else None)
        self.pages.append(page)
        return page

    def failure_shots(self) -> None:
        for index, page in enumerate(self.pages):
            if not page.is_closed():
                page.screenshot(path=str(ARTIFACTS / f"failure-{index}.png"), full_page=True)

    def shot(self, page, name: str, full_page: bool = True) -> None:
        self.step += 1
        page.screenshot(path=str(ARTIFACTS / f"{self.step:02d}-{name}.png"), full_page=full_page)

    def login(self, page, username: str) -> None:
        from mediation_svc.demo import DEMO_PASSWORD

        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/dashboard")

    def db(self) -> Session:
        return Session(self.live["engine"])

    def sms(self, kind: str, phone: str) -> str:
        from mediation_svc.notifications.models import OutboxMessage

        with self.db() as session:
            message = session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind,
                                                               OutboxMessage.recipient.endswith(phone[-8:]))
                                   .order_by(OutboxMessage.id.desc())).first()
        assert message is not None, f"no {kind} text message to {phone}"
        return message.body


def choose_representative(story: Story, page, bank, prefix: str = "") -> str:
    """Who signs for the bank: an institution on the platform signs through one of its accounts (issue 17),
    picked from the select; otherwise the officer types the person in. Returns the phone the link goes to."""
    choice = page.locator(f"#{prefix}rep_{bank.id}_choice")
    if choice.count():
        from mediation_svc.accounts.models import User
        from mediation_svc.complaints.models import InstitutionAccount

        with story.db() as session:
            user = session.exec(select(User).join(InstitutionAccount, InstitutionAccount.user_id == User.id)
                                .where(InstitutionAccount.institution_id == bank.institution_id)
                                .order_by(User.id)).first()
            phone = user.phone
        choice.select_option(value=f"account:{user.id}")
    else:
        page.locator(f"#{prefix}rep_{bank.id}_name").fill("吴海峰")
        phone = "13600136000"
        page.locator(f"#{prefix}rep_{bank.id}_phone").fill(phone)
    from tests.factories import resident_id

    page.locator(f"#{prefix}rep_{bank.id}_id").fill(resident_id(birth="19800115", sequence=77))
    return phone


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript expression (page.wait_for_function would need 'unsafe-eval', which our CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def _signing_link(body: str) -> str:
    return "/s/" + re.search(r"/s/([0-9A-Z]{12})", body).group(1)


def _letter_pdf(path: Path) -> Path:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.save(path)
    return path


# -- the officer's steps with their confirmations (issue 20) -------------------------------------------------

def officer_sends_session_notice(story: Story, officer) -> None:
    """The session notice (调解通知书) from the case page, to every participant, the institution included."""
    assert officer.locator("#week-label").inner_text().startswith(("本周", "下周", "上周"))
    officer.locator("button.send-notice").first.click()
    officer.wait_for_url(re.compile(r".*ok=notice_sent.*"), wait_until="domcontentloaded")
    assert "调解通知书已发送给" in officer.locator(".flash").inner_text()
    story.shot(officer, "session-notice-sent", full_page=False)


def confirm_step(story: Story, page, step: str) -> None:
    """A step that cannot be taken back shows its summary first; the person reads it and confirms."""
    page.wait_for_selector(f"#confirm-{step}")
    assert page.locator(f"#confirm-{step} dl").inner_text().strip()
    story.shot(page, f"confirm-{step}", full_page=False)
    page.locator("#confirm").click()


def officer_reads_the_timeline(story: Story, officer, case_id: int) -> None:
    """The case's history in words, the chain checked, the raw entry folded away."""
    officer.goto(f"/cases/{case_id}/audit")
    assert "记录完整" in officer.locator("#chain-status").inner_text()
    assert officer.locator(".timeline .entry").count() >= 10
    assert "加盖调解中心印章" in officer.locator(".timeline").inner_text()
    assert not officer.locator(".timeline .raw pre").first.is_visible()  # one click away, not in the way
    story.shot(officer, "audit-timeline")


# --- signing on a phone (helper 14): a 360x640 screen, 大字模式, the key made in the browser ---------------------

SMALL_PHONE = {"width": 360, "height": 640}
SMS_LIMIT = 140
MIN_TAP = 44  # px, WCAG 2.5.5 target size
MIN_BODY_PX = 18


def phone_page_problems(page) -> list[str]:
    """What a person would trip over on this page: horizontal scrolling, tap targets under 44 px, raw JSON,
    a page with no Chinese (an English-only message), a template key shown instead of its text."""
    facts = page.evaluate("""() => {
        const small = [];
        for (const el of document.querySelectorAll('a, button, input:not([type=hidden]), select, label.check, canvas')) {
            const r = el.getBoundingClientRect(), style = getComputedStyle(el);
            if (r.width === 0 || r.height === 0 || style.visibility === 'hidden' || r.right < 0 || r.left > innerWidth) continue;
            if (el.type === 'checkbox' && el.closest('label.check')) continue;  // the label is the target
            if (r.height < 44 || r.width < 44) small.push(`${el.tagName}#${el.id || ''} "${(el.innerText || el.value || '').slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
        }
        return {scroll: document.documentElement.scrollWidth, width: innerWidth, text: document.body.innerText, small};
    }""")
    problems = []
    if facts["scroll"] > facts["width"]:
        problems.append(f"horizontal scroll: {facts['scroll']} > {facts['width']}")
    problems += [f"tap target under {MIN_TAP} px: {s}" for s in facts["small"]]
    text = facts["text"]
    if re.search(r'\{\s*"(type|detail|title)"', text) or text.lstrip().startswith("{"):
        problems.append("raw JSON on the page")
    if not re.search(r"[\u4e00-\u9fff]", text):
        problems.append("no Chinese on the page")
    if re.search(r"\bsign\.[a-z_.]+\b", text):
        problems.append("a catalogue key instead of its text")
    return problems


class PhoneVisit:
    """One signer's phone: every page reached is checked as it is shown (phone_page_problems)."""

    def __init__(self, story: Story, name: str) -> None:
        self.story, self.name = story, name
        self.page = story.page(SMALL_PHONE)
        self.seen: list[str] = []

    def check(self, label: str) -> None:
        problems = phone_page_problems(self.page)
        self.seen.append(label)
        assert problems == [], f"{self.name} / {label}: {problems}"

    def goto(self, url: str, label: str) -> None:
        self.page.goto(url)
        self.check(label)


def agreement_body_px(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.querySelector('#agreement-text p')).fontSize)")


def scroll_to_the_end(page) -> None:
    page.locator("#end-of-document").scroll_into_view_if_needed()
    wait_until(page, "!document.getElementById('consent').disabled")


def draw_signature(page) -> None:
    canvas = page.locator("#signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 100)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(box["x"] + 30 + i * 11, box["y"] + 100 - (40 if i % 4 < 2 else -20), steps=2)
    page.mouse.up()


def read_consent_and_sign(visit: PhoneVisit, step: str) -> None:
    """On the agreement page: big text, read to the end, tick, draw, sign with the browser's own key."""
    page = visit.page
    assert page.locator("#agreement-text p").count() > 3  # the agreement as text, not page images
    assert agreement_body_px(page) >= MIN_BODY_PX
    assert re.fullmatch(r"[0-9a-f]{64}", page.locator("#doc-sha256").inner_text())
    assert page.evaluate("window.isSecureContext && !!crypto.subtle")  # 127.0.0.1 is a secure context
    visit.story.shot(page, f"{step}-document", full_page=False)
    assert page.locator("#consent").is_disabled()  # not before the end of the agreement
    scroll_to_the_end(page)
    page.locator("label.big-check").click()
    assert page.locator("#consent").is_checked()
    page.locator("#confirm").click()  # nothing drawn yet: the page says so and sends nothing
    assert page.locator("#empty-signature").is_visible()
    draw_signature(page)
    visit.story.shot(page, f"{step}-drawn", full_page=False)
    page.locator("#confirm").click()
    page.wait_for_selector("#sign-message")
    assert "您已签署" in page.locator("h1").inner_text()
    visit.check("signed")
    visit.story.shot(page, f"{step}-done", full_page=False)
    page.reload()  # a refresh after signing: the same plain page
    assert "您已签署" in page.locator("h1").inner_text()
    visit.check("signed, refreshed")
    page.go_back()
    visit.check("back button")


def sign_on_phone(story: Story, sms: str, phone: str, id_last4: str, name: str, large: bool = False) -> None:
    """A party signs from the SMS on a 360x640 phone; with 大字模式 switched on when ``large``."""
    assert len(sms) < SMS_LIMIT, sms
    link = _signing_link(sms)
    visit = PhoneVisit(story, name)
    page = visit.page
    visit.goto(link, "link")
    if large:  # an elderly signer switches to larger text; the link still works afterwards
        page.locator("#text-size").click()
        page.wait_for_selector("body.large-text")
        assert page.url.endswith(link)
        visit.check("larger text")
    page.locator("#send-code").click()
    page.wait_for_selector("#verify-form")
    visit.check("code form")
    assert ("large-text" in (page.locator("body").get_attribute("class") or "")) == large
    code = re.search(r"验证码\s*(\d{6})", story.sms("signing.otp", phone)).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_label("证件号码后 4 位").fill(id_last4)
    story.shot(page, f"{name}-code", full_page=False)
    page.locator("#verify").click()
    page.wait_for_url("**/sign/session", wait_until="domcontentloaded")
    visit.check("agreement")
    read_consent_and_sign(visit, name)
    visit.goto(link, "link after signing")  # the link now says plainly that this signer has signed
    assert "您已签署" in page.locator("#sign-message").inner_text() or "您已签署" in page.inner_text("h1")
    page.goto(f"{link}?lang=en")  # English by choice: the same state in English, the hotline still there
    assert "You have signed" in page.inner_text("h1") and "4009-888-188" in page.inner_text("body")
    page.goto(f"{link}?lang=zh-CN")
    page.context.close()


def check_download_on_paper(story: Story, document_id: str, signed: bytes, which: str) -> None:
    """What the browser downloaded, printed: each signer's mark in their block, the red seal over 调解组织（印章）,
    footer and text untouched, no default stamp text (tests/signing/paper.py); its pages are kept to look at."""
    from mediation_svc.documents.models import Document
    from tests.signing.paper import check_signed_on_paper, keep_pages

    with story.db() as session:
        unsigned = session.get(Document, document_id).pdf
    first = "申请人（签名或按指印）"
    check_signed_on_paper(unsigned, signed, signers={"party-1": first, "party-2": "授权代表（签名）",
                                                     "mediator": "调解员（签名）", "seal": "调解组织（印章）"})
    for path in keep_pages(signed, f"story-{which}-signed"):
        shutil.copyfile(path, ARTIFACTS / path.name)


@pytest.mark.timeout(900)  # the whole story, with every signed page rendered and checked, on a shared machine

def mediator_signs_from_console(story: Story, page, case_url: str, phone: str, name: str) -> None:
    """The mediator, logged in, taps 签署 on the case: the SMS code, then the same agreement page."""
    page.goto(case_url)
    page.set_viewport_size(SMALL_PHONE)
    page.locator("#mediator-sign").click()
    page.wait_for_selector("#verify-form")
    code = re.search(r"验证码\s*(\d{6})", story.sms("signing.otp", phone)).group(1)
    page.locator("#code").fill(code)
    page.locator("#verify").click()
    page.wait_for_url("**/sign/session", wait_until="domcontentloaded")
    visit = PhoneVisit.__new__(PhoneVisit)
    visit.story, visit.name, visit.page, visit.seen = story, name, page, []
    read_consent_and_sign(visit, name)
    page.set_viewport_size(DESKTOP)


def test_the_whole_story(live_server, browser, tmp_path):
    story = Story(browser, live_server)
    try:
        walk_the_story(story, tmp_path)
        assert story.csp_violations == []  # our own scripts, styles and images all pass the pages' CSP
    except Exception:
        story.failure_shots()  # what each browser showed when the story broke
        raise


def walk_the_story(story: Story, tmp_path: Path) -> None:
    from mediation_svc.accounts.models import User
    from mediation_svc.cases.models import Case, CaseParty
    from mediation_svc.documents.models import Document
    from tests.factories import resident_id

    applicant_id = resident_id(birth="19560704", sequence=218)

    # -- the consumer applies for mediation from a 360-pixel phone, with a photo; the officer checks it and opens
    #    the case, accepts it, assigns the top candidate, schedules, starts mediation --
    consumer, application_number = consumer_story.consumer_applies(story, tmp_path, id_number=applicant_id)
    officer = story.page()
    story.login(officer, "officer.li")
    story.shot(officer, "officer-dashboard")
    case_id = consumer_story.officer_accepts_the_application(story, officer, application_number)
    case_url = f"/cases/{case_id}"
    officer.goto(case_url)
    case_url = officer.url.split("?")[0]
    assert "¥86,000.00" in officer.locator("#h-details + dl").inner_text()  # the amount as typed, read and shown
    officer.locator('button[data-status="accepted"]').click()
    officer.wait_for_selector("li.candidate")
    story.shot(officer, "candidates")
    top = officer.locator("li.candidate").first
    top_name = top.locator(".cand-name").inner_text()
    top.locator("button.assign").click()
    officer.wait_for_url(re.compile(r".*ok=assigned.*"), wait_until="domcontentloaded")
    assert officer.locator("#current-mediator").inner_text() == top_name

    officer.locator("#mode").select_option("remote")
    officer.get_by_role("button", name="查找", exact=True).click()
    officer.wait_for_selector("button.book")
    officer.locator("button.book").first.click()
    officer.wait_for_url(re.compile(r".*ok=booked.*"), wait_until="domcontentloaded")
    assert officer.locator(".week .event").count() == 1
    story.shot(officer, "week-calendar")
    officer_sends_session_notice(story, officer)
    with story.db() as session:
        case_number = session.get(Case, case_id).number
    consumer_story.consumer_follows_the_session(story, consumer, case_number, id_last4=applicant_id[-4:])
    consumer_story.consumer_writes_and_officer_answers(story, consumer, officer, case_url)
    officer.set_viewport_size(PHONE)  # the same page on a 390-pixel screen: nothing wider than the screen
    assert officer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    story.shot(officer, "case-on-phone")
    officer.set_viewport_size(DESKTOP)
    officer.locator('button[data-status="in_mediation"]').click()
    officer.wait_for_url(re.compile(r".*ok=moved.*"), wait_until="domcontentloaded")

    with story.db() as session:
        case = session.get(Case, case_id)
        mediator = session.get(User, case.mediator_user_id)
        bank = next(p for p in session.exec(select(CaseParty).where(CaseParty.case_id == case_id)).all()
                    if p.kind == "institution")
        assert mediator.display_name == top_name and case.status == "in_mediation"
        case_number = case.number

    # -- the mediator drafts with the live preview, saves, finalises and sends for signing --
    med = story.page()
    story.login(med, mediator.username)
    med.goto(f"/cases/{case_id}/draft")
    med.locator("#dispute_summary").fill("申请人住院后申请理赔，被申请人以等待期内发病为由拒赔。经调解，双方同意按合同约定的比例赔付。")
    med.locator("#pay_payer_0").fill(bank.name)
    med.locator("#pay_payee_0").fill("周美华")
    med.locator("#pay_amount_0").fill("64500.00")
    med.locator("#pay_due_0").fill("2026-12-31")
    med.locator("#pay_method_0").fill("银行转账")
    with med.expect_response(lambda r: r.url.endswith("/draft/preview") and r.status == 200) as preview:
        med.locator("#clauses").fill("申请人放弃其他请求。")
    assert preview.value.headers["content-type"] == "application/pdf"  # the form as typed, rendered
    wait_until(med, "document.getElementById('preview').src.startsWith('blob:')")
    med.locator("#save-draft").click()
    med.wait_for_url(re.compile(r".*ok=saved.*"), wait_until="domcontentloaded")
    med.wait_for_load_state("load")
    wait_until(med, "document.getElementById('preview').src.includes('/preview.pdf')")
    story.shot(med, "drafting")
    # With the keyboard: Chromium's PDF viewer in the preview frame may take the first mouse click for itself.
    med.locator("#finalise").press("Enter")
    confirm_step(story, med, "finalise")
    med.wait_for_url(re.compile(r".*ok=finalised.*"), wait_until="domcontentloaded")
    bank_phone = choose_representative(story, med, bank)
    med.locator("#open-signing button[type=submit]").click()
    med.wait_for_url(re.compile(r".*ok=signing.*"), wait_until="domcontentloaded")

    # -- the officer files and accepts the representative's letter of authorisation --
    officer.goto(case_url)
    officer.locator("form.letter input[type=file]").set_input_files(str(_letter_pdf(tmp_path / "letter.pdf")))
    officer.locator("form.letter input[name=checked]").check()
    officer.locator("form.letter button").click()
    officer.wait_for_url(re.compile(r".*ok=signing.*"), wait_until="domcontentloaded")
    assert officer.locator("#signing-status").inner_text() == "签署中"
    story.shot(officer, "signing-progress")

    # -- both parties sign on a phone, then the mediator; the officer seals --
    sign_on_phone(story, story.sms("signing.link", "13912345678"), "13912345678", applicant_id[-4:], "applicant",
                  large=True)
    sign_on_phone(story, story.sms("signing.link", bank_phone), bank_phone,
                  resident_id(birth="19800115", sequence=77)[-4:], "bank")
    with story.db() as session:
        mediator_phone = session.get(User, mediator.id).phone
    mediator_signs_from_console(story, med, case_url, mediator_phone, "mediator")
    officer.goto(case_url)
    officer.locator("#apply-seal").click()
    confirm_step(story, officer, "seal")
    officer.wait_for_url(re.compile(r".*ok=sealed.*"), wait_until="domcontentloaded")
    assert officer.locator("#signing-status").inner_text() == "已完成"
    story.shot(officer, "signed")
    with story.db() as session:
        document = session.exec(select(Document).where(Document.case_id == case_id,
                                                       Document.kind == "agreement")).one()
    officer_reads_the_timeline(story, officer, case_id)
    signed = officer.request.get(f"/documents/{document.id}/signed.pdf")
    assert signed.ok
    signed_path = tmp_path / "signed.pdf"
    signed_path.write_bytes(signed.body())
    check_download_on_paper(story, document.id, signed.body(), "agreement")
    consumer_story.consumer_receives_the_signed_agreement(story, consumer, case_number, id_last4=applicant_id[-4:],
                                                          signed=signed.body())

    # -- a court clerk verifies the signed file, then a tampered copy --
    court = story.page()
    court.goto("/login")  # the clerk logs in with the keyboard alone: skip link first, then the form
    court.keyboard.press("Tab")
    assert court.evaluate("document.activeElement.className") == "skip"
    court.locator("#username").focus()
    court.keyboard.type("court.tianhe")
    court.keyboard.press("Tab")
    from mediation_svc.demo import DEMO_PASSWORD

    court.keyboard.type(DEMO_PASSWORD)
    court.keyboard.press("Enter")
    court.wait_for_url("**/dashboard", wait_until="domcontentloaded")
    court.goto("/verify")
    court.locator("#file").set_input_files(str(signed_path))
    court.locator("#verify-upload button").click()
    court.wait_for_selector(".verdict")
    assert court.locator("#verdict").get_attribute("data-verdict") == "authentic"
    assert "本中心签署" in court.locator(".verdict").inner_text()
    assert court.locator("article.sig.pass").count() >= 4  # two parties, the mediator, the seal
    assert court.locator("article.sig.fail").count() == 0
    story.shot(court, "verify-passed")

    data = bytearray(signed_path.read_bytes())
    at = data.index(b"stream", 2000) + 40
    data[at] ^= 0x01  # one bit inside a stream of the signed revision
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    court.goto("/verify")
    court.locator("#file").set_input_files(str(tampered))
    court.locator("#verify-upload button").click()
    court.wait_for_selector(".verdict")
    assert court.locator("#verdict").get_attribute("data-verdict") == "changed"
    assert "签署后被改动" in court.locator(".verdict").inner_text()
    assert court.locator("article.sig.fail").count() >= 1
    story.shot(court, "verify-tampered")

    # the code printed on every page leads to the same verdict
    court.goto(f"/verify/code/{document.verification_code}")
    assert court.locator("#verdict").get_attribute("data-verdict") == "authentic"
    court.set_viewport_size(PHONE)
    assert court.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    story.shot(court, "verify-code-phone")
    court.set_viewport_size(DESKTOP)

    # -- judicial confirmation: the joint application is signed like the agreement, filed, shared, ruled --
    rep_id = resident_id(birth="19800115", sequence=77)
    officer.goto(case_url)
    bank_phone = choose_representative(story, officer, bank, prefix="japp_")
    officer.locator("#start-application button[type=submit]").click()
    officer.wait_for_url(re.compile(r".*ok=signing.*"), wait_until="domcontentloaded")
    officer.locator("form.letter input[type=file]").set_input_files(str(tmp_path / "letter.pdf"))
    officer.locator("form.letter input[name=checked]").check()
    officer.locator("form.letter button").click()
    officer.wait_for_url(re.compile(r".*ok=signing.*"), wait_until="domcontentloaded")
    consumer_story.consumer_sees_the_application_to_sign(story, consumer, case_number)
    sign_on_phone(story, story.sms("signing.link", "13912345678"), "13912345678", applicant_id[-4:],
                  "applicant-application")
    sign_on_phone(story, story.sms("signing.link", bank_phone), bank_phone, rep_id[-4:], "bank-application")
    mediator_signs_from_console(story, med, case_url, mediator_phone, "mediator-application")
    officer.goto(case_url)
    officer.locator("#apply-seal").click()
    confirm_step(story, officer, "seal")
    officer.wait_for_url(re.compile(r".*ok=sealed.*"), wait_until="domcontentloaded")
    officer.locator("#build-package").click()
    officer.wait_for_url(re.compile(r".*ok=filed.*"), wait_until="domcontentloaded")
    officer.locator("#court_user_id").select_option(label="广州市天河区人民法院立案庭")
    officer.locator("#share").click()
    officer.wait_for_url(re.compile(r".*ok=shared.*"), wait_until="domcontentloaded")

    court.goto("/dashboard")
    court.get_by_role("link", name=case_number).click()
    package = court.request.get(court.locator("#evidence-package").get_attribute("href"))
    assert package.ok and package.body().startswith(b"PK")  # the ZIP the court files
    with story.db() as session:
        from mediation_svc.judicial.models import JudicialApplication

        application_id = session.exec(select(JudicialApplication).where(JudicialApplication.case_id == case_id)
                                      ).one().application_document_id
    check_download_on_paper(story, application_id, zipfile.ZipFile(io.BytesIO(package.body()))
                            .read("application-signed.pdf"), "application")
    court.locator('input[name=decision][value=confirmed]').check()
    court.locator("#ruling_number").fill("（2026）粤0106民特123号")
    story.shot(court, "court-ruling-form")
    court.locator("#ruling-form button[type=submit]").click()
    court.wait_for_url(re.compile(r".*ok=ruled.*"), wait_until="domcontentloaded")
    assert "（2026）粤0106民特123号" in court.locator("#ruling").inner_text()
    story.shot(court, "court-ruled")
    with story.db() as session:
        assert session.get(Case, case_id).status == "confirmed"

    # -- the center's statistics: server-made SVG charts that the browser actually draws --
    officer.goto("/statistics")
    wait_until(officer, "[...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)")
    assert officer.locator("img.chart").count() == 6
    story.shot(officer, "statistics")
    officer.set_viewport_size(PHONE)
    assert officer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
