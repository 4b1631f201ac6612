"""No blocking call on the event loop: a request that waits on a database lock occupies a thread of the pool,
never the worker's event loop, so the same worker keeps answering everyone else (issue 16: eight signers
uploading their drawings at once froze every write of the service for seven minutes)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests.factories import intake_payload
from tests.signing.conftest import drawn_signature
from tests.signing.test_signer_rules import open_world

pytestmark = pytest.mark.postgresql_only


def wait_for_lock_waiters(engine, count: int) -> int:
    """Block until ``count`` backends of this database wait on a lock (the uploads are really stuck)."""
    for _ in range(600):
        with engine.connect() as conn:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar_one()
        if waiting >= count:
            return waiting
        time.sleep(0.05)
    raise AssertionError(f"expected {count} requests waiting on a lock, saw {waiting}")


def test_uploads_stuck_on_a_lock_do_not_stall_the_worker(live_server, engine, auth, make_user, make_case,
                                                         agreement_pdf):
    with live_server.client() as http:
        world = open_world(http, engine, auth, make_user, make_case, agreement_pdf)
        signers = [world.consumer().identify()]
        consumer = world.participant("person")
        officer_headers = auth(world.officer)

        blocker = engine.connect()
        tx = blocker.begin()
        blocker.execute(text("SELECT id FROM signing_participants WHERE id = :id FOR UPDATE"), {"id": consumer.id})
        with ThreadPoolExecutor(max_workers=4) as pool:
            uploads = [pool.submit(http.put, "/api/v1/sign/session/drawing",
                                   headers={**signers[0].headers, "Content-Type": "image/png"},
                                   content=drawn_signature(seed)) for seed in range(4)]
            wait_for_lock_waiters(engine, 4)
            try:
                # the same worker, while four of its requests wait on the lock:
                health = http.get("/healthz", timeout=20)
                listing = http.get("/api/v1/cases", headers=officer_headers, timeout=20)
                intake = http.post("/api/v1/cases", headers=officer_headers, timeout=20,
                                   json=intake_payload(facts="另一宗纠纷，不受签名上传影响。"))
                assert all(not u.done() for u in uploads), "the uploads should still wait on the lock"
            finally:
                tx.rollback()
                blocker.close()
            results = [u.result(timeout=60) for u in uploads]
    assert health.status_code == 200
    assert listing.status_code == 200
    assert intake.status_code == 201, intake.text
    assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
