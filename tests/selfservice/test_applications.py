"""A consumer's own application: the same record as an officer's intake, marked, with the consent as given."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.complaints.models import Contact
from mediation_svc.db import unit_of_work
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.selfservice import policy
from mediation_svc.selfservice.models import Consent

from ..complaints.conftest import make_institution
from ..factories import resident_id
from .test_api import MINE, _prove

pytestmark = pytest.mark.db


@pytest.fixture
def icbc(engine) -> int:
    with unit_of_work(engine) as session:
        return make_institution(session, "中国工商银行股份有限公司广州分行", "91440101190471234")


def application(institution_id: int, **overrides) -> dict:
    body = {"wants_mediation": True, "consumer_name": "陈秀兰", "consumer_id_number": resident_id(),
            "institution_id": institution_id, "facts": "理财产品到期未按约定兑付。", "request": "兑付本金及收益",
            "amount": "8.65万", "preferred_language": "粤语", "needs_elderly_support": True,
            "consent": True, "consent_version": policy.CONSENT_VERSION}
    body.update(overrides)
    return body


def test_the_form_offers_the_institutions_and_the_notice_in_plain_words(client, icbc):
    form = client.get("/api/v1/self/applications/form").json()
    assert {"id": str(icbc), "name": "中国工商银行股份有限公司广州分行"} in form["institutions"]
    assert form["consent_version"] == policy.CONSENT_VERSION and "个人信息" in form["consent_text"]


def test_an_application_lands_as_a_complaint_marked_with_consent_and_sms(client, engine, icbc):
    headers = _prove(client, engine, MINE)
    answer = client.post("/api/v1/self/applications", json=application(icbc), headers=headers)
    assert answer.status_code == 201, answer.text
    number = answer.json()["number"]
    with Session(engine) as s:
        contact = s.exec(select(Contact).where(Contact.number == number)).one()
        assert contact.filed_by_consumer and contact.wants_mediation and contact.channel == "web"
        assert contact.consumer_phone == "+86" + MINE and str(contact.amount) == "86500.00"
        assert contact.status == "received" and contact.preferred_language == "粤语" and contact.needs_elderly_support
        consent = s.exec(select(Consent).where(Consent.contact_id == contact.id)).one()
        form = client.get("/api/v1/self/applications/form").json()
        assert consent.text_sha256 == hashlib.sha256(form["consent_text"].encode()).hexdigest()
        assert consent.text_version == policy.CONSENT_VERSION and consent.purpose == "mediation"
        sms = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "selfservice.applied")).one()
        assert number in sms.body and sms.recipient == "+86" + MINE
        actions = {e.action for e in s.exec(select(AuditEntry).where(AuditEntry.subject == f"complaint:{contact.id}"))}
        assert {"contact.complaint_recorded", "consumer.consented"} <= actions
    matters = client.get("/api/v1/self/matters", headers=headers).json()
    assert number in [c["number"] for c in matters["complaints"]]


def test_officers_see_it_as_filed_by_the_consumer(client, engine, auth, make_user, icbc):
    headers = _prove(client, engine, MINE)
    number = client.post("/api/v1/self/applications", json=application(icbc), headers=headers).json()["number"]
    officer = auth(make_user("case_officer"))
    board = client.get("/api/v1/complaints", headers=officer)
    assert board.status_code == 200
    mine = next(c for c in board.json() if c["number"] == number)
    assert mine["filed_by_consumer"] is True and mine["channel"] == "web"


def test_without_consent_nothing_is_filed(client, engine, icbc):
    headers = _prove(client, engine, MINE)
    for body in (application(icbc, consent=False), application(icbc, consent_version="2020-old")):
        answer = client.post("/api/v1/self/applications", json=body, headers=headers)
        assert answer.status_code == 422 and answer.json()["type"].endswith("consent-required")
    with Session(engine) as s:
        assert s.exec(select(Contact)).all() == [] and s.exec(select(Consent)).all() == []


def test_a_wrong_id_check_digit_is_refused_and_nothing_is_filed(client, engine, icbc):
    headers = _prove(client, engine, MINE)
    good = resident_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    answer = client.post("/api/v1/self/applications", json=application(icbc, consumer_id_number=bad), headers=headers)
    assert answer.status_code == 422 and "consumer_id_number" in str(answer.json()["errors"])
    with Session(engine) as s:
        assert s.exec(select(Contact)).all() == []


def test_applying_needs_a_proved_phone(client, icbc):
    assert client.post("/api/v1/self/applications", json=application(icbc)).status_code == 401
