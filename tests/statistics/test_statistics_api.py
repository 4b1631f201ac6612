"""Center statistics from cases made here: the figures as JSON, CSV and SVG, and who may see them."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from mediation_svc.cases.models import Case
from mediation_svc.db import unit_of_work
from mediation_svc.timeutil import SHANGHAI

PERIOD = {"start": "2026-03-01", "end": "2026-11-30"}
SVG = "{http://www.w3.org/2000/svg}"


def _shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def officer(make_user):
    return make_user("case_officer")


@pytest.fixture
def cases(engine, make_case, make_user, officer):
    """Six cases with known dates, states, amounts and mediators (set directly: this is the input data)."""
    chen = make_user("mediator", display_name="陈国栋")
    lin = make_user("mediator", display_name="林晓燕")
    specs = {
        # key: (category, claim, received_on, status, closed_at, settled_amount, mediator)
        "critical_illness": ("insurance_claim", "400000.00", date(2026, 3, 2), "closed",
                             _shanghai(2026, 3, 13, 10, 0), "300000.00", chen),   # 9 working days
        "motor": ("insurance_claim", "5000.00", date(2026, 9, 28), "closed",
                  _shanghai(2026, 10, 9, 16, 0), "4200.50", chen),                # 4: across National Day
        "card": ("bank_card", "38650.00", date(2026, 10, 15), "in_mediation", None, None, lin),
        "loan": ("loan", "200000.00", date(2026, 10, 20), "accepted", None, None, None),
        # Closed 00:30 on 1 November in Shanghai (still 31 October in UTC); 16 working days, 10 Oct (Sat) is one.
        "deposit": ("wealth_management", "1050.00", date(2026, 10, 9), "closed",
                    datetime(2026, 10, 31, 16, 30, tzinfo=timezone.utc), None, lin),
        "old": ("loan", "9000.00", date(2025, 6, 3), "closed", _shanghai(2025, 7, 1, 9, 0), "8000.00", chen),
    }
    made = {}
    for key, (category, claim, received, status, closed_at, settled, mediator) in specs.items():
        case = make_case(officer=officer, category_code=category, claim_amount=claim)
        with unit_of_work(engine) as session:
            row = session.get(Case, case.id)
            row.received_on, row.status, row.closed_at = received, status, closed_at
            row.settled_amount = Decimal(settled) if settled else None
            row.mediator_user_id = mediator.id if mediator else None
        made[key] = case.id
    return {"ids": made, "chen": chen, "lin": lin}


def _stats(client, headers, **params):
    r = client.get("/api/v1/statistics", headers=headers, params={**PERIOD, **params})
    assert r.status_code == 200, r.text
    return r.json()["figures"]


def test_cases_by_category_status_and_month(client, auth, officer, cases):
    figures = _stats(client, auth(officer))
    by_category = {r["category_code"]: r for r in figures["by_category"]["rows"]}
    assert by_category["insurance_claim"] == {"category_code": "insurance_claim", "category": "保险理赔",
                                              "received": 2, "open": 0, "settled": 2, "claim_total": "405000.00"}
    assert by_category["bank_card"]["open"] == 1 and by_category["loan"]["received"] == 1  # 2025's loan is out
    assert sum(r["received"] for r in by_category.values()) == 5
    assert {r["status_code"]: r["cases"] for r in figures["by_status"]["rows"]} == {
        "accepted": 1, "in_mediation": 1, "closed": 3}
    months = {r["month"]: (r["received"], r["closed"]) for r in figures["by_month"]["rows"]}
    assert list(months)[0] == "2026-03" and list(months)[-1] == "2026-11" and len(months) == 9
    assert months["2026-03"] == (1, 1) and months["2026-09"] == (1, 0)
    assert months["2026-10"] == (3, 1) and months["2026-11"] == (0, 1)  # closed after midnight in Shanghai


def test_time_to_close_counts_working_days_with_holidays(client, auth, officer, cases):
    figure = _stats(client, auth(officer))["time_to_close"]
    rows = {r["category_code"]: r for r in figure["rows"]}
    assert rows["insurance_claim"]["closed"] == 2
    assert rows["insurance_claim"]["average_workdays"] == 6.5  # (9 + 4) / 2: 1-7 October are not counted
    assert rows["wealth_management"]["average_workdays"] == 16.0  # the adjusted Saturday 10 October counts
    assert rows["all"]["closed"] == 3
    assert rows["all"]["average_workdays"] == 9.7 and figure["average_workdays"] == 9.7
    assert "loan" not in rows  # closed in 2025, outside the period


def test_settled_amounts_are_exact(client, auth, officer, cases):
    figure = _stats(client, auth(officer))["settled_amounts"]
    rows = {r["category_code"]: r for r in figure["rows"]}
    assert rows["insurance_claim"] == {"category_code": "insurance_claim", "category": "保险理赔", "settled": 2,
                                       "settled_total": "304200.50", "settled_average": "152100.25"}
    assert figure["settled_total"] == "304200.50" and figure["settled_cases"] == 2
    assert list(rows) == ["insurance_claim", "all"]


def test_load_per_mediator(client, auth, officer, cases):
    rows = _stats(client, auth(officer))["mediator_load"]["rows"]
    by_name = {r["mediator"]: r for r in rows}
    assert by_name["林晓燕"] == {"user_id": cases["lin"].id, "mediator": "林晓燕", "open": 1, "received": 2,
                                "closed": 1, "max_active": None}
    assert by_name["陈国栋"]["open"] == 0 and by_name["陈国栋"]["closed"] == 2
    assert rows[0]["mediator"] == "林晓燕"  # most open cases first


def test_csv_in_chinese_by_default_and_in_english(client, auth, officer, cases):
    r = client.get("/api/v1/statistics/settled_amounts.csv", headers=auth(officer), params=PERIOD)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert table[0] == ["code", "案件类别", "达成协议", "协议金额合计（元）", "平均协议金额（元）"]
    assert table[1] == ["insurance_claim", "保险理赔", "2", "304200.50", "152100.25"]
    r = client.get("/api/v1/statistics/by_month.csv", headers=auth(officer), params={**PERIOD, "lang": "en"})
    table = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert table[0] == ["Month", "Received", "Closed"] and ["2026-10", "3", "1"] in table


def test_svg_charts_carry_the_numbers_and_escape_names(client, auth, officer, make_user, cases, engine):
    with unit_of_work(engine) as session:
        session.get(Case, cases["ids"]["loan"]).mediator_user_id = make_user(
            "mediator", display_name="<b>王</b>&Co").id
    r = client.get("/api/v1/statistics/mediator_load.svg", headers=auth(officer), params=PERIOD)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert "<b>" not in r.text and "&lt;b&gt;王&lt;/b&gt;&amp;Co" in r.text
    root = ET.fromstring(r.content)
    assert root.find(f"{SVG}title").text == "调解员工作量（2026-03-01—2026-11-30）"
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert "林晓燕 办理中: 1" in tips and "陈国栋 结案: 2" in tips
    en = client.get("/api/v1/statistics/time_to_close.svg", headers=auth(officer), params={**PERIOD, "lang": "en"})
    root = ET.fromstring(en.content)
    assert root.find(f"{SVG}title").text == "Time to close (working days) (2026-03-01 to 2026-11-30)"
    assert "Insurance claim Average time to close (working days): 6.5" in [t.text for t in root.iter(f"{SVG}title")]


def test_who_may_see_statistics(client, auth, officer, make_user):
    assert client.get("/api/v1/statistics", headers=auth(make_user("admin"))).status_code == 200
    for role in ("mediator", "party", "court", "expert"):
        r = client.get("/api/v1/statistics/by_status.svg", headers=auth(make_user(role)))
        assert r.status_code == 403, role
    assert client.get("/api/v1/statistics").status_code == 401


def test_bad_requests(client, auth, officer):
    headers = auth(officer)
    r = client.get("/api/v1/statistics/nonsense.csv", headers=headers)
    assert r.status_code == 404 and r.json()["type"] == "urn:mediation-svc:problem:not-found"
    r = client.get("/api/v1/statistics", headers=headers, params={"start": "2026-05-01", "end": "2026-04-01"})
    assert r.status_code == 422
    assert client.get("/api/v1/statistics", headers=headers, params={"lang": "fr"}).status_code == 422


def test_an_empty_period_gives_empty_figures_and_charts(client, auth, officer):
    figures = _stats(client, auth(officer), start="2020-01-01", end="2020-03-31")
    assert figures["by_category"]["rows"] == [] and figures["time_to_close"]["average_workdays"] is None
    assert [r["received"] for r in figures["by_month"]["rows"]] == [0, 0, 0]
    r = client.get("/api/v1/statistics/by_category.svg", headers=auth(officer),
                   params={"start": "2020-01-01", "end": "2020-03-31"})
    assert "本期间无数据" in r.text
