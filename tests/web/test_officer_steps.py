"""The officer's forms: amounts typed as people type them, errors beside the field in Chinese, the input kept,
dates in Beijing."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlmodel import select

from mediation_svc.cases.models import Case, Institution
from mediation_svc.db import unit_of_work

FORM = {"channel": "hotline", "category_code": "insurance_claim", "applicant_name": "陈秀兰",
        "id_number": "440106195803121235", "phone": "13800138000", "institution_id": "1", "facts": "拒赔",
        "city": "广州", "preferred_language": "粤语"}


@pytest.fixture
def institution(engine):
    with unit_of_work(engine) as session:
        session.add(Institution(name="某银行广州分行", kind="bank", credit_code="91440101MA5CXXXX0X"))


@pytest.mark.parametrize("typed", ["86,500", "8.65万", "86500元"])
def test_intake_takes_the_amount_as_people_type_it(client, make_user, login, form_post, engine, institution, typed):
    login(make_user("case_officer"))
    response = form_post("/cases/new", "/cases/new", {**FORM, "claim_amount": typed})
    assert response.status_code == 303, response.text
    assert "¥86,500.00" in client.get(response.headers["location"]).text  # the parsed value, shown back
    with unit_of_work(engine) as session:
        assert session.exec(select(Case)).one().claim_amount == Decimal("86500.00")


def test_a_refused_form_keeps_what_was_typed_and_says_why_beside_each_field(client, make_user, login, form_post,
                                                                           engine, institution):
    login(make_user("case_officer"))
    refused = form_post("/cases/new", "/cases/new", {**FORM, "claim_amount": "八万六", "phone": "12345",
                                                     "facts": "申请人称业务员未告知免责条款"})
    assert refused.status_code == 422
    html = refused.text
    assert 'id="err-claim_amount"' in html and "无法识别金额“八万六”" in html
    assert 'id="err-phone"' in html and "手机号码不正确" in html
    assert 'value="八万六"' in html and "申请人称业务员未告知免责条款" in html and 'value="陈秀兰"' in html
    assert "Value error" not in html and "String should" not in html
    with unit_of_work(engine) as session:
        assert session.exec(select(Case)).all() == []


def test_the_api_reads_amounts_the_same_way(client, auth, make_user):
    from tests.factories import intake_payload

    created = client.post("/api/v1/cases", headers=auth(make_user("case_officer")),
                          json=intake_payload(claim_amount="8.65万"))
    assert created.status_code == 201, created.text
    assert Decimal(created.json()["claim_amount"]) == Decimal("86500.00")
    refused = client.post("/api/v1/cases", headers=auth(make_user("case_officer")),
                          json=intake_payload(claim_amount="about 80k"))
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")


def test_beijing_today_is_the_date_after_four_in_the_afternoon_utc(monkeypatch):
    import mediation_svc.db as db
    from mediation_svc.timeutil import today_in_shanghai

    monkeypatch.setattr(db, "utcnow", lambda: datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc))
    assert today_in_shanghai().isoformat() == "2026-12-02"  # UTC still says 12-01


def _book_remote(client, url):
    import re

    from .conftest import csrf_of

    search = client.get(f"{url}?find=1&mode=remote&duration=60")
    start = re.search(r'name="starts_at" value="([^"]+)"', search.text).group(1)
    booked = client.post(f"{url}/sessions", data={"starts_at": start, "duration": "60", "mode": "remote",
                                                  "room_id": "", "csrf_token": csrf_of(search.text)},
                         follow_redirects=False)
    assert booked.status_code == 303
    return start


def test_the_session_notice_goes_to_every_participant_the_institution_included(client, make_user, make_case, login,
                                                                                form_post, engine):
    import re

    from mediation_svc.notifications.models import OutboxMessage
    from tests.scheduling.helpers import ready_case

    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="王敏", email="wang@example.org")
    case = ready_case(engine, make_case, officer, mediator)
    bank_contact = make_user("party", display_name="吴海峰", institution_id=case.institution_id,
                             email="wu@bank.example", phone="13600136000")
    login(officer)
    url = f"/cases/{case.id}"
    _book_remote(client, url)
    page = client.get(url).text
    action = re.search(r'action="(/cases/\d+/sessions/\d+/notice)"', page).group(1)
    with unit_of_work(engine) as session:
        before = len(session.exec(select(OutboxMessage)).all())
    sent = form_post(url, action, {})
    assert sent.status_code == 303
    assert "调解通知书已发送给 3 位参加人" in client.get(sent.headers["location"]).text
    with unit_of_work(engine) as session:
        notices = [m for m in session.exec(select(OutboxMessage)).all()[before:] if m.kind == "session.notice"]
    recipients = {m.recipient for m in notices}
    assert {"wu@bank.example", "+8613600136000", "wang@example.org"} <= recipients  # institution and mediator
    assert any(r.endswith("13800138000") for r in recipients)  # and the applicant
    mail = next(m for m in notices if m.recipient == "wu@bank.example")
    assert mail.recipient_user_id == bank_contact.id and "调解通知书" in (mail.attachments or "")
    pdf = client.get(action + ".pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    trail = client.get(f"{url}/audit").text
    assert "发送调解会议通知书" in trail


def test_drafting_starts_from_an_assigned_case_and_finalising_and_voiding_ask_first(client, make_user, make_case,
                                                                                   login, form_post, engine):
    import re

    from mediation_svc.documents.models import Document
    from tests.scheduling.helpers import ready_case

    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="王敏")
    case = ready_case(engine, make_case, officer, mediator)
    login(officer)
    url = f"/cases/{case.id}"
    assert 'id="draft-link"' in client.get(url).text  # mediator assigned: drafting is offered already
    terms = {"dispute_summary": "双方协商一致。", "pay_payer": ["某保险公司", "", ""], "pay_payee": ["陈秀兰", "", ""],
             "pay_amount": ["8.65万", "", ""], "pay_due": ["2026-12-31", "", ""], "pay_method": ["银行转账", "", ""],
             "obligations": "", "clauses": "", "place": "广州", "language": "zh-CN", "base_version": ""}
    bad = form_post(f"{url}/draft", f"{url}/draft", {**terms, "pay_amount": ["七万", "", ""]})
    assert bad.status_code == 422 and 'id="err-pay_amount_0"' in bad.text and 'value="七万"' in bad.text
    # the amount is read as it is typed, by the server's rule (static/amount.js asks /amounts/read)
    draft_page = client.get(f"{url}/draft").text
    assert '<script src="/static/amount.js" defer></script>' in draft_page
    assert all(f'data-amount="parsed-pay_amount_{i}"' in draft_page for i in range(3))
    saved = form_post(f"{url}/draft", f"{url}/draft", terms)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "已识别为 ¥86,500.00" in page
    with unit_of_work(engine) as session:
        assert session.get(Case, case.id).status == "agreement_drafted"

    confirm_url = re.search(r'id="finalise" href="([^"]+)"', page).group(1)
    confirm = client.get(confirm_url).text
    assert "确认定稿" in confirm and "¥86,500.00" in confirm and "不能再修改" in confirm
    with unit_of_work(engine) as session:
        assert session.exec(select(Document)).all() == []  # looking at the summary changes nothing
    done = form_post(confirm_url, confirm_url, {"version": "1"})
    assert done.status_code == 303
    case_page = client.get(done.headers["location"]).text
    assert "下一步" in case_page and 'id="open-signing"' in case_page  # 发起签署 is the next, separate step

    void_url = re.search(r'href="(/cases/\d+/documents/[^"]+/void)"', case_page).group(1)
    assert "确认作废" in client.get(void_url).text
    no_reason = form_post(void_url, void_url, {"reason": " "})
    assert no_reason.status_code == 422 and "请填写作废原因" in no_reason.text
    voided = form_post(void_url, void_url, {"reason": "付款期限写错"})
    assert voided.status_code == 303
    with unit_of_work(engine) as session:
        assert session.exec(select(Document)).one().status == "voided"
        assert session.get(Case, case.id).status == "agreement_drafted"


def test_a_wished_time_that_is_taken_says_who_is_busy_and_the_calendar_names_its_week(client, make_user, make_case,
                                                                                      login, engine):
    from tests.scheduling.helpers import ready_case

    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="王敏")
    case = ready_case(engine, make_case, officer, mediator)
    login(officer)
    url = f"/cases/{case.id}"
    start = _book_remote(client, url)
    from mediation_svc.timeutil import SHANGHAI

    wished = datetime.fromisoformat(start).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")  # datetime-local
    page = client.get(f"{url}?find=1&mode=remote&duration=60&wish={wished}").text
    assert 'id="wish-busy"' in page and "王敏（调解员）" in page and "陈秀兰（申请人）" in page
    assert client.get(f"{url}?find=1&mode=remote&duration=60&wish=").status_code == 200  # no wish given
    this_week = client.get(f"{url}?week={datetime.now(timezone.utc).date().isoformat()}").text
    assert "本周" in this_week or "下周" in this_week or "上周" in this_week  # around UTC midnight
    far = client.get(f"{url}?week=2027-03-01").text
    assert "2027-03-01 起的一周" in far
