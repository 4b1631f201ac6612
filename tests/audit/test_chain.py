"""The audit chain: append-only at the database, and any tampering is found and named."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from mediation_svc.audit.chain import record, verify_chain
from mediation_svc.audit.models import AuditEntry
from mediation_svc.db import unit_of_work


def _fill(engine, count=5, subject="thing:1"):
    """``count`` entries about one subject: one chain, entries 1..count."""
    with unit_of_work(engine) as session:
        for index in range(count):
            record(session, actor="test", action="test.event", subject=subject, payload={"n": index})


def _disable_protection(conn, dialect):
    """What only a database superuser could do: switch off the append-only triggers."""
    if dialect == "postgresql":
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_an_intact_chain_verifies(engine, make_case):
    make_case()
    _fill(engine)
    with Session(engine) as session:
        report = verify_chain(session)
    assert report.ok and report.entries_checked >= 6


def test_updates_and_deletes_are_refused_by_the_database(engine):
    _fill(engine, 2)
    for statement in ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 2"):
        with pytest.raises(DBAPIError):
            with engine.begin() as conn:
                conn.execute(text(statement))
    with Session(engine) as session:
        assert verify_chain(session).ok


def test_an_edited_payload_is_named(engine):
    _fill(engine, 6)
    with engine.begin() as conn:
        _disable_protection(conn, engine.dialect.name)
        conn.execute(text("UPDATE audit_log SET payload = :p WHERE seq = 4"), {"p": '{"n":99}'})
    with Session(engine) as session:
        report = verify_chain(session)
    assert not report.ok
    assert report.first_broken_seq == 4
    assert "content" in report.reason


def test_a_deleted_entry_is_named(engine):
    _fill(engine, 6)
    with engine.begin() as conn:
        _disable_protection(conn, engine.dialect.name)
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    with Session(engine) as session:
        report = verify_chain(session)
    assert (report.ok, report.first_broken_seq) == (False, 3)


def test_a_rehashed_forgery_breaks_the_next_link(engine):
    """A forger who edits an entry and recomputes its own hash still breaks the link to the next one."""
    from mediation_svc.audit.chain import hash_of

    _fill(engine, 5)
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == 2)).one()
        forged_payload = '{"n":42}'
        entry.payload = forged_payload
        forged = hash_of(entry)
    with engine.begin() as conn:
        _disable_protection(conn, engine.dialect.name)
        conn.execute(text("UPDATE audit_log SET payload = :p, hash = :h WHERE seq = 2"), {"p": forged_payload, "h": forged})
    with Session(engine) as session:
        report = verify_chain(session)
    assert (report.ok, report.first_broken_seq) == (False, 3)


def test_admin_endpoint_reports_the_break(client, engine, make_user, auth):
    _fill(engine, 3)
    admin = make_user("admin")
    officer = make_user("case_officer")
    assert client.get("/api/v1/admin/audit/verify", headers=auth(officer)).status_code == 403
    with engine.begin() as conn:
        _disable_protection(conn, engine.dialect.name)
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    body = client.get("/api/v1/admin/audit/verify", headers=auth(admin)).json()
    assert body["ok"] is False and body["first_broken_seq"] == 2


def test_cli_audit_verify_exits_1_and_names_the_entry(engine, settings, monkeypatch):
    from typer.testing import CliRunner

    from mediation_svc import cli
    from mediation_svc.config import get_settings

    _fill(engine, 3)
    with engine.begin() as conn:
        _disable_protection(conn, engine.dialect.name)
        conn.execute(text("UPDATE audit_log SET subject = 'thing:x' WHERE seq = 3"))
    monkeypatch.setenv("MEDIATION_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert '"first_broken_seq": 3' in result.output


def test_an_entry_rolls_back_with_its_change(engine):
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as session:
            record(session, actor="test", action="test.event", subject="thing:1")
            raise RuntimeError("the change failed")
    with Session(engine) as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "test.event")).all() == []
        assert verify_chain(session).ok
