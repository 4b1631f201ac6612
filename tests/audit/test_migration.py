"""Migration 0036: entries of the old single chain are verified, then rehashed into per-subject chains."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
import rfc8785
import sqlalchemy as sa
from sqlmodel import Session

from mediation_svc.audit.chain import case_trail, verify_chain
from mediation_svc.config import Settings
from mediation_svc.db import make_engine
from mediation_svc.migrations_check import alembic_config

OLD = [("user:1:admin", "user.created", "user:7", None, {"role": "mediator"}),
       ("user:1:admin", "case.received", "case:1", 1, {"number": "第0001号"}),
       ("user:2:li", "user.logged_in", "user:7", None, {}),
       ("user:2:li", "case.status_changed", "case:1", 1, {"to": "accepted"})]


def _old_database(path, *, tamper: bool = False):
    """A database at every head but 0036, holding entries written the old way (one chain, audit_head)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    engine = make_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))
    config = alembic_config()
    heads = set(ScriptDirectory.from_config(config).get_heads()) - {"0036_audit_chains"}
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        for head in sorted(heads):  # one at a time: a head may depend on another (0020 on 0008)
            command.upgrade(config, head)
        previous, at = "0" * 64, datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
        for seq, (actor, action, subject, case_id, payload) in enumerate(OLD, start=1):
            at += timedelta(minutes=5)
            material = {"seq": seq, "at": at.isoformat(), "actor": actor, "action": action, "subject": subject,
                        "case_id": case_id, "payload": payload, "prev_hash": previous}
            digest = hashlib.sha256(rfc8785.dumps(material)).hexdigest()
            stored = {"n": 1} if tamper and seq == 3 else payload
            conn.execute(sa.text("INSERT INTO audit_log (seq, at, actor, action, subject, case_id, payload, "
                                 "prev_hash, hash) VALUES (:seq, :at, :actor, :action, :subject, :case_id, "
                                 ":payload, :prev, :hash)"),
                         {"seq": seq, "at": at.replace(tzinfo=None), "actor": actor, "action": action,
                          "subject": subject, "case_id": case_id, "payload": rfc8785.dumps(stored).decode(),
                          "prev": previous, "hash": digest})
            previous = digest
        conn.execute(sa.text("UPDATE audit_head SET last_seq = :n, last_hash = :h"), {"n": len(OLD), "h": previous})
    return engine, config


def _upgrade(engine, config):
    from alembic import command

    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")


def test_old_entries_become_per_subject_chains_that_verify(tmp_path):
    engine, config = _old_database(tmp_path / "old.db")
    _upgrade(engine, config)
    with Session(engine) as session:
        assert verify_chain(session).ok
        trail = case_trail(session, 1)
        assert [(e.seq, e.chain_seq, e.prev_seq) for e in trail] == [(2, 1, None), (4, 2, 2)]
        users = session.execute(sa.text("SELECT seq, chain_seq FROM audit_log WHERE chain = 'user:7' "
                                        "ORDER BY seq")).all()
        assert [tuple(r) for r in users] == [(1, 1), (3, 2)]
        assert json.loads(trail[1].payload) == {"to": "accepted"}
    engine.dispose()


def test_a_broken_old_chain_stops_the_upgrade_and_names_the_entry(tmp_path):
    engine, config = _old_database(tmp_path / "tampered.db", tamper=True)
    with pytest.raises(RuntimeError, match="audit log entry 3 does not verify"):
        _upgrade(engine, config)
    engine.dispose()
