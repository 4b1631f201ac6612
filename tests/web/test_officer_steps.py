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
