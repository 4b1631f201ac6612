"""The signer's pages through a TestClient (playing the phone's browser, with its own WebCrypto-like key): the
letter filed on the case page, the short link, code and ID check, the agreement as reflowing text, consent and
drawing, the key made "in the browser"; and a plain Chinese page, with the hotline, in every other state."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import update
from sqlmodel import Session, select

from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.signing.models import SigningParticipant, SigningRequest
from mediation_svc.signing.remote_key import possession_message
from tests.signing.flow import (REP_ID, REP_PHONE, BrowserKey, code_from_sms, institution_party, latest_sms,
                                link_from_sms, walk_to_drafting)

from .conftest import csrf_of

HOTLINE = "4009-888-188"


def _blank_pdf() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _drawing() -> str:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 150), (200, 40), (380, 160), (580, 60)], fill=(0, 0, 0, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def signing_case(client, make_user, make_case, login, engine, settings):
    """A case whose agreement (rendered, with text) is out for signing; the officer filed the bank's letter."""
    from tests.signing.flow import finalise_agreement

    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="王敏", phone="13900000001")
    case = make_case(officer=officer)
    walk_to_drafting(engine, case.id, mediator)
    document = finalise_agreement(engine, settings, case.id, officer)
    bank = institution_party(engine, case.id)
    c = login(officer)
    page = c.get(f"/cases/{case.id}").text
    opened = c.post(f"/cases/{case.id}/signing", data={
        "csrf_token": csrf_of(page), "document_id": document.id, "days": "7",
        f"rep_{bank.id}_name": "吴海峰", f"rep_{bank.id}_phone": REP_PHONE, f"rep_{bank.id}_id": REP_ID},
        follow_redirects=False)
    assert opened.status_code == 303, opened.text
    page = c.get(f"/cases/{case.id}").text
    action = re.search(r'action="(/cases/\d+/signing/\d+/letters/\d+)"', page).group(1)
    filed = c.post(action, data={"csrf_token": csrf_of(page), "checked": "1"},
                   files={"letter": ("letter.pdf", _blank_pdf(), "application/pdf")}, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    c.cookies.clear()
    return {"case": case, "document": document, "officer": officer, "mediator": mediator}


def prove(client, engine, name: str, id_last4: str, link: str | None = None):
    link = link or link_from_sms(engine, name)
    start = client.get(f"/s/{link}")
    assert start.status_code == 200 and "发送验证码" in start.text and HOTLINE in start.text
    sent = client.post(f"/s/{link}/code", data={"csrf_token": csrf_of(start.text)})
    assert sent.status_code == 200 and "验证码已发送至" in sent.text
    verified = client.post(f"/s/{link}/verify", data={"csrf_token": csrf_of(sent.text),
                                                      "code": code_from_sms(engine, name), "id_last4": id_last4},
                           follow_redirects=False)
    assert verified.status_code == 303 and verified.headers["location"] == "/sign/session", verified.text
    return link


def sign_in_browser(client, page: str, key=None):
    key = key or BrowserKey()
    csrf = csrf_of(page)
    challenge = re.search(r'data-challenge="([^"]+)"', page).group(1)
    prepared = client.post("/sign/session/prepare", data={
        "csrf_token": csrf, "consent": "1", "drawing": _drawing(),
        "public_key": base64.b64encode(key.spki()).decode(),
        "possession": base64.b64encode(key.sign(possession_message(challenge))).decode()})
    assert prepared.status_code == 200, prepared.text
    attrs = base64.b64decode(prepared.json()["attributes"])
    return client.post("/sign/session/finish", data={"csrf_token": csrf,
                                                     "signature": base64.b64encode(key.sign(attrs)).decode()})


def test_a_party_signs_with_a_key_made_in_her_browser(client, engine, signing_case):
    sms = latest_sms(engine, kind="signing.link", name="陈秀兰").body
    assert len(sms) <= 134 and re.search(r"/s/[0-9A-Z]{12} ", sms) and "月" in sms and HOTLINE in sms
    prove(client, engine, "陈秀兰", "1235")
    cookie = next(h for h in client.cookies.jar if h.name == "msvc_signer")
    assert cookie.path == "/sign"
    document = client.get("/sign/session")
    assert document.status_code == 200
    text = document.text
    # the agreement as text, bound to the finalised document's hash; the original layout one tap away
    assert signing_case["document"].sha256 in text and "查看原件版式" in text and "经调解" in text
    assert "调解中心拿不到" in text and "/sign/legal" in text  # the two plain sentences, and the full text
    no_drawing = client.post("/sign/session/prepare", data={"csrf_token": csrf_of(text), "consent": "1"})
    assert no_drawing.status_code == 422 and no_drawing.json()["message"] == "请先签名。"
    done = sign_in_browser(client, text)
    assert done.status_code == 200 and done.json()["next"] == "/sign/session"
    with Session(engine) as s:
        me = s.exec(select(SigningParticipant).where(SigningParticipant.name == "陈秀兰")).one()
        assert me.status == "signed" and me.key_origin == "signer_device"
    # refresh, the back button, the language and text-size switches: a plain page, never JSON
    for url in ("/sign/session", "/sign/session/finish", "/sign/session/prepare", "/sign/session?lang=en",
                "/sign/session/confirm"):
        page = client.get(url)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), url
        assert ("您已签署" in page.text or "You have signed" in page.text) and HOTLINE in page.text, url
    client.cookies.set("msvc_lang", "zh-CN")
    again = client.get(f"/s/{link_from_sms(engine, '陈秀兰')}")
    assert "您已签署" in again.text


