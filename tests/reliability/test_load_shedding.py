"""Load shedding: when every request slot of a worker is taken, the next request gets 503 with Retry-After
at once instead of queueing into a timeout (issue 16: at 200 clients nothing succeeded for 30 s)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mediation_svc.app import create_app
from mediation_svc.db import make_engine
from tests.test_errors_and_ops import _is_problem

from .conftest import LiveServer
from .test_database_faults import holding_lock
from .test_event_loop import wait_for_lock_waiters

pytestmark = pytest.mark.postgresql_only


def test_a_saturated_worker_answers_503_at_once_and_recovers(settings, make_case, make_user, auth):
    small = settings.model_copy(update={"worker_threads": 2, "worker_queue": 0, "database_pool_size": 2})
    engine = make_engine(small)
    server = LiveServer(create_app(small, engine)).start()
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    headers = auth(officer)
    try:
        with server.client() as http, ThreadPoolExecutor(max_workers=2) as pool:
            with holding_lock(engine, "cases", case.id):
                stuck = [pool.submit(http.post, f"/api/v1/cases/{case.id}/transitions", headers=headers,
                                     json={"status": "accepted"}) for _ in range(2)]
                wait_for_lock_waiters(engine, 2)
                shed = http.get("/api/v1/cases", headers=headers, timeout=10)
                health = http.get("/healthz", timeout=10)
            answers = [f.result(timeout=60) for f in stuck]
            after = http.get("/api/v1/cases", headers=headers)
    finally:
        server.stop()
        engine.dispose()
    body = _is_problem(shed, 503, "overloaded")
    assert shed.headers["Retry-After"] == "1" and "try again" in body["detail"]
    assert health.status_code == 200
    assert sorted(a.status_code for a in answers) == [200, 409]  # one moved the case, the other found it moved
    assert after.status_code == 200
