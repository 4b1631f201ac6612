"""The signer's pages through a TestClient: the letter filed on the case page, code and ID check, the document
as page images, consent and drawing, the signed PDF; and the plain messages for expired, locked, signed."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
from PIL import Image, ImageDraw
from sqlmodel import Session, select

from mediation_svc.db import utcnow
from mediation_svc.signing.models import SigningParticipant, SigningRequest
from tests.signing.flow import REP_ID, REP_PHONE, code_from_sms, institution_party, link_from_sms, walk_to_drafting

from .conftest import csrf_of


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
def signing_case(client, make_user, make_case, login, engine):
    """A case whose agreement is out for signing; the officer filed the bank's letter through the case page."""
    from tests.signing.flow import insert_final_document

    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="王敏", phone="13900000001")
    case = make_case(officer=officer)
    walk_to_drafting(engine, case.id, mediator)
    document = insert_final_document(engine, case.id, _blank_pdf())
    bank = institution_party(engine, case.id)
    c = login(officer)
    page = c.get(f"/cases/{case.id}").text
    opened = c.post(f"/cases/{case.id}/signing", data={
        "csrf_token": csrf_of(page), "document_id": document.id, "days": "7",
        f"rep_{bank.id}_name": "吴海峰", f"rep_{bank.id}_phone": REP_PHONE, f"rep_{bank.id}_id": REP_ID},
        follow_redirects=False)
    assert opened.status_code == 303, opened.text
    page = c.get(f"/cases/{case.id}").text
    assert "待核对授权委托书" in page
    action = re.search(r'action="(/cases/\d+/signing/\d+/letters/\d+)"', page).group(1)
    filed = c.post(action, data={"csrf_token": csrf_of(page), "checked": "1"},
                   files={"letter": ("letter.pdf", _blank_pdf(), "application/pdf")}, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    assert 'id="signing-status">签署中' in c.get(f"/cases/{case.id}").text
    c.cookies.clear()
    return {"case": case, "document": document, "officer": officer}


def test_a_party_signs_through_the_pages(client, engine, signing_case):
    link = link_from_sms(engine, "陈秀兰")
    start = client.get(f"/sign/{link}")
    assert start.status_code == 200 and "发送验证码" in start.text
    sent = client.post(f"/sign/{link}/code", data={"csrf_token": csrf_of(start.text)})
    assert sent.status_code == 200 and "验证码已发送至" in sent.text
    wrong_id = client.post(f"/sign/{link}/verify", data={"csrf_token": csrf_of(sent.text),
                                                         "code": code_from_sms(engine, "陈秀兰"), "id_last4": "0000"})
    assert wrong_id.status_code == 401 and "不正确" in wrong_id.text
    verified = client.post(f"/sign/{link}/verify", data={"csrf_token": csrf_of(sent.text),
                                                         "code": code_from_sms(engine, "陈秀兰"), "id_last4": "1235"},
                           follow_redirects=False)
    assert verified.status_code == 303 and verified.headers["location"] == "/sign/session"
    cookie = next(h for h in verified.headers.get_list("set-cookie") if h.startswith("msvc_signer="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/sign" in cookie

    document = client.get("/sign/session")
    assert document.status_code == 200 and document.text.count('class="doc-page"') == 1  # one page, as an image
    no_drawing = client.post("/sign/session/confirm", data={"csrf_token": csrf_of(document.text), "consent": "1"})
    assert no_drawing.status_code == 422 and "请先签名" in no_drawing.text
    done = client.post("/sign/session/confirm", data={"csrf_token": csrf_of(document.text), "consent": "1",
                                                      "drawing": _drawing()})
    assert done.status_code == 200 and "签署完成" in done.text
    signed = base64.b64decode(re.search(r'href="data:application/pdf;base64,([^"]+)"', done.text).group(1))
    assert signed.startswith(b"%PDF") and b"/ByteRange" in signed
    with Session(engine) as s:
        me = s.exec(select(SigningParticipant).where(SigningParticipant.name == "陈秀兰")).one()
        assert me.status == "signed"

    again = client.get(f"/sign/{link}")
    assert again.status_code == 409 and "已经签署" in again.text


def test_a_locked_code_and_an_expired_link_say_so(client, engine, app, signing_case, login):
    link = link_from_sms(engine, "吴海峰")
    page = client.get(f"/sign/{link}")
    sent = client.post(f"/sign/{link}/code", data={"csrf_token": csrf_of(page.text)})
    statuses = []
    for _ in range(5):
        r = client.post(f"/sign/{link}/verify", data={"csrf_token": csrf_of(sent.text), "code": "000000",
                                                      "id_last4": REP_ID[-4:]})
        statuses.append(r.status_code)
    assert statuses[:4] == [401] * 4 and statuses[4] == 423 and "锁定" in r.text
    locked = client.get(f"/sign/{link}")
    assert locked.status_code == 423 and "锁定" in locked.text

    login(signing_case["officer"])  # the center sends a new link: the old one stops, the new one works
    page = client.get(f"/cases/{signing_case['case'].id}").text
    action = re.search(r'action="(/cases/\d+/signing/\d+/participants/\d+/link)"[^>]*>\s*<input[^>]+>\s*'
                       r'<button[^>]+aria-label="重发签署链接 吴海峰"', page).group(1)
    assert client.post(action, data={"csrf_token": csrf_of(page)}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    fresh = link_from_sms(engine, "吴海峰")
    assert fresh != link and client.get(f"/sign/{fresh}").status_code == 200
    replaced = client.get(f"/sign/{link}")
    assert replaced.status_code == 410 and "最新短信" in replaced.text

    with Session(engine) as s:
        participant = s.exec(select(SigningParticipant).where(SigningParticipant.name == "陈秀兰")).one()
        request = s.get(SigningRequest, participant.request_id)
    expired, _ = app.state.tokens.issue(subject=f"signer:{participant.id}", purpose="signing-link",
                                        lifetime=timedelta(seconds=1), now=utcnow() - timedelta(hours=1),
                                        claims={"req": request.id, "doc": request.current_sha256})
    old = client.get(f"/sign/{expired}")
    assert old.status_code == 410 and "已过期" in old.text
    forged = client.get("/sign/not-a-token")
    assert forged.status_code == 404 and "无效" in forged.text


def test_the_signer_session_needs_its_own_cookie(client, signing_case):
    page = client.get("/sign/session")
    assert page.status_code == 404 and "无效" in page.text