def test_a_second_browser_proves_again_and_continues(client, app, engine, signing_case):
    from fastapi.testclient import TestClient

    link = prove(client, engine, "陈秀兰", "1235")
    first = client.get("/sign/session")
    assert first.status_code == 200
    with unit_of_work(engine) as s:  # the resend gap has passed
        s.execute(update(SigningParticipant).where(SigningParticipant.name == "陈秀兰")
                  .values(otp_sent_at=utcnow() - timedelta(minutes=2)))
    with TestClient(app) as other:
        prove(other, engine, "陈秀兰", "1235", link)
        page = other.get("/sign/session")
        assert page.status_code == 200 and "确认签署" in page.text
        stale = client.get("/sign/session")  # the first browser now says where signing went
        assert "已在其他设备上继续" in stale.text and HOTLINE in stale.text
        assert sign_in_browser(other, page.text).status_code == 200


def test_each_state_has_its_own_plain_page(client, engine, signing_case, login):
    link = link_from_sms(engine, "吴海峰")
    page = client.get(f"/s/{link}")
    sent = client.post(f"/s/{link}/code", data={"csrf_token": csrf_of(page.text)})
    too_soon = client.post(f"/s/{link}/code", data={"csrf_token": csrf_of(sent.text)})
    assert too_soon.status_code == 429 and "验证码刚刚已经发出" in too_soon.text and "{" not in too_soon.text
    statuses = []
    for _ in range(5):
        r = client.post(f"/s/{link}/verify", data={"csrf_token": csrf_of(sent.text), "code": "000000",
                                                   "id_last4": REP_ID[-4:]})
        statuses.append(r.status_code)
    assert statuses[:4] == [401] * 4 and statuses[4] == 423 and "已暂停" in r.text
    assert "还可以试" in client.get(f"/s/{link}").text or client.get(f"/s/{link}").status_code == 423

    login(signing_case["officer"])  # the center sends a new link: the old one says it is old
    case_page = client.get(f"/cases/{signing_case['case'].id}").text
    action = re.search(r'action="(/cases/\d+/signing/\d+/participants/\d+/link)"[^>]*>\s*<input[^>]+>\s*'
                       r'<button[^>]+aria-label="重发签署链接 吴海峰"', case_page).group(1)
    assert client.post(action, data={"csrf_token": csrf_of(case_page)}, follow_redirects=False).status_code == 303
    assert "已发送链接" in client.get(f"/cases/{signing_case['case'].id}").text  # the officers' timeline
    client.cookies.clear()
    fresh = link_from_sms(engine, "吴海峰")
    assert fresh != link and client.get(f"/s/{fresh}").status_code == 200
    old = client.get(f"/s/{link}")
    assert old.status_code == 410 and "最新一条短信" in old.text

    for url, words in ((f"/s/{'Z' * 12}", "打不开"), ("/s/short", "打不开"), ("/sign/eyJhbGciOi.x.y", "打不开"),
                       ("/sign/session", "请先验证身份"), ("/sign/session/original", "请先验证身份")):
        r = client.get(url)
        assert r.headers["content-type"].startswith("text/html") and words in r.text and HOTLINE in r.text, url
    with unit_of_work(engine) as s:
        s.execute(update(SigningRequest).values(deadline_at=utcnow() - timedelta(minutes=1)))
    expired = client.get(f"/s/{fresh}")
    assert expired.status_code == 410 and "签署已过截止时间" in expired.text
    english = client.get(f"/s/{fresh}?lang=en")
    assert "The signing deadline has passed" in english.text and HOTLINE in english.text


