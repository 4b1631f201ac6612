from datetime import date
from decimal import Decimal

import pytest

from tests.factories import credit_code, intake_payload, resident_id

CASES = "/api/v1/cases"


@pytest.fixture
def officer_headers(make_user, auth):
    return auth(make_user("case_officer"))


def test_intake_creates_a_numbered_case_with_parties(client, officer_headers):
    response = client.post(CASES, json=intake_payload(received_on="2026-03-02"), headers=officer_headers)
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["number"] == "粤正和调〔2026〕第0001号"
    assert case["status"] == "received"
    assert Decimal(case["claim_amount"]) == Decimal("400000.00")
    assert case["fast_track"] is False
    applicant = next(p for p in case["parties"] if p["role"] == "applicant")
    assert applicant["name"] == "陈秀兰"
    assert applicant["id_number_masked"].startswith("440") and "*" in applicant["id_number_masked"]
    assert applicant["phone"] == "+8613800138000"


def test_numbers_are_sequential_per_year(client, officer_headers):
    numbers = [client.post(CASES, json=intake_payload(received_on=day), headers=officer_headers).json()["number"]
               for day in ("2026-01-05", "2026-01-06", "2027-01-04")]
    assert numbers == ["粤正和调〔2026〕第0001号", "粤正和调〔2026〕第0002号", "粤正和调〔2027〕第0001号"]


def test_small_claims_go_to_the_fast_track_with_a_shorter_due_date(client, officer_headers):
    response = client.post(CASES, json=intake_payload(claim_amount="4800.00", received_on="2025-09-26"),
                           headers=officer_headers)
    case = response.json()
    assert case["fast_track"] is True
    # 10 working days after Fri 2025-09-26: Sun 28 Sep is an adjusted working day, 1-8 Oct is the
    # National Day holiday, Sat 11 Oct is an adjusted working day.
    assert case["due_on"] == "2025-10-16"


@pytest.mark.parametrize("field,value,fragment", [
    ("id_number", resident_id()[:-1] + ("0" if resident_id()[-1] != "0" else "1"), "check digit"),
    ("id_number", "44010619581332123X", "date of birth"),
    ("id_number", "12345", "17 digits"),
    ("phone", "12345", "phone"),
])
def test_bad_applicant_identifiers_are_422_naming_the_field(client, officer_headers, field, value, fragment):
    payload = intake_payload()
    payload["applicant"][field] = value
    response = client.post(CASES, json=payload, headers=officer_headers)
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:mediation-svc:problem:validation-error"
    assert fragment in body["detail"]


def test_bad_credit_code_is_422(client, officer_headers):
    payload = intake_payload()
    good = credit_code("91440000723823PJ0")
    payload["respondent"]["credit_code"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(CASES, json=payload, headers=officer_headers)
    assert response.status_code == 422
    assert "credit code" in response.json()["detail"]


def test_passport_numbers_are_not_checked_as_resident_ids(client, officer_headers):
    payload = intake_payload()
    payload["applicant"].update(id_type="passport", id_number="E12345678")
    assert client.post(CASES, json=payload, headers=officer_headers).status_code == 201


def test_unknown_category_is_422(client, officer_headers):
    response = client.post(CASES, json=intake_payload(category_code="lottery"), headers=officer_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["category_code"]


def test_amounts_keep_fen_precision(client, officer_headers, engine):
    from sqlmodel import Session

    from mediation_svc.cases.models import Case

    created = client.post(CASES, json=intake_payload(claim_amount="1000000.07"), headers=officer_headers).json()
    with Session(engine) as session:
        assert session.get(Case, created["id"]).claim_amount == Decimal("1000000.07")


def test_the_same_institution_is_reused(client, officer_headers):
    first = client.post(CASES, json=intake_payload(), headers=officer_headers).json()
    second = client.post(CASES, json=intake_payload(), headers=officer_headers).json()
    assert first["institution_id"] == second["institution_id"]


def test_parties_cannot_take_in_cases(client, make_user, auth):
    party = make_user("party")
    assert client.post(CASES, json=intake_payload(), headers=auth(party)).status_code == 403


def test_overdue_list(client, officer_headers):
    old = client.post(CASES, json=intake_payload(received_on="2025-01-06"), headers=officer_headers).json()
    client.post(CASES, json=intake_payload(received_on=date.today().isoformat()), headers=officer_headers)
    overdue = client.get(f"{CASES}/overdue", headers=officer_headers).json()
    assert [c["id"] for c in overdue] == [old["id"]]
    assert overdue[0]["overdue"] is True and overdue[0]["working_days_left"] < 0


def test_the_intake_refuses_what_the_cases_table_cannot_keep(client, auth, make_user):
    """The intake's length limits are the table's own (``schemas.kept``): one character more than the column holds
    is a 422 that names the field, and nothing is stored; exactly what it holds is taken (PostgreSQL would fail on
    more, where SQLite would quietly keep it)."""
    from mediation_svc.cases.models import Case
    from mediation_svc.cases.schemas import CaseIntake

    for name, field in CaseIntake.model_fields.items():
        if name in Case.__table__.c and getattr(Case.__table__.c[name].type, "length", None):
            limit = next((m.max_length for m in field.metadata if hasattr(m, "max_length")), None)
            assert limit is None or limit <= Case.__table__.c[name].type.length, name  # an enum has no limit
    officer = auth(make_user("case_officer"))
    too_long = client.post("/api/v1/cases", headers=officer, json=intake_payload(requests="请" * 5001))
    assert too_long.status_code == 422 and too_long.json()["type"] == "urn:mediation-svc:problem:validation-error"
    assert "requests" in too_long.text
    assert client.get("/api/v1/cases", headers=officer).json() == []
    fits = client.post("/api/v1/cases", headers=officer, json=intake_payload(requests="请" * 5000))
    assert fits.status_code == 201, fits.text
    assert len(fits.json()["requests"]) == 5000
