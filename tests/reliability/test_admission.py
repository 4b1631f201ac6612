"""Admission control and the intake bulkhead, on plain ASGI calls: a request that cannot get a turn within
the queue's wait is told 503 at once, a waiting one runs when a slot frees, and intakes beyond their limit
are refused at once while the others wait on the case-number counter (issue 16, bench/load.py)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from mediation_svc.reliability import LoadShedding


def _scope(path="/api/v1/cases"):
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": [],
            "client": ("127.0.0.1", 1), "server": ("testserver", 80)}


async def _request(app, path="/api/v1/cases"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    started = time.monotonic()
    await app(_scope(path), receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:]), \
        time.monotonic() - started


def test_a_request_that_waits_too_long_for_a_turn_gets_503_and_a_waiting_one_runs_later():
    release = asyncio.Event()
    ran = []

    async def inner(scope, receive, send):
        ran.append(scope["path"])
        if scope["path"] == "/slow":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def scenario():
        app = LoadShedding(inner, running=1, queue=1, max_wait=0.2)
        slow = asyncio.create_task(_request(app, "/slow"))
        await asyncio.sleep(0.01)
        waited = await _request(app)  # the only slot is taken for longer than the queue's wait
        late = asyncio.create_task(_request(app, "/late"))
        await asyncio.sleep(0.01)
        beyond = await _request(app)  # one is already waiting: the queue is full, refused at once
        release.set()
        return waited, beyond, await late, await slow, await _request(app, "/healthz")

    waited, beyond, late, slow, health = asyncio.run(scenario())
    for status, headers, body, seconds in (waited, beyond):
        assert status == 503 and headers[b"retry-after"] == b"1"
        assert json.loads(body)["type"] == "urn:mediation-svc:problem:overloaded"
    assert 0.15 < waited[3] < 1.0 and beyond[3] < 0.15
    assert late[0] == 200 and slow[0] == 200 and health[0] == 200  # the waiting one ran once the slot freed


@pytest.mark.db
def test_intakes_beyond_the_bulkhead_are_refused_at_once(client, make_user, auth, settings):
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    from tests.factories import intake_payload

    headers = auth(make_user("case_officer"))
    client.app.state.settings = settings.model_copy(update={"intake_concurrency": 1})
    engine = client.app.state.engine
    if engine.dialect.name != "postgresql":
        # SQLite: the bulkhead alone (no second writer to hold the counter); one intake at a time succeeds
        answers = [client.post("/api/v1/cases", json=intake_payload(), headers=headers) for _ in range(2)]
        assert [a.status_code for a in answers] == [201, 201]
        return
    assert client.post("/api/v1/cases", json=intake_payload(), headers=headers).status_code == 201  # the row
    with engine.connect() as conn, conn.begin():  # another transaction holds the year's counter
        conn.execute(text("SELECT 1 FROM case_number_counters FOR UPDATE"))
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(client.post, "/api/v1/cases", json=intake_payload(), headers=headers)
            time.sleep(1.0)
            started = time.monotonic()
            second = client.post("/api/v1/cases", json=intake_payload(), headers=headers)
            refused_in = time.monotonic() - started
            conn.rollback()
            assert first.result(timeout=60).status_code == 201
    assert second.status_code == 503 and second.json()["type"].endswith(":overloaded") and refused_in < 1.0
