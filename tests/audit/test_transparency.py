"""The transparency log: chain heads folded into a signed, timestamped Merkle tree; `audit verify` checks
chains and tree heads; a case's chain with its inclusion proof convinces a court, and a forgery does not."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from mediation_svc.audit import transparency
from mediation_svc.audit.chain import hash_of, record, verify_chain
from mediation_svc.audit.models import AuditChain, AuditEntry
from mediation_svc.db import unit_of_work
from mediation_svc.pki.keystore import KeyStore
from mediation_svc.pki.tsa import make_timestamper

from ..conftest import TEST_PASSPHRASE
from .test_chain import _disable_protection


@pytest.fixture
def center(keys_dir):
    keystore = KeyStore(keys_dir, TEST_PASSPHRASE.encode())
    return keystore, make_timestamper(keystore)


def publish(engine, center):
    keystore, timestamper = center
    with unit_of_work(engine) as session:
        return transparency.fold(session, keystore, timestamper)


def evidence(engine, case_id):
    with Session(engine) as session:
        return transparency.case_evidence(session, case_id)


def court_checks(package, center):
    jwk_set, roots = transparency.center_trust(center[0])
    return transparency.check_case_evidence({"chain": package["chain"], "entries": package["entries"]},
                                            package["proof"], package["tree_head"]["signed_head"],
                                            package["timestamp_token"], jwk_set, roots)


def test_publish_folds_grown_chains_and_the_log_verifies(engine, make_case, center):
    first, second = make_case(), make_case()
    head = publish(engine, center)
    assert head is not None and head.tree_size >= 2  # both cases' chains (and the institution's, the users')
    assert publish(engine, center) is None  # nothing grew
    with unit_of_work(engine) as session:
        record(session, actor="test", action="test.note", subject=f"case:{first.id}", case_id=first.id)
    again = publish(engine, center)
    assert again.tree_size == head.tree_size + 1
    with Session(engine) as session:
        report = transparency.verify_log(session, center[0])
    assert report["ok"], report
    assert report["tree"]["heads_checked"] == 2 and report["tree"]["leaves_checked"] == again.tree_size
    assert second.id != first.id


def test_a_court_checks_a_cases_chain_and_its_inclusion_proof(engine, make_case, center):
    case = make_case()
    make_case()
    publish(engine, center)
    package = evidence(engine, case.id)
    assert [e["action"] for e in package["entries"]] == ["case.received"]
    verdict = court_checks(package, center)
    assert verdict.ok, verdict.problems
    assert verdict.timestamped_at and verdict.tree_size == package["proof"]["tree_size"]


def test_a_court_is_not_fooled_by_an_edited_history(engine, make_case, center):
    case = make_case()
    publish(engine, center)
    package = evidence(engine, case.id)
    package["entries"][0]["payload"]["claim_amount"] = "4000000.00"
    verdict = court_checks(package, center)
    assert not verdict.ok and f"entry {package['entries'][0]['seq']}" in verdict.problems[0]


def test_a_court_is_not_fooled_by_a_rehashed_history(engine, make_case, center):
    """Someone rewrites the entry and recomputes its hash: the proof no longer reaches the signed root."""
    from datetime import datetime

    case = make_case()
    publish(engine, center)
    package = evidence(engine, case.id)
    item = package["entries"][0]
    item["payload"]["claim_amount"] = "4000000.00"
    forged = AuditEntry(**{**item, "at": datetime.fromisoformat(item["at"]), "payload": json.dumps(
        item["payload"], separators=(",", ":"), ensure_ascii=False, sort_keys=True)})
    item["hash"] = package["proof"]["entry_hash"] = hash_of(forged)
    verdict = court_checks(package, center)
    assert not verdict.ok and "does not lead to the signed tree head" in verdict.problems[0]


def test_a_consistently_rewritten_chain_is_caught_by_the_signed_tree(engine, make_case, center):
    """A database superuser rewrites a whole chain and its head row: the chains alone look fine; the tree
    head signed and timestamped before says otherwise, and names the entry."""
    case = make_case()
    publish(engine, center)
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.chain == f"case:{case.id}")).one()
        entry.payload = entry.payload.replace("insurance_claim", "bank_card")
        forged = hash_of(entry)
        seq = entry.seq
    with engine.begin() as conn:
        _disable_protection(conn, engine.dialect.name)
        conn.execute(text("UPDATE audit_log SET payload = :p, hash = :h WHERE seq = :s"),
                     {"p": entry.payload, "h": forged, "s": seq})
        conn.execute(text("UPDATE audit_chains SET last_hash = :h WHERE chain = :c"),
                     {"h": forged, "c": f"case:{case.id}"})
    with Session(engine) as session:
        assert verify_chain(session).ok
        report = transparency.verify_log(session, center[0])
    assert not report["ok"] and report["first_broken_seq"] == seq
    assert "no longer matches the signed tree" in report["reason"]


def test_cli_publish_then_verify(engine, settings, make_case, monkeypatch, keys_dir):
    from typer.testing import CliRunner

    from mediation_svc import cli
    from mediation_svc.config import get_settings

    make_case()
    monkeypatch.setenv("MEDIATION_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEDIATION_KEY_DIR", str(keys_dir))
    monkeypatch.setenv("MEDIATION_KEY_PASSPHRASE", TEST_PASSPHRASE)
    get_settings.cache_clear()
    try:
        published = CliRunner().invoke(cli.app, ["audit", "publish"])
        verified = CliRunner().invoke(cli.app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert published.exit_code == 0 and json.loads(published.output)["published"] is True, published.output
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["tree"]["heads_checked"] == 1


@pytest.mark.postgresql_only
def test_writers_of_different_cases_do_not_wait_for_each_other(engine, make_case):
    """The old single head row made every write wait for every other; now a held chain blocks its own only."""
    busy, free = make_case(), make_case()
    with engine.connect() as conn:
        tx = conn.begin()
        conn.execute(text("SELECT 1 FROM audit_chains WHERE chain = :c FOR UPDATE"), {"c": f"case:{busy.id}"})
        try:
            with unit_of_work(engine) as session:
                session.execute(text("SET LOCAL lock_timeout = '2s'"))
                record(session, actor="test", action="test.note", subject=f"case:{free.id}", case_id=free.id)
        finally:
            tx.rollback()
    with Session(engine) as session:
        assert session.get(AuditChain, f"case:{free.id}").last_seq == 2


def test_a_timestamp_of_another_tree_head_is_refused(engine, make_case, center):
    case = make_case()
    earlier = publish(engine, center)
    make_case()
    publish(engine, center)
    package = evidence(engine, case.id)
    package["timestamp_token"] = earlier.timestamp_token
    verdict = court_checks(package, center)
    assert not verdict.ok and "timestamp token does not verify" in verdict.problems[0]
