"""A busy or absent database gives 503 problem+json with Retry-After, never 500; contention is retried;
/readyz says not ready when the database cannot take a write; SQLite refuses several workers."""

from __future__ import annotations

import logging
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from mediation_svc.app import create_app
from mediation_svc.cases.models import Case
from mediation_svc.db import make_engine
from mediation_svc.web.auth import SESSION_COOKIE
from tests.factories import intake_payload
from tests.test_errors_and_ops import _is_problem

from .conftest import through_proxy


@contextmanager
def holding_lock(engine, table: str, row_id: int):
    """Another transaction holding the row (PostgreSQL) or SQLite's write lock, until the block ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            tx = conn.begin()
            conn.execute(text(f"SELECT 1 FROM {table} WHERE id = :id FOR UPDATE"), {"id": row_id})
            try:
                yield
            finally:
                tx.rollback()
    else:
        raw = sqlite3.connect(engine.url.database, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.execute("ROLLBACK")
            raw.close()


@pytest.fixture
def impatient(settings):
    """An app whose lock waits end after 300 ms (so the tests need not wait ten seconds)."""
    quick = settings.model_copy(update={"database_lock_timeout_ms": 300, "sqlite_busy_timeout_ms": 300})
    engine = make_engine(quick)
    with TestClient(create_app(quick, engine), raise_server_exceptions=False) as client:
        yield client, engine
    engine.dispose()


def status_of(engine, case_id: int) -> str:
    with Session(engine) as session:
        return session.get(Case, case_id).status


def test_a_change_blocked_past_every_retry_is_503_and_changes_nothing(impatient, make_case, make_user, auth):
    client, engine = impatient
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    with holding_lock(engine, "cases", case.id):
        response = client.post(f"/api/v1/cases/{case.id}/transitions", json={"status": "accepted"},
                               headers=auth(officer))
    body = _is_problem(response, 503, "database-busy")
    assert response.headers["Retry-After"] == "1" and body["retry_after_seconds"] == 1
    assert "nothing was changed" in body["detail"]
    assert status_of(engine, case.id) == "received"


class _SawAttempt(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.first_failed = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "(attempt 1)" in record.getMessage():
            self.first_failed.set()


def test_contention_that_clears_is_retried_and_the_change_made_once(impatient, make_case, make_user, auth):
    client, engine = impatient
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    watcher = _SawAttempt()
    logger = logging.getLogger("mediation_svc.reliability")
    logger.addHandler(watcher)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            with holding_lock(engine, "cases", case.id):
                pending = pool.submit(client.post, f"/api/v1/cases/{case.id}/transitions",
                                      json={"status": "accepted"}, headers=auth(officer))
                assert watcher.first_failed.wait(60), "the first attempt should have met the lock"
            response = pending.result(timeout=60)
    finally:
        logger.removeHandler(watcher)
    assert response.status_code == 200, response.text
    assert status_of(engine, case.id) == "accepted"
    trail = client.get(f"/api/v1/cases/{case.id}/audit", headers=auth(officer)).json()
    assert [e["action"] for e in trail].count("case.status_changed") == 1


def test_readyz_is_not_ready_while_the_database_cannot_take_a_write(client, engine):
    assert client.get("/readyz").status_code == 200
    with holding_lock(engine, "readiness_probe", 1):
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"].startswith("failed")
        assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_sqlite_reads_do_not_wait_for_a_writer(client, engine, make_case, make_user, auth):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    officer = make_user("case_officer")
    case = make_case(officer=officer)
    with holding_lock(engine, "cases", case.id):
        response = client.get(f"/api/v1/cases/{case.id}", headers=auth(officer))
    assert response.status_code == 200, response.text
    assert response.json()["number"] == case.number


@pytest.mark.postgresql_only
def test_database_outage_is_503_with_retry_after_and_the_service_recovers(settings, db_proxy, make_user, auth):
    officer = make_user("case_officer")
    proxied = through_proxy(settings, db_proxy)
    engine = make_engine(proxied)
    try:
        with TestClient(create_app(proxied, engine), raise_server_exceptions=False) as client:
            headers = auth(officer)
            assert client.get("/api/v1/cases", headers=headers).status_code == 200
            db_proxy.stop()
            for response in (client.get("/api/v1/cases", headers=headers),
                             client.post("/api/v1/cases", json=intake_payload(), headers=headers)):
                _is_problem(response, 503, "database-unavailable")
                assert response.headers["Retry-After"] == "5"
            token = headers["Authorization"].removeprefix("Bearer ")
            page = client.get("/dashboard", cookies={SESSION_COOKIE: token}, follow_redirects=False)
            assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
            assert "系统正忙，您刚才的操作没有保存" in page.text and page.headers["Retry-After"] == "5"
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("failed")
            db_proxy.start()
            assert client.get("/api/v1/cases", headers=headers).status_code == 200
            assert client.post("/api/v1/cases", json=intake_payload(), headers=headers).status_code == 201
            assert client.get("/readyz").status_code == 200
    finally:
        engine.dispose()


def test_serve_refuses_several_workers_on_sqlite(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from mediation_svc.cli import app as cli
    from mediation_svc.config import get_settings

    monkeypatch.setenv("MEDIATION_DATABASE_URL", f"sqlite:///{tmp_path / 'one.db'}")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output


@pytest.mark.db
def test_a_unique_constraint_met_is_told_apart_from_other_refusals(engine, make_user):
    """``duplicate_key``: what the request retry treats as two inserts of one key at once (then a 409, never a
    500), on the database's own errors, not on exceptions made up for the test."""
    import sqlalchemy as sa

    from mediation_svc.accounts.models import User
    from mediation_svc.db import duplicate_key, transient_failure

    taken = make_user("case_officer")

    def refusal(statement: str) -> sa.exc.DBAPIError:
        with engine.connect() as conn:
            with pytest.raises(sa.exc.DBAPIError) as caught:
                conn.execute(text(statement))
            conn.rollback()
        return caught.value

    row = sa.insert(User.__table__).values(username=taken.username, display_name="x", role="case_officer",
                                           active=True)
    with engine.connect() as conn:
        with pytest.raises(sa.exc.IntegrityError) as same_name:
            conn.execute(row)
        conn.rollback()
    assert duplicate_key(same_name.value) and transient_failure(same_name.value) is None
    missing_name = refusal("INSERT INTO users (username) VALUES (NULL)")  # NOT NULL: a bug, not a race
    assert isinstance(missing_name, sa.exc.IntegrityError) and not duplicate_key(missing_name)
    assert not duplicate_key(refusal("SELECT * FROM no_such_table"))
