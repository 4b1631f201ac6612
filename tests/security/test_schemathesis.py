"""Schemathesis against every operation of ``/openapi.json``: no 5xx, and every error is RFC 9457 problem+json.

The same ASGI app the other tests use (a migrated database, keys, ``create_app``), run twice: once with an
admin's bearer token (a fresh one for each request), once anonymous. Bounded so that both runs take under
two minutes on two cores: a few generated cases per operation, valid ones and then invalid ones (Schemathesis'
positive and negative modes), derandomised (the same cases every run), no shrinking, and no Hypothesis
database written anywhere. Every failing operation is listed, not only the first.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from mediation_svc.errors import PROBLEM_JSON

# A deeper run by hand: MEDIATION_SCHEMATHESIS_EXAMPLES=50 pytest tests/security/test_schemathesis.py
EXAMPLES_PER_OPERATION = int(os.environ.get("MEDIATION_SCHEMATHESIS_EXAMPLES", "4"))

CONFIG = {"seed": 20260415, "generation": {"deterministic": True, "database": "none"}}

# The OCSP responder takes a DER request (RFC 6960): sent as the raw bytes Schemathesis generates.
schemathesis.serializer.alias("application/ocsp-request", "application/octet-stream")

HYPOTHESIS = settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), print_blob=False,
                      phases=[Phase.explicit, Phase.generate])


def _schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture
def running_app(app):
    # The lifespan (thread pool, keys, the verification worker) runs as it does under uvicorn.
    with TestClient(app, raise_server_exceptions=False):
        yield app


def problem_or_success(response, where: str) -> None:
    """The rule under test: no 5xx, and an error is problem+json with our ``type`` and the real status."""
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith(PROBLEM_JSON), (
            f"{where}: {response.status_code} with {content_type!r}, not problem+json: {response.text[:300]}")
        body = response.json()
        assert body["status"] == response.status_code, f"{where}: {body}"
        assert body["type"].startswith("urn:mediation-svc:problem:"), f"{where}: {body}"


def run_every_operation(schema, login: Callable[[], dict[str, str]] | None = None) -> tuple[Counter, list[str]]:
    """Each operation, positive then negative cases; returns (statuses seen, the first failure of each)."""
    failures, statuses = [], Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in EXCLUDED:
            continue
        statuses["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @HYPOTHESIS
            @given(case=operation.as_strategy(generation_mode=mode))
            def exercise(case):
                # A fresh token each time: a generated logout or password change revokes the one it used.
                response = case.call(headers=login() if login else None)
                statuses[f"{response.status_code // 100}xx"] += 1
                statuses[response.status_code] += 1
                problem_or_success(response, f"{case.method.upper()} {case.formatted_path}")

            try:
                exercise()
            except Unsatisfiable:
                # An operation without parameters or body has nothing a negative case could break.
                if mode is GenerationMode.POSITIVE:
                    raise
            except Exception as exc:  # noqa: BLE001 - an assertion, or the app's own exception (a 500)
                failures.append(f"{operation.label} [{mode.value}] {type(exc).__name__}: {exc}".splitlines()[0][:600])
                break
    return statuses, failures


# Operations left out, each with its reason.
EXCLUDED: dict[str, str] = {}


def test_every_operation_as_staff(running_app, make_user, auth):
    admin = make_user("admin")
    statuses, failures = run_every_operation(_schema(running_app), lambda: auth(admin))
    print("staff", dict(statuses))
    assert statuses["operations"] > 100
    assert statuses["2xx"] > 50  # the token works: the run reaches past the login on many operations
    assert not failures, "\n".join(failures)


def test_every_operation_anonymous(running_app):
    statuses, failures = run_every_operation(_schema(running_app))
    print("anonymous", dict(statuses))
    assert statuses["operations"] > 100
    assert not failures, "\n".join(failures)


class _Answer:
    def __init__(self, status: int, content_type: str, body: str) -> None:
        self.status_code, self.headers, self.text = status, {"content-type": content_type}, body

    def json(self):
        import json

        return json.loads(self.text)


@pytest.mark.parametrize("answer, ok", [
    (_Answer(200, "application/json", "{}"), True),
    (_Answer(404, PROBLEM_JSON, '{"type": "urn:mediation-svc:problem:not-found", "status": 404}'), True),
    (_Answer(500, PROBLEM_JSON, '{"type": "urn:mediation-svc:problem:internal-error", "status": 500}'), False),
    (_Answer(503, PROBLEM_JSON, '{"type": "urn:mediation-svc:problem:database-unavailable", "status": 503}'), False),
    (_Answer(404, "text/html; charset=utf-8", "<h1>Not found</h1>"), False),
    (_Answer(422, "application/json", '{"detail": []}'), False),
    (_Answer(400, PROBLEM_JSON, '{"type": "about:blank", "status": 400}'), False),
    (_Answer(409, PROBLEM_JSON, '{"type": "urn:mediation-svc:problem:conflict", "status": 400}'), False),
])
def test_the_rule_refuses_server_errors_and_errors_that_are_not_problems(answer, ok):
    if ok:
        problem_or_success(answer, "GET /x")
    else:
        with pytest.raises(AssertionError):
            problem_or_success(answer, "GET /x")


# What the run found once, kept as plain cases (each was a 500).
@pytest.mark.parametrize("start, end", [("0001-01-01", "2026-01-31"), ("2026-01-01", "9999-12-31")])
def test_fairness_at_the_ends_of_the_calendar_is_a_422(client, make_user, auth, start, end):
    r = client.get("/api/v1/rosters/fairness", params={"start": start, "end": end},
                   headers=auth(make_user("admin")))
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM_JSON), r.text


def test_a_user_of_an_unknown_institution_is_a_422(client, make_user, auth):
    r = client.post("/api/v1/users", headers=auth(make_user("admin")),
                    json={"username": "bank.staff", "display_name": "张三", "role": "institution",
                          "password": "a-long-enough-phrase-7", "institution_id": 987654})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "institution_id"], r.text
