"""Two people acting on the same draft at the same moment (PostgreSQL: row locks decide, one wins)."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from mediation_svc.documents.models import Document, DraftVersion

from .conftest import agreement_terms

pytestmark = pytest.mark.postgresql_only


def race(call, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = call(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def new_draft(client, auth, dc) -> str:
    created = client.post(f"/api/v1/cases/{dc.case.id}/drafts", headers=auth(dc.mediator),
                          json={"inputs": agreement_terms()})
    assert created.status_code == 201, created.text
    return f"/api/v1/cases/{dc.case.id}/drafts/{created.json()['id']}"


def test_two_saves_from_the_same_version_one_is_stale(client, auth, drafting_case, engine):
    dc = drafting_case
    base = new_draft(client, auth, dc)
    users = (dc.mediator, dc.officer)
    responses = race(lambda i: client.post(f"{base}/versions", headers=auth(users[i]), json={
        "inputs": agreement_terms(copies=4 + i), "base_version": 1}))
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    with Session(engine) as session:
        assert [v.version for v in session.exec(select(DraftVersion).order_by(DraftVersion.version))] == [1, 2]


def test_two_simultaneous_finalisations_make_one_document(client, auth, drafting_case, engine):
    dc = drafting_case
    base = new_draft(client, auth, dc)
    users = (dc.mediator, dc.officer)
    responses = race(lambda i: client.post(f"{base}/finalise", headers=auth(users[i]), json={"version": 1}))
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["type"].endswith("document-finalised")
    with Session(engine) as session:
        assert len(session.exec(select(Document)).all()) == 1
