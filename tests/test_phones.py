"""One phone rule everywhere a number is entered: a mainland mobile (1[3-9] and nine digits) or a number abroad
written with + and its country code. Landlines and short numbers are refused in the API (422, the field named)
and on the forms (beside the field, in Chinese, with what was typed kept)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from mediation_svc.accounts.models import User
from mediation_svc.cases.models import Case, Institution
from mediation_svc.complaints.models import Contact
from mediation_svc.db import unit_of_work
from mediation_svc.phones import normalise_mobile

from .factories import intake_payload
from .web.conftest import csrf_of, form_post, login  # noqa: F401 (fixtures)

LANDLINE, SHORT, MAINLAND, HONG_KONG = "020-12345678", "1392468", "139 2468 1357", "+852 9123 4567"
REFUSED = [LANDLINE, SHORT, "02012345678", "12345678901", "85291234567", "+852 2123 4567", "电话"]


@pytest.mark.parametrize("typed, stored", [(MAINLAND, "+8613924681357"), ("13924681357", "+8613924681357"),
                                           ("+86 139-2468-1357", "+8613924681357"), (HONG_KONG, "+85291234567")])
def test_mobiles_are_kept_as_e164(typed, stored):
    assert normalise_mobile(typed) == stored


@pytest.mark.parametrize("typed", REFUSED)
def test_landlines_short_and_bare_foreign_numbers_are_refused(typed):
    with pytest.raises(ValueError):
        normalise_mobile(typed)


def _loc_refused(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert any(e["loc"][-1] == field for e in response.json()["errors"]), response.json()


@pytest.mark.parametrize("typed", [LANDLINE, SHORT])
def test_every_api_that_takes_a_phone_refuses_a_landline_and_a_short_number(client, auth, make_user, engine, typed):
    officer, admin = make_user("case_officer"), make_user("admin")
    with unit_of_work(engine) as session:
        bank = Institution(name="某银行广州分行", kind="bank", credit_code="91440101MA5CXXXX0X")
        session.add(bank)
        session.flush()
        bank_id = bank.id
    # case intake: the applicant
    payload = intake_payload()
    payload["applicant"]["phone"] = typed
    _loc_refused(client.post("/api/v1/cases", headers=auth(officer), json=payload), "phone")
    # complaints and consultations: the consumer and the contact
    contact = {"kind": "consultation", "channel": "hotline", "consumer_name": "黄志伟", "topic": "信用卡",
               "answer": "已解答"}
    _loc_refused(client.post("/api/v1/contacts", headers=auth(officer), json={**contact, "consumer_phone": typed}),
                 "consumer_phone")
    _loc_refused(client.post("/api/v1/contacts", headers=auth(officer), json={**contact, "contact_phone": typed}),
                 "contact_phone")
    # users and institution accounts
    _loc_refused(client.post("/api/v1/users", headers=auth(admin), json={
        "username": "new.mediator", "display_name": "新调解员", "role": "mediator", "password": "a-long-pass-phrase-42",
        "phone": typed}), "phone")
    _loc_refused(client.post("/api/v1/institution-accounts", headers=auth(admin), json={
        "username": "bank.staff", "display_name": "银行投诉专员", "password": "a-long-pass-phrase-42", "phone": typed,
        "institution_id": bank_id}), "phone")
    with Session(engine) as session:
        assert session.exec(select(Case)).all() == [] and session.exec(select(Contact)).all() == []
        assert {u.username for u in session.exec(select(User)).all()} == {officer.username, admin.username}


def test_the_api_keeps_a_mainland_mobile_and_a_number_abroad(client, auth, make_user, engine):
    officer, admin = make_user("case_officer"), make_user("admin")
    payload = intake_payload()
    payload["applicant"]["phone"] = MAINLAND
    assert client.post("/api/v1/cases", headers=auth(officer), json=payload).status_code == 201
    made = client.post("/api/v1/users", headers=auth(admin), json={
        "username": "hk.mediator", "display_name": "香港调解员", "role": "mediator",
        "password": "a-long-pass-phrase-42", "phone": HONG_KONG})
    assert made.status_code == 201, made.text
    assert made.json()["phone"] == "+85291234567"


INTAKE = {"channel": "hotline", "category_code": "insurance_claim", "applicant_name": "陈秀兰",
          "id_number": "440106195803121235", "institution_id": "1", "facts": "拒赔", "city": "广州"}


@pytest.fixture
def institution(engine):
    with unit_of_work(engine) as session:
        session.add(Institution(name="某银行广州分行", kind="bank", credit_code="91440101MA5CXXXX0X"))


@pytest.mark.parametrize("typed", [LANDLINE, SHORT])
def test_the_intake_form_says_beside_the_phone_what_is_wrong_and_keeps_it(client, make_user, login, form_post,
                                                                          institution, typed):
    login(make_user("case_officer"))
    refused = form_post("/cases/new", "/cases/new", {**INTAKE, "phone": typed})
    assert refused.status_code == 422
    html = refused.text
    assert 'id="err-phone"' in html and "座机号码收不到短信" in html
    assert f'name="phone" type="tel" required value="{typed}"' in html
    assert 'value="陈秀兰"' in html


@pytest.mark.parametrize("typed, stored", [(MAINLAND, "+8613924681357"), (HONG_KONG, "+85291234567")])
def test_the_intake_form_takes_a_mobile(client, make_user, login, form_post, engine, institution, typed, stored):
    login(make_user("case_officer"))
    response = form_post("/cases/new", "/cases/new", {**INTAKE, "phone": typed})
    assert response.status_code == 303, response.text
    from mediation_svc.cases.service import parties_of

    with Session(engine) as session:
        case = session.exec(select(Case)).one()
        assert next(p for p in parties_of(session, case.id) if p.role == "applicant").phone == stored


@pytest.mark.parametrize("field", ["consumer_phone", "contact_phone"])
def test_the_complaint_form_says_beside_the_phone_what_is_wrong_and_keeps_it(client, make_user, login, form_post,
                                                                             engine, institution, field):
    login(make_user("case_officer"))
    data = {"kind": "consultation", "channel": "hotline", "consumer_name": "黄志伟", "topic": "信用卡",
            "answer": "已解答", field: LANDLINE}
    refused = form_post("/complaints/new", "/complaints/new", data)
    assert refused.status_code == 422
    assert f'id="err-{field}"' in refused.text and "座机号码收不到短信" in refused.text
    assert f'value="{LANDLINE}"' in refused.text and 'value="黄志伟"' in refused.text
    ok = form_post("/complaints/new", "/complaints/new", {**data, field: HONG_KONG})
    assert ok.status_code == 303, ok.text
    with Session(engine) as session:
        assert getattr(session.exec(select(Contact)).one(), field) == "+85291234567"
