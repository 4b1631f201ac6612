"""The calendar in the database: seeded years, a State Council arrangement entered by API, page and CLI,
due dates in a provisional year warned about and recomputed, a session refused on 元旦 2027."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select
from typer.testing import CliRunner

from mediation_svc import cli
from mediation_svc.audit.models import AuditEntry
from mediation_svc.cases.models import Case
from mediation_svc.cases.service import workday_calendar
from mediation_svc.config import get_settings
from mediation_svc.workcalendar.models import CalendarDay, CalendarYear

from ..scheduling.helpers import ready_case
from ..web.conftest import csrf_of, login  # noqa: F401 (the login fixture)

ARRANGEMENT_2027 = {
    "holidays": [{"day": "2027-01-01", "name": "元旦"}, {"day": "2027-01-02", "name": "元旦"},
                 {"day": "2027-01-03", "name": "元旦"},
                 *[{"day": f"2027-02-{d:02d}", "name": "春节"} for d in range(5, 14)]],
    "workdays": [{"day": "2027-02-20", "name": "春节调休上班"}],
    "note": "国办发明电〔2026〕1号（测试）",
}


def test_migration_seeds_official_years_and_provisional_years_by_rule(db):
    years = {y.year: y for y in db.exec(select(CalendarYear)).all()}
    assert years[2026].status == "official" and years[2026].source == "chinesecalendar"
    assert years[2027].status == "provisional" and years[2027].source == "rule"
    assert db.get(CalendarDay, date(2026, 9, 20)).is_workday  # 调休上班 Sunday
    assert db.get(CalendarDay, date(2027, 2, 5)).name == "农历除夕"
    assert not workday_calendar(db).is_workday(date(2027, 1, 1))


def test_a_due_date_in_a_provisional_year_carries_a_warning(client, make_user, auth):
    officer = make_user("case_officer")
    from ..factories import intake_payload

    response = client.post("/api/v1/cases", headers=auth(officer),
                           json=intake_payload(received_on="2026-12-15", claim_amount="90000.00"))
    assert response.status_code == 201, response.text
    body = response.json()
    # 30 working days after Tue 15 Dec 2026, skipping 元旦 2027 (Fri 1 Jan): Wed 27 Jan 2027.
    assert body["due_on"] == "2027-01-27"
    assert body["due_on_provisional"] is True
    assert "2027年的节假日安排国务院尚未公布" in body["due_warning"]


def test_entering_the_arrangement_makes_the_year_official_and_moves_open_due_dates(client, make_user, auth, engine,
                                                                                    db):
    from ..factories import intake_payload

    officer, admin = make_user("case_officer"), make_user("admin")
    case_id = client.post("/api/v1/cases", headers=auth(officer),
                          json=intake_payload(received_on="2026-12-15", claim_amount="90000.00")).json()["id"]
    assert client.put("/api/v1/calendar/years/2027", headers=auth(officer), json=ARRANGEMENT_2027).status_code == 403
    response = client.put("/api/v1/calendar/years/2027", headers=auth(admin), json=ARRANGEMENT_2027)
    assert response.status_code == 200, response.text
    # 元旦 off Fri 1 to Sun 3 Jan, as the rule had it (the weekend): the due date stays, the warning goes.
    assert response.json()["status"] == "official" and response.json()["due_dates_changed"] == 0
    case = client.get(f"/api/v1/cases/{case_id}", headers=auth(officer)).json()
    assert case["due_on"] == "2027-01-27"
    assert case["due_on_provisional"] is False and case["due_warning"] is None
    year = client.get("/api/v1/calendar/years/2027", headers=auth(officer)).json()
    assert year["provisional"] is False and {"day": "2027-02-20", "is_workday": True, "name": "春节调休上班"} in year["days"]
    audit = db.exec(select(AuditEntry).where(AuditEntry.action == "calendar.year_set")).one()
    assert json.loads(audit.payload)["year"] == 2027 and json.loads(audit.payload)["previous_status"] == "provisional"


def test_a_due_date_that_the_arrangement_moves_is_recomputed_and_audited(client, make_user, auth, db):
    from ..factories import intake_payload

    officer, admin = make_user("case_officer"), make_user("admin")
    # 10 working days (fast track) after Mon 25 Jan 2027: 26-29 Jan and 1-4 Feb make 8; by rule 春节 is off
    # 5-10 Feb, so 11 and 12 Feb make 10. The official arrangement keeps 5-13 Feb off: 15 and 16 Feb.
    created = client.post("/api/v1/cases", headers=auth(officer),
                          json=intake_payload(received_on="2027-01-25", claim_amount="3000.00")).json()
    assert created["due_on"] == "2027-02-12" and created["due_on_provisional"]
    response = client.put("/api/v1/calendar/years/2027", headers=auth(admin), json=ARRANGEMENT_2027)
    assert response.json()["due_dates_changed"] == 1
    moved = client.get(f"/api/v1/cases/{created['id']}", headers=auth(officer)).json()
    assert moved["due_on"] == "2027-02-16" and not moved["due_on_provisional"]
    db.expire_all()
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "case.due_date_recomputed")).one()
    assert entry.case_id == created["id"] and json.loads(entry.payload)["to"] == "2027-02-16"


def test_wrong_arrangements_are_refused_as_problems(client, make_user, auth):
    admin = make_user("admin")
    wrong_year = {"holidays": [{"day": "2028-01-01"}]}
    twice = {"holidays": [{"day": "2027-01-01"}], "workdays": [{"day": "2027-01-01"}]}
    for body in (wrong_year, twice, {"holidays": []}):
        response = client.put("/api/v1/calendar/years/2027", headers=auth(admin), json=body)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.put("/api/v1/calendar/years/1999", headers=auth(admin),
                      json={"holidays": [{"day": "1999-01-01"}]}).status_code == 422


def test_a_session_cannot_be_booked_on_new_years_day_2027(client, make_user, auth, engine, make_case):
    officer, mediator = make_user("case_officer"), make_user("mediator")
    case = ready_case(engine, make_case, officer, mediator)
    starts = datetime(2027, 1, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    response = client.post(f"/api/v1/cases/{case.id}/sessions", headers=auth(officer),
                           json={"mode": "remote", "starts_at": starts.isoformat(), "duration_minutes": 60})
    assert response.status_code == 422, response.text
    assert "不是工作日" in response.text and "元旦" in response.text


def test_admin_page_shows_provisional_year_and_saves_the_arrangement(client, make_user, login, db):
    officer, admin = make_user("case_officer"), make_user("admin")
    login(officer)
    assert client.get("/admin/calendar").status_code == 403
    login(admin)
    page = client.get("/admin/calendar?year=2027")
    assert page.status_code == 200 and "暂定" in page.text and "2027-02-05 农历除夕" in page.text
    bad = client.post("/admin/calendar/2027", data={"holidays": "2028-02-05 到 2028-02-07 春节", "workdays": "",
                                                     "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 422 and "日期不在2027年" in bad.text
    saved = client.post("/admin/calendar/2027", data={
        "holidays": "2027-01-01 至 2027-01-03 元旦\n2027-02-05 至 2027-02-13 春节", "workdays": "2027-02-20",
        "note": "国办发明电〔2026〕1号", "csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert saved.status_code == 200 and "已保存2027年的正式安排" in saved.text
    db.expire_all()
    assert db.get(CalendarYear, 2027).status == "official"
    assert db.get(CalendarDay, date(2027, 2, 20)).is_workday


def test_cli_sets_a_year_and_shows_it(settings, tmp_path, monkeypatch, db):
    monkeypatch.setenv("MEDIATION_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    holidays = tmp_path / "2027.txt"
    holidays.write_text("2027-01-01 元旦\n2027-02-05 至 2027-02-13 春节\n", encoding="utf-8")
    workdays = tmp_path / "2027-work.txt"
    workdays.write_text("2027-02-20 春节调休上班\n", encoding="utf-8")
    try:
        runner = CliRunner()
        result = runner.invoke(cli.app, ["calendar", "set-year", "2027", "--holidays", str(holidays),
                                         "--workdays", str(workdays), "--note", "测试"])
        assert result.exit_code == 0, result.output
        assert "10 days off, 1 adjusted working days" in result.output
        shown = runner.invoke(cli.app, ["calendar", "show", "2027"])
        assert "official" in shown.output and "2027-02-05 至 2027-02-13 春节" in shown.output
        holidays.write_text("2027-13-01 元旦\n", encoding="utf-8")
        refused = runner.invoke(cli.app, ["calendar", "set-year", "2027", "--holidays", str(holidays)])
        assert refused.exit_code == 2 and "不是有效的日期" in refused.output
        assert "PROVISIONAL" in runner.invoke(cli.app, ["calendar", "show", "2028"]).output
    finally:
        get_settings.cache_clear()
    db.expire_all()
    assert db.get(CalendarYear, 2027).source == "state_council"
