"""Idempotency-Key on creating calls: the same key gives the same answer, never a second case."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from mediation_svc.cases.models import Case
from tests.factories import intake_payload
from tests.test_errors_and_ops import _is_problem


def cases_in(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Case)).all())


def test_a_retried_intake_returns_the_same_case(client, engine, make_user, auth):
    headers = {**auth(make_user("case_officer")), "Idempotency-Key": "intake-7f3a"}
    first = client.post("/api/v1/cases", json=intake_payload(), headers=headers)
    again = client.post("/api/v1/cases", json=intake_payload(), headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert cases_in(engine) == 1
    other = client.post("/api/v1/cases", json=intake_payload(), headers={**headers, "Idempotency-Key": "intake-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_the_same_key_with_another_body_is_refused(client, engine, make_user, auth):
    headers = {**auth(make_user("case_officer")), "Idempotency-Key": "k1"}
    assert client.post("/api/v1/cases", json=intake_payload(), headers=headers).status_code == 201
    reused = client.post("/api/v1/cases", json=intake_payload(facts="另一宗纠纷"), headers=headers)
    _is_problem(reused, 422, "idempotency-key-reused")
    assert cases_in(engine) == 1


def test_keys_are_per_caller_and_a_failed_request_remembers_nothing(client, engine, make_user, auth):
    one, two = auth(make_user("case_officer")), auth(make_user("case_officer"))
    bad = client.post("/api/v1/cases", json=intake_payload(category_code="nope"), headers={**one, "Idempotency-Key": "x"})
    assert bad.status_code == 422
    assert client.post("/api/v1/cases", json=intake_payload(), headers={**one, "Idempotency-Key": "x"}).status_code == 201
    assert client.post("/api/v1/cases", json=intake_payload(), headers={**two, "Idempotency-Key": "x"}).status_code == 201
    assert cases_in(engine) == 2


def test_concurrent_retries_with_one_key_make_one_case(live_server, engine, make_user, auth):
    headers = {**auth(make_user("case_officer")), "Idempotency-Key": "burst"}
    with live_server.client() as http, ThreadPoolExecutor(max_workers=4) as pool:
        def until_admitted(_):
            # More intakes at once than the worker admits (intake_concurrency) get 503; the client retries.
            for _attempt in range(20):
                answer = http.post("/api/v1/cases", json=intake_payload(), headers=headers)
                if answer.status_code != 503:
                    return answer
                time.sleep(0.1)
            return answer

        answers = list(pool.map(until_admitted, range(4)))
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert cases_in(engine) == 1