def test_after_the_seal_every_signer_is_told_and_downloads_the_final_copy(client, engine, signing_case, login,
                                                                         settings):
    for name, last4 in (("陈秀兰", "1235"), ("吴海峰", REP_ID[-4:])):
        prove(client, engine, name, last4)
        assert sign_in_browser(client, client.get("/sign/session").text).status_code == 200
        client.cookies.clear()
    mediator_sms = latest_sms(engine, kind="signing.mediator_turn", name="王敏").body
    assert "登录调解平台" in mediator_sms and "/s/" not in mediator_sms
    login(signing_case["mediator"])  # the mediator signs from the console: logged in, then the SMS code
    case_url = f"/cases/{signing_case['case'].id}"
    case_page = client.get(case_url).text
    action = re.search(r'action="(/cases/\d+/signing/\d+/mediator/code)"', case_page).group(1)
    form = client.post(action, data={"csrf_token": csrf_of(case_page)})
    assert form.status_code == 200 and "验证码已发送至" in form.text
    verified = client.post(action.replace("/code", "/verify"),
                           data={"csrf_token": csrf_of(form.text), "code": code_from_sms(engine, "王敏")},
                           follow_redirects=False)
    assert verified.status_code == 303
    assert sign_in_browser(client, client.get("/sign/session").text).status_code == 200
    client.cookies.clear()
    login(signing_case["officer"])
    case_page = client.get(case_url).text
    seal = re.search(r'id="apply-seal" href="(/cases/\d+/signing/\d+/seal)"', case_page).group(1)
    summary = client.get(seal).text  # the summary to confirm, then 确认盖章
    assert client.post(seal, data={"csrf_token": csrf_of(summary)}, follow_redirects=False).status_code == 303
    client.cookies.clear()

    told = latest_sms(engine, kind="signing.completed", name="陈秀兰").body
    assert "已生效" in told and len(told) <= 134
    link = link_from_sms(engine, "陈秀兰", kind="signing.completed")
    with unit_of_work(engine) as s:  # days later, not within the minute between two codes
        s.execute(update(SigningParticipant).values(otp_sent_at=utcnow() - timedelta(days=2)))
    start = client.get(f"/s/{link}")
    assert start.status_code == 200 and "协议已生效" in start.text
    sent = client.post(f"/s/{link}/code", data={"csrf_token": csrf_of(start.text)})
    client.post(f"/s/{link}/verify", data={"csrf_token": csrf_of(sent.text), "code": code_from_sms(engine, "陈秀兰"),
                                           "id_last4": "1235"})
    page = client.get("/sign/session")
    assert "下载已生效的协议" in page.text
    final = client.get("/sign/session/signed.pdf")
    assert final.status_code == 200 and final.content.startswith(b"%PDF") and b"/DSS" in final.content


@pytest.mark.parametrize("typed", ["020-12345678", "1392468"])
def test_a_representatives_landline_is_refused_beside_the_field_and_the_form_keeps_what_was_typed(
        client, make_user, make_case, login, engine, settings, typed):
    from tests.signing.flow import finalise_agreement

    officer = make_user("case_officer")
    case = make_case(officer=officer)
    walk_to_drafting(engine, case.id, make_user("mediator", phone="13900000001"))
    document = finalise_agreement(engine, settings, case.id, officer)
    bank = institution_party(engine, case.id)
    c = login(officer)
    page = c.get(f"/cases/{case.id}").text
    refused = c.post(f"/cases/{case.id}/signing", data={
        "csrf_token": csrf_of(page), "document_id": document.id, "days": "9",
        f"rep_{bank.id}_name": "吴海峰", f"rep_{bank.id}_phone": typed, f"rep_{bank.id}_id": REP_ID},
        follow_redirects=False)
    assert refused.status_code == 422
    html = refused.text
    assert f'id="err-rep_{bank.id}_phone"' in html and "座机号码收不到短信" in html
    assert f'value="{typed}"' in html and 'value="吴海峰"' in html and 'value="9"' in html
    with Session(engine) as session:
        assert session.exec(select(SigningRequest)).all() == []  # nothing opened, no text to a landline


