"""The demo rosters: seeded on top of the demo users and cases, they make the ranking show its rules."""

from __future__ import annotations

from sqlmodel import Session, select

from mediation_svc import demo
from mediation_svc.audit.chain import verify_chain
from mediation_svc.db import unit_of_work
from mediation_svc.rosters import demo as rosters_demo
from mediation_svc.rosters.models import Expert, Mediator, MediatorAssignment, Pool


def test_demo_rosters_rank_the_open_loan_case(client, auth, engine, settings):
    context = demo.DemoContext()
    with unit_of_work(engine) as session:
        demo._seed_users(session, context)
        demo._seed_cases(session, settings, context)
        rosters_demo.seed(session, settings, context)
    with Session(engine) as s:
        assert len(s.exec(select(Mediator)).all()) == 12 and len(s.exec(select(Expert)).all()) == 6
        assert len(s.exec(select(Pool)).all()) == 4
        # Every demo case that has a mediator is in the assignment history and in the loads.
        assigned = [c for c in context.cases.values() if c.mediator_user_id]
        assert len(s.exec(select(MediatorAssignment)).all()) == len(assigned)
        chen = s.exec(select(Mediator).where(Mediator.name == "陈国栋")).one()
        assert chen.active_cases == 1 and chen.assignments_total == 1  # the critical-illness case, signing
        assert verify_chain(s).ok

    officer = context.users["officer.li"]
    loan = context.cases["loan_fraud"]  # 中国工商银行广州分行, loan, 普通话, 广州, accepted
    body = client.get(f"/api/v1/cases/{loan.id}/mediator-candidates", headers=auth(officer)).json()
    excluded = {e["name"]: [r["code"] for r in e["reasons"]] for e in body["excluded"]}
    assert excluded == {"邓耀华": ["conflict_of_interest"]}  # worked for the bank until mid-2024
    names = [c["name"] for c in body["candidates"]]
    assert set(names[:2]) == {"张丽华", "梁志坚"} and names[-1] == "黄伟强"  # 黄伟强 serves 汕头 only
    insurance = context.cases["critical_illness"]
    body = client.get(f"/api/v1/cases/{insurance.id}/mediator-candidates", headers=auth(officer)).json()
    excluded = {e["name"]: [r["code"] for r in e["reasons"]] for e in body["excluded"]}
    assert excluded == {"陈国栋": ["already_assigned"], "谢永康": ["certification_expired"],
                        "蔡秋月": ["suspended"]}
    assert body["candidates"][0]["name"] == "梁志坚"
