"""The pages through a TestClient: sign-in cookies, CSRF, escaping, visibility, and the officer's steps."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from mediation_svc.cases.models import Case
from mediation_svc.cases.service import link_party_user, parties_of
from mediation_svc.db import unit_of_work
from mediation_svc.documents.models import Document
from mediation_svc.scheduling.models import MediationSession
from mediation_svc.timeutil import today_in_shanghai
from tests.rosters.conftest import mediator_payload

from .conftest import PASSWORD, csrf_of


def test_login_sets_a_hardened_session_cookie_and_logout_revokes_it(client, make_user, login):
    officer = make_user("case_officer")
    page = client.get("/login")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "用户名" in page.text
    response = client.post("/login", data={"username": officer.username, "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text), "next": "/dashboard"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("msvc_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # base URL is http
    stolen = client.cookies.get("msvc_session")
    assert client.get("/dashboard").status_code == 200

    dashboard = client.get("/dashboard")
    assert client.post("/logout", data={"csrf_token": csrf_of(dashboard.text)},
                       follow_redirects=False).status_code == 303
    client.cookies.set("msvc_session", stolen)  # the old token was revoked, not just forgotten
    again = client.get("/dashboard", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login?next=/dashboard")


def test_wrong_password_shows_the_form_again_without_a_session(client, make_user):
    officer = make_user("case_officer")
    page = client.get("/login?lang=en")
    response = client.post("/login", data={"username": officer.username, "password": "wrong",
                                           "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 401
    assert "Wrong username or password" in response.text  # the language chosen stays
    assert "msvc_session" not in client.cookies


def test_forms_without_the_csrf_token_or_from_another_origin_are_refused(client, make_user, login, settings, engine):
    officer = make_user("case_officer")
    c = login(officer)
    page = c.get("/cases/new")
    token = csrf_of(page.text)
    form = {"channel": "hotline", "category_code": "insurance_claim", "applicant_name": "张三",
            "id_number": "110101199003074477", "phone": "13800138000", "institution_id": "1", "facts": "事实"}
    no_token = c.post("/cases/new", data=form, follow_redirects=False)
    assert no_token.status_code == 403 and "表单已过期" in no_token.text
    wrong_token = c.post("/cases/new", data={**form, "csrf_token": "x" * 43}, follow_redirects=False)
    assert wrong_token.status_code == 403
    cross_site = c.post("/cases/new", data={**form, "csrf_token": token}, headers={"Origin": "https://evil.example"},
                        follow_redirects=False)
    assert cross_site.status_code == 403
    with unit_of_work(engine) as session:
        assert session.exec(select(Case)).all() == []  # nothing was taken in
    login_without_token = c.post("/login", data={"username": officer.username, "password": PASSWORD})
    assert login_without_token.status_code == 403


def test_hostile_names_are_escaped(client, make_user, make_case, login):
    officer = make_user("case_officer", display_name="<b>officer</b>")
    case = make_case(officer=officer, applicant={"name": "<script>alert('x')</script>", "id_type": "resident_id",
                                                 "id_number": "110101199003074477", "phone": "13800138000"},
                     facts='"><img src=x onerror=alert(1)>')
    c = login(officer)
    for url in ("/dashboard", f"/cases/{case.id}"):
        html = c.get(url).text
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "<b>officer</b>" not in html and "&lt;b&gt;officer&lt;/b&gt;" in html
    assert "<img src=x" not in c.get(f"/cases/{case.id}").text


def test_a_party_sees_only_its_own_case(client, make_user, make_case, login, engine):
    officer = make_user("case_officer")
    mine, other = make_case(officer=officer), make_case(officer=officer)
    party = make_user("party")
    with unit_of_work(engine) as session:
        case = session.get(Case, mine.id)
        applicant = next(p for p in parties_of(session, case.id) if p.role == "applicant")
        link_party_user(session, case=case, party_id=applicant.id, user=party, actor="test")
    c = login(party)
    dashboard = c.get("/dashboard").text
    assert mine.number in dashboard and other.number not in dashboard
    assert c.get(f"/cases/{mine.id}").status_code == 200
    refused = c.get(f"/cases/{other.id}")
    assert refused.status_code == 404 and other.number not in refused.text
    assert c.get(f"/cases/{other.id}/audit").status_code == 404
    assert c.get("/rosters").status_code == 403
    assert "操作" not in c.get(f"/cases/{mine.id}").text or "转为" not in c.get(f"/cases/{mine.id}").text


def test_overdue_cases_are_highlighted_on_the_dashboard(client, make_user, make_case, login):
    officer = make_user("case_officer")
    late = make_case(officer=officer, received_on=(today_in_shanghai() - timedelta(days=90)).isoformat())
    make_case(officer=officer)
    html = login(officer).get("/dashboard?lang=en").text
    row = re.search(rf'<tr class="overdue">.*?{re.escape(late.number)}', html, re.S)
    assert row is not None and "1 overdue" in html


def test_officer_takes_in_accepts_and_assigns_from_the_candidates(client, make_user, login, form_post, engine):
    from mediation_svc.rosters.schemas import MediatorIn
    from mediation_svc.rosters.service import save_mediator

    with unit_of_work(engine) as session:
        for n in (1, 2):
            save_mediator(session, data=MediatorIn(**mediator_payload(n)), actor="test")
    officer = make_user("case_officer")
    login(officer)
    form = {"channel": "hotline", "category_code": "insurance_claim", "applicant_name": "陈秀兰",
            "id_number": "440106195803121235", "phone": "13800138000", "institution_id": "", "facts": "拒赔",
            "claim_amount": "400000.00", "city": "广州", "preferred_language": "粤语"}
    refused = form_post("/cases/new", "/cases/new", form)
    assert refused.status_code == 422 and 'id="err-institution_id"' in refused.text  # the form again, error beside
    with unit_of_work(engine) as session:
        from mediation_svc.cases.models import Institution

        session.add(Institution(name="某银行广州分行", kind="bank", credit_code="91440101MA5CXXXX0X"))
    response = form_post("/cases/new", "/cases/new", {**form, "institution_id": "1"})
    assert response.status_code == 303, response.text
    case_url = response.headers["location"].split("?")[0]
    page = client.get(response.headers["location"])
    assert "案件已登记" in page.text and "陈秀兰" in page.text

    assert form_post(case_url, f"{case_url}/transition", {"status": "accepted"}).status_code == 303
    page = client.get(case_url).text
    assert "调解员候选人" in page and "调解员1" in page and "评分说明" in page
    mediator_id = re.search(r'name="mediator_id" value="(\d+)"', page).group(1)
    assigned = form_post(case_url, f"{case_url}/assign", {"mediator_id": mediator_id, "reason": "排名第一"})
    assert assigned.status_code == 303
    with unit_of_work(engine) as session:
        case = session.exec(select(Case)).one()
        assert case.status == "mediator_assigned" and case.mediator_user_id is not None
    assert "已指派调解员" in client.get(assigned.headers["location"]).text

    skipped = form_post(case_url, f"{case_url}/transition", {"status": "signed"})
    assert skipped.status_code == 409  # signing happens through its own step, not by hand
    by_hand = form_post(case_url, f"{case_url}/transition", {"status": "accepted"})
    assert by_hand.status_code == 409  # back to accepted is the recusal's move, which clears the mediator


def test_mediator_schedules_drafts_previews_and_finalises(client, make_user, make_case, login, form_post, engine):
    from tests.scheduling.helpers import ready_case

    officer = make_user("case_officer")
    mediator = make_user("mediator", display_name="王敏")
    case = ready_case(engine, make_case, officer, mediator)
    login(mediator)
    url = f"/cases/{case.id}"
    search = client.get(f"{url}?find=1&mode=remote&duration=60")
    assert search.status_code == 200
    start = re.search(r'name="starts_at" value="([^"]+)"', search.text).group(1)
    booked = client.post(f"{url}/sessions", data={"starts_at": start, "duration": "60", "mode": "remote",
                                                  "room_id": "", "csrf_token": csrf_of(search.text)},
                         follow_redirects=False)
    assert booked.status_code == 303
    week = client.get(booked.headers["location"]).text
    assert 'class="event scheduled"' in week and "已安排调解会议" in week
    with unit_of_work(engine) as session:
        assert len(session.exec(select(MediationSession)).all()) == 1
    same_slot = client.post(f"{url}/sessions", data={"starts_at": start, "duration": "60", "mode": "remote",
                                                     "csrf_token": csrf_of(week)}, follow_redirects=False)
    assert same_slot.status_code == 409  # the mediator is booked: shown as an error page, not a 500

    with unit_of_work(engine) as session:
        from mediation_svc.cases.service import transition
        from mediation_svc.cases.states import CaseStatus

        c = session.get(Case, case.id)
        if c.status == CaseStatus.MEDIATOR_ASSIGNED:
            transition(session, case=c, target=CaseStatus.IN_MEDIATION, actor="test")
    terms = {"dispute_summary": "被申请人以既往症为由拒赔，双方协商一致。", "pay_payer": ["某保险公司", "", ""],
             "pay_payee": ["陈秀兰", "", ""], "pay_amount": ["280000", "", ""], "pay_due": ["2026-12-31", "", ""],
             "pay_method": ["银行转账", "", ""], "obligations": "", "clauses": "申请人放弃其他请求", "place": "广州",
             "language": "zh-CN", "base_version": ""}
    live = form_post(f"{url}/draft", f"{url}/draft/preview", terms)
    assert live.status_code == 200 and live.content.startswith(b"%PDF")
    saved = form_post(f"{url}/draft", f"{url}/draft", terms)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "已保存第 1 版" in page and "贰拾捌万" not in page  # the page shows inputs, the PDF the capitals
    preview_url = re.search(r'data-src="(/cases/\d+/drafts/\d+/versions/1/preview.pdf)"', page).group(1)
    assert client.get(preview_url).content.startswith(b"%PDF")
    bad = form_post(f"{url}/draft", f"{url}/draft", {**terms, "dispute_summary": "", "base_version": "1"})
    assert bad.status_code == 422  # the summary is required: the form comes back with the error
    finalise_url = re.search(r'id="finalise" href="(/cases/\d+/drafts/\d+/finalise)"', page).group(1)
    done = form_post(finalise_url, finalise_url, {"version": "1"})  # the summary first, then 确认定稿
    assert done.status_code == 303
    with unit_of_work(engine) as session:
        document = session.exec(select(Document)).one()
        assert document.status == "final" and session.get(Case, case.id).status == "signing"
    case_page = client.get(f"{url}").text
    assert f"/documents/{document.id}.pdf" in case_page
    assert client.get(f"/documents/{document.id}.pdf").content == document.pdf


def test_rosters_and_audit_pages(client, make_user, make_case, login, engine):
    from mediation_svc.rosters.schemas import MediatorIn
    from mediation_svc.rosters.service import save_mediator

    with unit_of_work(engine) as session:
        save_mediator(session, data=MediatorIn(**mediator_payload(7, name="<i>林</i>")), actor="test")
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    c = login(officer)
    rosters = c.get("/rosters?lang=en")
    assert rosters.status_code == 200 and "Mediators (1)" in rosters.text and "&lt;i&gt;林&lt;/i&gt;" in rosters.text
    trail = c.get(f"/cases/{case.id}/audit")
    assert trail.status_code == 200 and "took in the case" in trail.text and 'id="chain-status"' in trail.text
    assert "case.received" in trail.text.split("data-technical", 1)[1]  # the raw entry, folded


def _unlabelled_controls(html: str) -> list[str]:
    """Visible form controls with neither a <label for=...> nor an enclosing <label> nor an aria-label."""
    from html.parser import HTMLParser

    class Scan(HTMLParser):
        def __init__(self):
            super().__init__()
            self.label_for, self.controls, self.in_label = set(), [], 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "label":
                self.in_label += 1
                if a.get("for"):
                    self.label_for.add(a["for"])
            elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
                if not self.in_label and not a.get("aria-label"):
                    self.controls.append(a.get("id") or a.get("name") or tag)

        def handle_endtag(self, tag):
            if tag == "label":
                self.in_label -= 1

    scan = Scan()
    scan.feed(html)
    return [c for c in scan.controls if c not in scan.label_for]


def test_pages_switch_language_keep_larger_text_and_label_every_field(client, make_user, make_case, login):
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    c = login(officer)
    english = c.get(f"/cases/{case.id}?lang=en")
    assert 'lang="en"' in english.text
    assert "Parties" in english.text and "当事人" not in english.text
    assert "Parties" in c.get(f"/cases/{case.id}").text  # the choice is remembered in a cookie
    assert "当事人" in c.get(f"/cases/{case.id}?lang=zh-CN").text

    larger = c.get(f"/text-size?size=large&next=/cases/{case.id}", follow_redirects=False)
    assert larger.status_code == 303 and larger.headers["location"] == f"/cases/{case.id}"
    assert '<body class="large-text">' in c.get(f"/cases/{case.id}").text
    assert c.get("/text-size?size=large&next=https://evil.example/", follow_redirects=False).headers["location"] == "/dashboard"

    for url in ("/login", "/dashboard", "/cases/new", f"/cases/{case.id}", f"/cases/{case.id}/draft", "/verify"):
        page = c.get(url)
        assert page.status_code == 200, url
        assert _unlabelled_controls(page.text) == [], url
        assert 'href="#main"' in page.text  # skip link for keyboard users
        assert not re.search(r'(src|href)="(https?:)?//', page.text), url  # everything served locally


def test_court_pages_refuse_what_is_not_theirs(client, make_user, make_case, login):
    officer = make_user("case_officer")
    court = make_user("court", display_name="某区法院")
    case = make_case(officer=officer)
    c = login(court)
    assert c.get(f"/cases/{case.id}").status_code == 404  # not shared with this court
    assert c.get(f"/cases/{case.id}/evidence-package.zip").status_code == 404
    login(officer)
    page = client.get(f"/cases/{case.id}").text
    ruled = client.post(f"/cases/{case.id}/ruling", data={
        "csrf_token": csrf_of(page), "decision": "confirmed", "ruling_number": "（2026）粤0106民特1号",
        "ruling_date": "2026-11-20", "court_name": "某区法院"})
    assert ruled.status_code == 403  # only a court records its ruling
    early = client.post(f"/cases/{case.id}/judicial/package", data={"csrf_token": csrf_of(page)})
    assert early.status_code == 404  # no application yet: nothing to package


def test_statistics_page_embeds_charts_with_csv_for_staff_only(client, make_user, make_case, login):
    officer = make_user("case_officer")
    make_case(officer=officer)
    make_case(officer=officer, category_code="insurance_claim")
    c = login(officer)
    page = c.get("/statistics")
    assert page.status_code == 200
    charts = re.findall(r'<img src="(/statistics/(\w+)\.svg\?[^"]+)"', page.text)
    assert {name for _, name in charts} == {"by_category", "by_status", "by_month", "time_to_close",
                                             "settled_amounts", "mediator_load"}
    svg = c.get(charts[0][0].replace("&amp;", "&"))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    csv_url = re.search(r'href="(/statistics/by_category\.csv\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
    csv = c.get(csv_url)
    assert csv.status_code == 200 and "保险理赔" in csv.text and ",2" in csv.text  # both cases counted
    assert c.get("/statistics?start=2026-12-01&end=2026-01-01").status_code == 422  # reversed period

    mediator = make_user("mediator")
    assert login(mediator).get("/statistics").status_code == 403


def test_cookies_are_secure_when_the_public_address_is_https(app, make_user):
    from fastapi.testclient import TestClient

    officer = make_user("case_officer")
    app.state.settings = app.state.settings.model_copy(update={"public_base_url": "https://mediation.example.org"})
    with TestClient(app, base_url="https://mediation.example.org") as client:
        page = client.get("/login")
        csrf_cookie = next(h for h in page.headers.get_list("set-cookie") if h.startswith("msvc_csrf="))
        assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie and "SameSite=strict" in csrf_cookie
        response = client.post("/login", data={"username": officer.username, "password": PASSWORD,
                                               "csrf_token": csrf_of(page.text)},
                               headers={"Origin": "https://mediation.example.org"}, follow_redirects=False)
        assert response.status_code == 303
        session_cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("msvc_session="))
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
        assert client.get("/dashboard").status_code == 200


def test_pages_carry_a_content_security_policy(client):
    page = client.get("/login")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "'unsafe-inline'" not in policy
    assert page.headers["referrer-policy"] == "same-origin"
