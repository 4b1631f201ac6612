"""Two officers changing one roster entry at once. A pool's members and categories, an expert's and a mediator's
affiliations are replaced as a whole, so the second change must wait for the first and see its rows. Every change
now locks the entry first. Before, a pool's did not: the same mediator added twice at once (a double click) was a
500 (the second insert met the first's primary key), and two edits of the members kept rows of both. An expert's
edit was already serialised, but only by its ``updated_at`` write; it now locks like the others."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from mediation_svc.db import unit_of_work
from mediation_svc.rosters import service
from mediation_svc.rosters.models import Expert, ExpertAffiliation, Pool, PoolMember
from mediation_svc.rosters.schemas import ExpertIn

from ..reliability.test_lock_order import wait_for_a_lock_wait

pytestmark = pytest.mark.postgresql_only


def expert_body(institution: str) -> dict:
    return {"username": "prof.zhou", "name": "周教授", "field": "legal", "title": "教授", "organisation": "中山大学",
            "qualifications": ["律师"], "cities": ["广州"],
            "affiliations": [{"credit_code": "91440000723823PJ04", "institution_name": institution,
                              "relation": "兼职顾问", "started_on": "2015-01-01", "ended_on": "2019-12-31"}]}


def test_two_edits_of_an_expert_at_once_leave_the_last_ones_affiliations(client, auth, officer, engine):
    created = client.post("/api/v1/experts", headers=auth(officer), json=expert_body("某财产保险公司"))
    assert created.status_code == 201, created.text
    expert_id = created.json()["id"]

    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:  # the first officer's edit, not yet committed
            session.execute(text("SELECT id FROM experts WHERE id = :id FOR UPDATE"), {"id": expert_id})
            service.save_expert(session, data=ExpertIn(**expert_body("某人寿保险公司")), actor="user:1:first",
                                expert=session.get(Expert, expert_id))
            session.flush()
            second = pool.submit(client.put, f"/api/v1/experts/{expert_id}", headers=auth(officer),
                                 json=expert_body("某商业银行"))
            wait_for_a_lock_wait(engine)
        response = second.result(timeout=120)
    assert response.status_code == 200, response.text
    assert [a["institution_name"] for a in response.json()["affiliations"]] == ["某商业银行"]
    with Session(engine) as s:
        rows = s.exec(select(ExpertAffiliation).where(ExpertAffiliation.expert_id == expert_id)).all()
        assert [r.institution_name for r in rows] == ["某商业银行"]


def _pool_and_two_mediators(client, auth, officer, make_mediator) -> tuple[int, int, int]:
    first, second = make_mediator(), make_mediator()
    pool = client.post("/api/v1/pools", headers=auth(officer), json={"name": "信用卡纠纷调解员库",
                                                                      "categories": ["bank_card"]})
    assert pool.status_code == 201, pool.text
    return pool.json()["id"], first.id, second.id


def test_the_same_mediator_added_to_a_pool_twice_at_once(client, auth, officer, engine, make_mediator):
    pool_id, mediator_id, _ = _pool_and_two_mediators(client, auth, officer, make_mediator)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:  # the first click, not yet committed
            session.execute(text("SELECT id FROM mediator_pools WHERE id = :id FOR UPDATE"), {"id": pool_id})
            service.set_pool_member(session, pool=session.get(Pool, pool_id),
                                    mediator=service.get_mediator_or_404(session, mediator_id), member=True,
                                    actor="user:1:first")
            second = pool.submit(client.put, f"/api/v1/pools/{pool_id}/members/{mediator_id}", headers=auth(officer))
            wait_for_a_lock_wait(engine)
        response = second.result(timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["mediator_ids"] == [mediator_id]
    with Session(engine) as s:
        assert len(s.exec(select(PoolMember).where(PoolMember.pool_id == pool_id)).all()) == 1


def test_two_edits_of_a_pools_members_at_once_leave_the_last_ones(client, auth, officer, engine, make_mediator):
    from mediation_svc.rosters.schemas import PoolIn

    pool_id, first, second = _pool_and_two_mediators(client, auth, officer, make_mediator)
    body = {"name": "信用卡纠纷调解员库", "categories": ["bank_card"]}
    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:
            session.execute(text("SELECT id FROM mediator_pools WHERE id = :id FOR UPDATE"), {"id": pool_id})
            service.save_pool(session, data=PoolIn(**body, mediator_ids=[first]), actor="user:1:first",
                              pool=session.get(Pool, pool_id))
            later = pool.submit(client.put, f"/api/v1/pools/{pool_id}", headers=auth(officer),
                                json={**body, "mediator_ids": [second]})
            wait_for_a_lock_wait(engine)
        response = later.result(timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["mediator_ids"] == [second]
    with Session(engine) as s:
        assert [m.mediator_id for m in s.exec(select(PoolMember).where(PoolMember.pool_id == pool_id)).all()] == [second]


def test_two_pools_of_one_name_created_at_once_end_in_one_pool_and_a_409(client, auth, officer, engine):
    """Creating checks the name first; two creations at once both pass the check and the second insert meets the
    unique name. That request is now run again (``reliability``: a unique constraint met), sees the pool and says
    so with a 409 naming it; before, it was a 500."""
    from mediation_svc.rosters.schemas import PoolIn

    body = {"name": "保险销售误导纠纷调解员库", "categories": ["insurance_claim"]}
    with ThreadPoolExecutor(max_workers=1) as pool:
        with unit_of_work(engine) as session:
            service.save_pool(session, data=PoolIn(**body), actor="user:1:first")
            second = pool.submit(client.post, "/api/v1/pools", headers=auth(officer), json=body)
            wait_for_a_lock_wait(engine)  # its insert waits on the unique index for this one
        response = second.result(timeout=120)
    assert response.status_code == 409, response.text
    assert response.json()["type"] == "urn:mediation-svc:problem:conflict"
    assert body["name"] in response.json()["detail"]
    with Session(engine) as s:
        assert len(s.exec(select(Pool).where(Pool.name == body["name"])).all()) == 1
