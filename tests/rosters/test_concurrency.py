"""Two officers taking a mediator's last free slot at the same moment: exactly one succeeds."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, select

from mediation_svc.accounts.models import User
from mediation_svc.cases.service import get_visible_case_or_404
from mediation_svc.db import unit_of_work
from mediation_svc.rosters import assignment
from mediation_svc.rosters.errors import MediatorExcluded
from mediation_svc.rosters.models import Mediator, MediatorAssignment


def test_concurrent_requests_for_the_last_slot(client, auth, officer, make_user, engine, accepted_case,
                                               make_mediator):
    """Real concurrent HTTP requests, a few rounds: each round one 200 and one 409 (full load)."""
    other_officer = make_user("case_officer")
    for _ in range(3):
        mediator = make_mediator(max_active_cases=1)
        cases = [accepted_case(), accepted_case()]
        barrier = threading.Barrier(2)

        def take(case, who):
            barrier.wait()
            return client.post(f"/api/v1/cases/{case.id}/mediator-assignment", headers=auth(who),
                               json={"mode": "manual", "mediator_id": mediator.id, "reason": "最后一个名额"})

        with ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(take, cases, [officer, other_officer]))
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        refused = next(r for r in responses if r.status_code == 409)
        assert refused.json()["reasons"][0]["code"] == "full_load"
        with Session(engine) as s:
            assert s.get(Mediator, mediator.id).active_cases == 1
            rows = s.exec(select(MediatorAssignment).where(MediatorAssignment.mediator_id == mediator.id)).all()
            assert len(rows) == 1


@pytest.mark.postgresql_only
def test_the_second_assignment_waits_for_the_mediator_row_lock(engine, officer, accepted_case, make_mediator):
    """Deterministic interleaving on PostgreSQL: A holds the mediator row (uncommitted) while B tries the same
    mediator. B must wait for A's commit and then see the slot taken. Without the row lock B would count
    A's uncommitted case as absent and both would succeed."""
    mediator = make_mediator(max_active_cases=1)
    first, second = accepted_case(), accepted_case()
    a_holds_lock = threading.Event()
    release_a = threading.Event()
    outcome: dict[str, object] = {}

    def run(case_id, name, hold):
        try:
            with unit_of_work(engine) as session:
                user = session.get(User, officer.id)
                case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
                assignment.assign(session, case=case, actor=user, actor_ref="test", mode="manual",
                                  mediator_id=mediator.id, reason="并发测试")
                if hold:
                    a_holds_lock.set()
                    release_a.wait(10)
            outcome[name] = "assigned"
        except MediatorExcluded as exc:
            outcome[name] = [r["code"] for r in exc.extensions["reasons"]]

    a = threading.Thread(target=run, args=(first.id, "a", True))
    a.start()
    assert a_holds_lock.wait(10)
    b = threading.Thread(target=run, args=(second.id, "b", False))
    b.start()
    time.sleep(0.5)
    assert b.is_alive(), "B did not wait for A's lock on the mediator row"
    release_a.set()
    a.join(10)
    b.join(10)
    assert outcome == {"a": "assigned", "b": ["full_load"]}
