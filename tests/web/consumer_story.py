"""The consumer's part of the whole story (test_story_browser), on a 360x640 phone: they apply online with
evidence, follow the case, take the session into their calendar and download its notice, write to the officer and
read the answer, receive the final signed agreement, and see the joint application waiting for their signature."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

CONSUMER = {"width": 360, "height": 640}
PHONE_NUMBER = "13912345678"


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= CONSUMER["width"], page.url


def consumer_proves_the_phone(story, page) -> None:
    page.goto("/my")
    page.locator("#phone").fill("139 1234 5678")
    page.locator("#send-code").click()
    code = re.search(r"\d{6}", story.sms("selfservice.code", PHONE_NUMBER)).group(0)
    page.locator("#code").fill(code)
    page.locator("#verify").click()
    page.wait_for_url(re.compile(r".*/my/.*"), wait_until="domcontentloaded")


def consumer_applies(story, tmp_path: Path, *, id_number: str) -> tuple[object, str]:
    """The application for mediation, from the phone, with a photo of the policy; returns (page, its number)."""
    from PIL import Image

    page = story.page(viewport=CONSUMER)
    consumer_proves_the_phone(story, page)
    page.locator("#self-apply").click()
    page.locator("#what-mediation").check()
    page.locator("#consumer_name").fill("周美华")
    page.locator("#consumer_id_number").fill(id_number)
    page.locator("#institution_id").select_option(index=1)
    page.locator("#category_code").select_option("insurance_claim")
    page.locator("#facts").fill("申请人住院治疗后申请医疗险理赔，被申请人以等待期内发病为由拒赔。")
    page.locator("#request").fill("请求被申请人按合同支付医疗保险金。")
    page.locator("#amount").fill("8.6万")  # as people type it
    page.locator("#preferred_language").fill("粤语")
    photo = tmp_path / "policy.jpg"
    Image.new("RGB", (80, 60), (40, 80, 160)).save(photo, "JPEG")
    page.locator("#evidence").set_input_files(str(photo))
    page.locator("#consent").check()
    no_sideways_scroll(page)
    story.shot(page, "consumer-applies")
    page.locator("#apply-submit").click()
    page.wait_for_url(re.compile(r".*/my/matters.*"), wait_until="domcontentloaded")
    number = page.locator("main .flash").inner_text().split("您的编号是")[1].split("，")[0].strip()
    assert number in story.sms("selfservice.applied", PHONE_NUMBER)  # the number by SMS too
    return page, number


def officer_accepts_the_application(story, officer, number: str) -> int:
    """The officer checks the application on the complaint page and opens the case; returns its id."""
    from mediation_svc.complaints.models import Contact

    with story.db() as session:
        contact_id = session.exec(select(Contact.id).where(Contact.number == number)).one()
    officer.goto(f"/complaints/{contact_id}")
    assert "消费者在线提交：请先审核" in officer.locator("#review").inner_text()
    story.shot(officer, "officer-checks-application")
    officer.locator("#review-accept").click()
    officer.wait_for_url(re.compile(r".*ok=review_case.*"), wait_until="domcontentloaded")
    with story.db() as session:
        case_id = session.exec(select(Contact.case_id).where(Contact.number == number)).one()
    assert case_id is not None
    return case_id


def consumer_follows_the_session(story, page, case_number: str, *, id_last4: str) -> None:
    """The case on /my: the session with its calendar entry, the notice among the documents (ID check)."""
    from icalendar import Calendar

    page.goto("/my/matters")
    page.get_by_role("link", name=case_number).click()
    page.wait_for_selector("#case-status")
    assert "调解员" in page.inner_text("main") and "尚未指派" not in page.inner_text("main")
    with page.expect_download() as ics:
        page.locator("a[id^=ics-]").first.click()
    event = next(c for c in Calendar.from_ical(Path(ics.value.path()).read_bytes()).walk() if c.name == "VEVENT")
    assert case_number in str(event.get("summary"))
    notice = page.locator("li:has(input[name=id_last4])", has_text="调解通知书").first
    notice.locator("input[name=id_last4]").fill(id_last4)
    with page.expect_download() as pdf:
        notice.locator("button").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")  # the notice, downloaded
    assert "policy.jpg" in page.inner_text("#evidence ~ ul")  # the application's photo is the case's evidence
    no_sideways_scroll(page)
    story.shot(page, "consumer-follows-the-case")


def consumer_writes_and_officer_answers(story, page, officer, case_url: str) -> None:
    page.locator("#talk-text").fill("请问可以视频调解吗？我腿脚不方便。")
    page.locator("#talk-send").click()
    page.wait_for_url(re.compile(r".*ok=self_talk_sent.*"), wait_until="domcontentloaded")
    officer.goto(case_url)
    assert "请问可以视频调解吗" in officer.locator("#thread").inner_text()
    officer.locator("#thread-text").fill("可以，已为您安排视频调解，链接见调解通知书。")
    officer.locator("#thread-send").click()
    officer.wait_for_url(re.compile(r".*ok=thread_sent.*"), wait_until="domcontentloaded")
    assert "调解中心答复了您" in story.sms("case.message_reply", PHONE_NUMBER)
    page.reload()
    assert "已为您安排视频调解" in page.locator("#thread").inner_text()
    story.shot(page, "consumer-reads-the-answer")


def consumer_receives_the_signed_agreement(story, page, case_number: str, *, id_last4: str, signed: bytes) -> None:
    page.goto("/my/matters")
    page.get_by_role("link", name=case_number).click()
    agreement = page.locator("li:has(input[name=id_last4])", has_text="调解协议书").first
    agreement.locator("input[name=id_last4]").fill(id_last4)
    with page.expect_download() as download:
        agreement.locator("button").click()
    assert Path(download.value.path()).read_bytes() == signed  # the final copy, all signatures and the seal
    story.shot(page, "consumer-receives-the-agreement")


def consumer_sees_the_application_to_sign(story, page, case_number: str) -> None:
    page.goto("/my/matters")
    page.get_by_role("link", name=case_number).click()
    waiting = page.locator("[id^=to-sign-]", has_text="申请书")
    assert waiting.count() >= 1 and "待签署" in waiting.first.inner_text()
    no_sideways_scroll(page)
    story.shot(page, "consumer-application-to-sign")
