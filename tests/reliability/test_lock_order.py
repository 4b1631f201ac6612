"""One lock order: transactions that take the same locks in different orders deadlock (issue 16: 36 of 50
mixed intakes failed with 500; ``signing remind`` deadlocked with a signer's confirmation)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from mediation_svc.cases.models import Case
from mediation_svc.cases.schemas import CaseIntake
from mediation_svc.cases.service import intake_case
from mediation_svc.db import unit_of_work
from tests.factories import credit_code, intake_payload

pytestmark = pytest.mark.postgresql_only


def test_mixed_new_and_existing_institution_intakes_all_succeed(engine, settings, make_user, make_case):
    officer = make_user("case_officer")
    existing = make_case(officer=officer, received_on="2026-06-01").institution_id

    def take_in(index: int) -> str:
        if index % 2:
            respondent = {"name": f"测试银行第{index}支行", "kind": "bank", "credit_code": credit_code(f"9144000072{index:07d}")}
        else:
            respondent = {"institution_id": existing, "branch": "天河支行"}
        data = CaseIntake(**intake_payload(received_on="2026-06-01", respondent=respondent, facts=f"并发受理 {index}"))
        with unit_of_work(engine) as session:
            return intake_case(session, settings, data=data, actor=officer).number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(take_in, range(40)))
    assert sorted(numbers) == [f"粤正和调〔2026〕第{n:04d}号" for n in range(2, 42)]
    with Session(engine) as session:
        assert len(session.exec(select(Case)).all()) == 41


def wait_until_locked(engine, table: str, row_id: int) -> None:
    """Until another transaction holds the row's lock (FOR UPDATE NOWAIT then fails)."""
    import time

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    for _ in range(1200):
        with engine.connect() as conn:
            try:
                conn.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE NOWAIT"), {"id": row_id})
            except OperationalError:
                return
            finally:
                conn.rollback()
        time.sleep(0.02)
    raise AssertionError(f"{table} {row_id} was never locked")


def test_reminders_while_a_signer_confirms(client, engine, settings, auth, make_user, make_case, agreement_pdf):
    from datetime import timedelta

    from mediation_svc.signing.cli import run_reminders
    from tests.signing.test_signer_rules import open_world

    first = open_world(client, engine, auth, make_user, make_case, agreement_pdf)
    second = open_world(client, engine, auth, make_user, make_case, agreement_pdf)
    import base64

    from mediation_svc.signing.remote_key import possession_message
    from tests.signing.flow import BrowserKey

    signer = second.consumer().identify().prepare()
    # The browser's first step (prepare) here; only the signature itself (finish: the PAdES signature under
    # the request's row lock) runs beside the job, so the job meets that lock and not prepare's.
    key = BrowserKey()
    challenge = client.get("/api/v1/sign/session", headers=signer.headers).json()["possession_challenge"]
    prepared = client.post("/api/v1/sign/session/key/prepare", headers=signer.headers, json={
        "public_key_b64": base64.b64encode(key.spki()).decode(),
        "possession_signature_b64": base64.b64encode(key.sign(possession_message(challenge))).decode()})
    assert prepared.status_code == 200, prepared.text
    attributes = base64.b64decode(prepared.json()["signed_attributes_b64"])
    with ThreadPoolExecutor(max_workers=1) as pool:
        confirmation = pool.submit(client.post, "/api/v1/sign/session/key/finish", headers=signer.headers,
                                   json={"signature_b64": base64.b64encode(key.sign(attributes)).decode()})
        wait_until_locked(engine, "signing_requests", second.request_id)
        reminded = run_reminders(engine, settings, within=timedelta(days=8))
        response = confirmation.result(timeout=120)
    assert response.status_code == 200, response.text
    kinds = {rid: {k for k in ("person", "representative") if world.participant(k).id in reminded[rid]}
             for rid, world in ((first.request_id, first), (second.request_id, second))}
    assert kinds == {first.request_id: {"person", "representative"},
                     second.request_id: {"representative"}}  # the consumer has just signed


def wait_for_a_lock_wait(engine) -> None:
    """Until some transaction of this database waits for a row lock."""
    import time

    from sqlalchemy import text

    for _ in range(3000):
        with engine.connect() as conn:
            waiting = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar_one()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("nothing ever waited for a lock")


def row_is_free(engine, table: str, row_id) -> bool:
    """Whether another transaction could lock the row now (FOR UPDATE NOWAIT)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with engine.connect() as conn:
        try:
            conn.execute(text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE NOWAIT"), {"id": row_id})
            return True
        except OperationalError:
            return False
        finally:
            conn.rollback()


def test_the_seal_takes_the_case_before_the_request(client, engine, auth, make_user, make_case, agreement_pdf):
    """The seal's close moves the document and the case, so it locks the case first (docs/operations.md): while
    another transaction holds the case, a sealing officer waits without holding the request a signer or the
    officer superseding the document needs (before, it held the request and then waited for the case)."""
    from sqlalchemy import text

    from tests.signing.flow import Signer
    from tests.signing.test_signer_rules import open_world

    world = open_world(client, engine, auth, make_user, make_case, agreement_pdf)
    world.consumer().identify().prepare().confirm()
    world.representative().identify().prepare().confirm()
    Signer(client, engine, world.mediator.display_name, id_last4=None).identify_as_mediator(
        world.request_id, auth(world.mediator)).prepare().confirm()
    case_id = world.request().case_id
    with engine.connect() as holder, ThreadPoolExecutor(max_workers=1) as pool:
        holder.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})
        sealing = pool.submit(client.post, f"/api/v1/signing-requests/{world.request_id}/seal",
                              headers=auth(world.officer))
        wait_for_a_lock_wait(engine)
        free = row_is_free(engine, "signing_requests", world.request_id)
        holder.rollback()
        response = sealing.result(timeout=120)
    assert free, "the seal held the signing request while it waited for the case"
    assert response.status_code == 200 and response.json()["request_status"] == "completed", response.text


def test_superseding_takes_the_request_before_the_document(client, engine, settings, auth, make_user, make_case):
    """Superseding voids the document's signing request first, then the document and its draft: while a signer's
    confirmation holds the request, the officer waits holding neither the document nor the draft, which the
    confirmation's close would need next (before, it held both and then waited for the request)."""
    from sqlalchemy import text

    from mediation_svc.signing.models import SigningRequest
    from tests.signing.flow import request_on_finalised_agreement

    officer, _, document, request_id = request_on_finalised_agreement(client, engine, settings, auth, make_user,
                                                                      make_case)
    with engine.connect() as holder, ThreadPoolExecutor(max_workers=1) as pool:
        holder.execute(text("SELECT id FROM signing_requests WHERE id = :id FOR UPDATE"), {"id": request_id})
        superseding = pool.submit(client.post, f"/api/v1/documents/{document.id}/supersede", headers=auth(officer),
                                  json={"reason": "赔付金额有误，重新起草"})
        wait_for_a_lock_wait(engine)
        free = (row_is_free(engine, "documents", document.id), row_is_free(engine, "document_drafts", document.draft_id))
        holder.rollback()
        response = superseding.result(timeout=120)
    assert free == (True, True), "superseding held the document or its draft while it waited for the request"
    assert response.status_code == 200, response.text
    with Session(engine) as session:
        assert session.get(SigningRequest, request_id).status == "voided"
