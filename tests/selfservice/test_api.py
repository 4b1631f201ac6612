"""The consumer's API on a real database: a phone proved by the code the SMS carried sees its own cases only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from mediation_svc.audit.models import AuditEntry
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.selfservice.models import PhoneProof
from mediation_svc.security.throttle import ThrottleEvent
from tests.factories import intake_payload

pytestmark = pytest.mark.db

MINE, OTHER = "13800138000", "13922224444"


def _applicant(phone: str, name: str = "陈秀兰") -> dict:
    payload = intake_payload()
    return {**payload["applicant"], "phone": phone, "name": name}


def _sms_code(engine, phone: str) -> str:
    with Session(engine) as s:
        body = s.exec(select(OutboxMessage.body).where(OutboxMessage.kind == "selfservice.code",
                                                       OutboxMessage.recipient == "+86" + phone)
                      .order_by(col(OutboxMessage.id).desc())).first()
    assert body, "no code was texted"
    match = re.search(r"\d{6}", body)
    assert match
    return match.group(0)


def _age_codes(engine, seconds: int = 61) -> None:
    """Move the last send back in time (the resend gap), as if the person waited."""
    with unit_of_work(engine) as s:
        for proof in s.exec(select(PhoneProof)).all():
            proof.sent_at -= timedelta(seconds=seconds)
            s.add(proof)


def _prove(client, engine, phone: str) -> dict[str, str]:
    assert client.post("/api/v1/self/codes", json={"phone": phone}).status_code == 202
    answer = client.post("/api/v1/self/proofs", json={"phone": phone, "code": _sms_code(engine, phone)})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def two_cases(make_case, make_user):
    officer = make_user("case_officer")
    mine = make_case(officer=officer, applicant=_applicant(MINE))
    other = make_case(officer=officer, applicant=_applicant(OTHER, "王建国"))
    return mine, other


def test_a_proved_phone_sees_its_case_in_plain_chinese(client, engine, two_cases):
    mine, other = two_cases
    headers = _prove(client, engine, MINE)
    matters = client.get("/api/v1/self/matters", headers=headers)
    assert matters.status_code == 200
    body = matters.json()
    assert [c["number"] for c in body["cases"]] == [mine.number]
    assert body["phone_masked"] == "138****8000"
    case = client.get(f"/api/v1/self/cases/{mine.number}", headers=headers).json()
    assert case["status_text"] == "已接收" and "受理" in case["next_step"]
    assert case["open"] is True and isinstance(case["working_days_left"], int)
    assert "王建国" not in matters.text + str(case)


def test_another_consumers_number_with_your_phone_gets_nothing(client, engine, two_cases):
    mine, other = two_cases
    headers = _prove(client, engine, MINE)
    answer = client.get(f"/api/v1/self/cases/{other.number}", headers=headers)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert other.number not in client.get("/api/v1/self/matters", headers=headers).text
    nothing = client.get("/api/v1/self/cases/no-such-number", headers=headers)
    assert nothing.status_code == 404 and nothing.json()["detail"] == answer.json()["detail"]


def test_nothing_without_a_proved_phone_and_staff_tokens_are_not_consumer_tokens(client, auth, make_user, two_cases):
    mine, _ = two_cases
    assert client.get(f"/api/v1/self/cases/{mine.number}").status_code == 401
    staff = auth(make_user("case_officer"))
    answer = client.get("/api/v1/self/matters", headers=staff)
    assert answer.status_code == 401 and answer.json()["type"].endswith("unauthenticated")


def test_a_wrong_code_counts_and_the_fifth_locks_even_the_right_code(client, engine, two_cases):
    assert client.post("/api/v1/self/codes", json={"phone": MINE}).status_code == 202
    right = _sms_code(engine, MINE)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        answer = client.post("/api/v1/self/proofs", json={"phone": MINE, "code": wrong})
        assert answer.status_code == 422 and answer.json()["type"].endswith("code-rejected")
    locked = client.post("/api/v1/self/proofs", json={"phone": MINE, "code": right})
    assert locked.status_code == 429 and "retry-after" in {k.lower() for k in locked.headers}
    with Session(engine) as s:  # the failures survived the requests that rolled back
        assert len(s.exec(select(ThrottleEvent).where(ThrottleEvent.bucket == "self.fail.phone")).all()) == 5


def test_codes_are_hashed_used_once_and_replaced_by_a_newer_one(client, engine, two_cases):
    assert client.post("/api/v1/self/codes", json={"phone": MINE}).status_code == 202
    first = _sms_code(engine, MINE)
    with Session(engine) as s:
        row = s.exec(select(PhoneProof)).one()
        assert first not in row.code_mac and "$" in row.code_mac
    assert client.post("/api/v1/self/codes", json={"phone": MINE}).status_code == 429  # within the minute
    _age_codes(engine)
    assert client.post("/api/v1/self/codes", json={"phone": MINE}).status_code == 202
    second = _sms_code(engine, MINE)
    if first != second:
        assert client.post("/api/v1/self/proofs", json={"phone": MINE, "code": first}).status_code == 422
    assert client.post("/api/v1/self/proofs", json={"phone": MINE, "code": second}).status_code == 201
    again = client.post("/api/v1/self/proofs", json={"phone": MINE, "code": second})
    assert again.status_code == 422 and "用过" in again.json()["detail"]


def test_sends_are_bounded_per_phone_per_hour(client, engine, two_cases):
    for _ in range(5):
        assert client.post("/api/v1/self/codes", json={"phone": MINE}).status_code == 202
        _age_codes(engine)
    sixth = client.post("/api/v1/self/codes", json={"phone": MINE})
    assert sixth.status_code == 429 and "上限" in sixth.json()["detail"]


def test_logging_out_ends_the_token_and_the_proof_is_audited(client, engine, two_cases):
    headers = _prove(client, engine, MINE)
    assert client.get("/api/v1/self/matters", headers=headers).status_code == 200
    assert client.delete("/api/v1/self/proofs/current", headers=headers).status_code == 204
    assert client.get("/api/v1/self/matters", headers=headers).status_code == 401
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "consumer.phone_proved")).one()
        assert MINE not in entry.actor + entry.payload and "138****8000" in entry.payload


def test_an_expired_code_is_refused(client, engine, two_cases):
    assert client.post("/api/v1/self/codes", json={"phone": MINE}).status_code == 202
    code = _sms_code(engine, MINE)
    with unit_of_work(engine) as s:
        row = s.exec(select(PhoneProof)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    answer = client.post("/api/v1/self/proofs", json={"phone": MINE, "code": code})
    assert answer.status_code == 422 and "过期" in answer.json()["detail"]


def test_a_landline_is_refused_with_a_field_error(client):
    answer = client.post("/api/v1/self/codes", json={"phone": "020-12345678"})
    assert answer.status_code == 422 and answer.json()["type"].endswith("validation-error")
    assert "phone" in str(answer.json()["errors"])


@pytest.mark.postgresql_only
def test_a_double_tap_on_send_code_texts_one_code(client, engine, app):
    """The second request waits for the first and finds its code just sent (429 with the wait); before, both
    passed the 60-second check, two codes went out, and the one that arrived first was refused as wrong."""
    from concurrent.futures import ThreadPoolExecutor

    from mediation_svc.db import unit_of_work
    from mediation_svc.notifications.models import OutboxMessage
    from mediation_svc.selfservice import service
    from tests.reliability.test_lock_order import wait_for_a_lock_wait

    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:  # the first tap, not yet committed
            service.send_code(session, keystore=app.state.keystore, phone="+86" + MINE, client="testclient")
            second = pool.submit(client.post, "/api/v1/self/codes", json={"phone": MINE})
            wait_for_a_lock_wait(engine)
        response = second.result(timeout=120)
    assert response.status_code == 429, response.text
    with Session(engine) as s:
        sent = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "selfservice.code")).all()
    assert len(sent) == 1
    answer = client.post("/api/v1/self/proofs", json={"phone": MINE, "code": _sms_code(engine, MINE)})
    assert answer.status_code == 201, answer.text