def test_a_signer_declines_with_a_reason_after_a_confirmation_and_signing_stops(client, engine, signing_case,
                                                                                login):
    wu_link = link_from_sms(engine, "吴海峰")
    link = prove(client, engine, "陈秀兰", "1235")
    document = client.get("/sign/session").text
    assert 'id="decline"' in document and "拒绝签署" in document and 'action="/sign/session/decline"' in document
    reason = "赔付金额与我的实际损失相差太大"
    # first a summary of what declining does, with the reason kept; nothing has happened yet
    asked = client.post("/sign/session/decline", data={"csrf_token": csrf_of(document), "reason": reason})
    assert asked.status_code == 200 and "确定要拒绝签署吗？" in asked.text and reason in asked.text
    assert "其他签署人会收到短信通知" in asked.text and HOTLINE in asked.text
    with Session(engine) as s:
        assert s.exec(select(SigningRequest)).one().status == "open"
    done = client.post("/sign/session/decline", data={"csrf_token": csrf_of(asked.text), "reason": reason,
                                                      "confirmed": "1"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/sign/session"
    with Session(engine) as s:
        me = s.exec(select(SigningParticipant).where(SigningParticipant.name == "陈秀兰")).one()
        assert me.status == "declined" and me.declined_reason == reason
        assert s.exec(select(SigningRequest)).one().status == "declined"
    # the declined page, on a refresh too: what happened, what comes next, the hotline; never JSON
    for url in ("/sign/session", "/sign/session/decline", "/sign/session?lang=en"):
        page = client.get(url)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), url
        assert HOTLINE in page.text and "{" not in page.text.split("<body", 1)[1].split("<script", 1)[0], url
    page = client.get("/sign/session?lang=zh-CN").text
    assert "您已拒绝签署" in page and "这份文件不会生效" in page and "调解员会与您联系" in page
    assert reason in page and "拒绝签署的时间" in page and f"热线 {HOTLINE}" in page
    # signing is no longer possible: not from this page, not from the link, not for the other signer
    refused = client.post("/sign/session/prepare", data={"csrf_token": csrf_of(document), "consent": "1",
                                                         "drawing": _drawing()})
    assert refused.status_code == 409 and refused.json()["state"] == "declined"
    assert "您已拒绝签署" in client.get(f"/s/{link}").text
    client.cookies.clear()
    other = client.get(f"/s/{wu_link}")
    assert other.status_code == 410 and "有签署人拒绝签署" in other.text and HOTLINE in other.text
    # the other signer was told by SMS; the decliner was not sent a text about their own refusal
    told = latest_sms(engine, kind="signing.closed", name="吴海峰").body
    assert "拒绝签署" in told and "陈秀兰" in told
    with Session(engine) as s:
        from mediation_svc.notifications.models import OutboxMessage

        closed = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "signing.closed")).all()
        assert {m.recipient_name for m in closed} == {"吴海峰"}
    # the officer sees it on the case's signing timeline, with the time and the reason
    login(signing_case["officer"])
    case_page = client.get(f"/cases/{signing_case['case'].id}").text
    chen = re.search(r'aria-label="签署记录 陈秀兰">(.*?)</ol>', case_page, re.S)
    assert chen and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}[^<]*已拒签", chen.group(1)), case_page
    assert f"拒签原因：{reason}" in case_page
    wu = re.search(r'aria-label="签署记录 吴海峰">(.*?)</ol>', case_page, re.S)
    assert wu and "已短信告知" in wu.group(1) and "已拒签" not in wu.group(1)
    trail = client.get(f"/cases/{signing_case['case'].id}/audit").text
    assert "拒绝签署" in trail


def test_declining_needs_no_reason(client, engine, signing_case):
    prove(client, engine, "陈秀兰", "1235")
    asked = client.post("/sign/session/decline", data={"csrf_token": csrf_of(client.get("/sign/session").text)})
    assert asked.status_code == 200 and "（没有填写）" in asked.text
    done = client.post("/sign/session/decline", data={"csrf_token": csrf_of(asked.text), "confirmed": "1"})
    assert done.status_code == 200 and "您已拒绝签署" in done.text and "您填写的原因" not in done.text
    with Session(engine) as s:
        assert s.exec(select(SigningRequest)).one().closed_reason == "declined by 陈秀兰 (no reason given)"
