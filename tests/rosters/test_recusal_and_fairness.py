"""Recusal (回避申请) requested by a party, decided by staff, with reassignment; and the fairness report."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlmodel import Session, select

from mediation_svc.audit.chain import case_trail, verify_chain
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.rosters.models import Mediator, MediatorAssignment
from mediation_svc.timeutil import today_in_shanghai

ASSIGN = "/api/v1/cases/{}/mediator-assignment"


def _assign(client, headers, case_id, mediator_id):
    r = client.post(ASSIGN.format(case_id), headers=headers,
                    json={"mode": "manual", "mediator_id": mediator_id, "reason": "指定"})
    assert r.status_code == 200, r.text


def _party_of(client, auth, officer, make_user, case):
    party = make_user("party")
    applicant = next(p for p in client.get(f"/api/v1/cases/{case.id}", headers=auth(officer)).json()["parties"]
                     if p["role"] == "applicant")
    r = client.post(f"/api/v1/cases/{case.id}/parties/{applicant['id']}/account",
                    params={"user_id": party.id}, headers=auth(officer))
    assert r.status_code == 200, r.text
    return party


def test_party_recusal_granted_reassigns_and_is_audited(client, auth, officer, make_user, engine, accepted_case,
                                                        make_mediator):
    case = accepted_case()
    first, second = make_mediator(name="李明"), make_mediator(name="黄丽", languages=["普通话"])
    _assign(client, auth(officer), case.id, first.id)
    party = _party_of(client, auth, officer, make_user, case)

    r = client.post(f"/api/v1/cases/{case.id}/recusal-requests", headers=auth(party),
                    json={"reason": "调解员曾为被申请人提供咨询服务"})
    assert r.status_code == 201, r.text
    request = r.json()
    assert request["status"] == "pending" and request["mediator_id"] == first.id
    dup = client.post(f"/api/v1/cases/{case.id}/recusal-requests", headers=auth(party), json={"reason": "再次申请"})
    assert dup.status_code == 409
    # Parties cannot decide.
    assert client.post(f"/api/v1/recusal-requests/{request['id']}/decision", headers=auth(party),
                       json={"decision": "granted", "reason": "x理由"}).status_code == 403

    r = client.post(f"/api/v1/recusal-requests/{request['id']}/decision", headers=auth(officer),
                    json={"decision": "granted", "reason": "申请理由成立", "reassign": "auto"})
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["status"] == "granted" and decided["replacement_mediator_id"] == second.id
    case_now = client.get(f"/api/v1/cases/{case.id}", headers=auth(officer)).json()
    assert case_now["mediator_user_id"] == second.user_id and case_now["status"] == "mediator_assigned"

    history = client.get(f"/api/v1/cases/{case.id}/mediator-assignments", headers=auth(officer)).json()
    assert [(h["mediator_id"], h["end_reason"]) for h in history] == [(first.id, "recused"), (second.id, None)]
    # The recused mediator stays excluded from this case, with the reason.
    body = client.get(f"/api/v1/cases/{case.id}/mediator-candidates", headers=auth(officer)).json()
    reasons = {e["mediator_id"]: [r["code"] for r in e["reasons"]] for e in body["excluded"]}
    assert reasons[first.id] == ["recused"] and reasons[second.id] == ["already_assigned"]
    again = client.post(ASSIGN.format(case.id), headers=auth(officer),
                        json={"mode": "manual", "mediator_id": first.id, "reason": "重新指定"})
    assert again.status_code == 409 and again.json()["reasons"][0]["code"] == "recused"

    with Session(engine) as s:
        actions = [e.action for e in case_trail(s, case.id)]
        assert actions.index("rosters.recusal_requested") < actions.index("rosters.recusal_decided")
        decided_entry = next(e for e in case_trail(s, case.id) if e.action == "rosters.recusal_decided")
        assert json.loads(decided_entry.payload)["replacement_mediator_id"] == second.id
        assert s.get(Mediator, first.id).active_cases == 0
        assert verify_chain(s).ok
    # The party sees the request on their case.
    mine = client.get(f"/api/v1/cases/{case.id}/recusal-requests", headers=auth(party)).json()
    assert [m["status"] for m in mine] == ["granted"]


def test_rejected_recusal_keeps_the_mediator(client, auth, officer, make_user, accepted_case, make_mediator):
    case = accepted_case()
    m = make_mediator()
    _assign(client, auth(officer), case.id, m.id)
    party = _party_of(client, auth, officer, make_user, case)
    req = client.post(f"/api/v1/cases/{case.id}/recusal-requests", headers=auth(party),
                      json={"reason": "不信任"}).json()
    r = client.post(f"/api/v1/recusal-requests/{req['id']}/decision", headers=auth(officer),
                    json={"decision": "rejected", "reason": "未提出法定回避事由"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert client.get(f"/api/v1/cases/{case.id}", headers=auth(officer)).json()["mediator_user_id"] == m.user_id
    twice = client.post(f"/api/v1/recusal-requests/{req['id']}/decision", headers=auth(officer),
                        json={"decision": "granted", "reason": "改变主意"})
    assert twice.status_code == 409


def test_granted_recusal_without_replacement_returns_the_case_to_accepted(client, auth, officer, make_user,
                                                                        accepted_case, make_mediator):
    case = accepted_case()
    m = make_mediator()
    _assign(client, auth(officer), case.id, m.id)
    party = _party_of(client, auth, officer, make_user, case)
    req = client.post(f"/api/v1/cases/{case.id}/recusal-requests", headers=auth(party),
                      json={"reason": "亲属关系"}).json()
    r = client.post(f"/api/v1/recusal-requests/{req['id']}/decision", headers=auth(officer),
                    json={"decision": "granted", "reason": "属实", "reassign": "none"})
    assert r.status_code == 200, r.text
    case_now = client.get(f"/api/v1/cases/{case.id}", headers=auth(officer)).json()
    assert case_now["status"] == "accepted" and case_now["mediator_user_id"] is None
    trail = [e["action"] for e in client.get(f"/api/v1/cases/{case.id}/audit", headers=auth(officer)).json()]
    assert "case.mediator_removed" in trail


def test_a_party_of_another_case_cannot_request_recusal(client, auth, officer, make_user, accepted_case,
                                                        make_mediator):
    case = accepted_case()
    _assign(client, auth(officer), case.id, make_mediator().id)
    stranger = make_user("party")
    r = client.post(f"/api/v1/cases/{case.id}/recusal-requests", headers=auth(stranger), json={"reason": "随便"})
    assert r.status_code == 404


def test_fairness_report_counts_per_mediator_and_spread_per_pool(client, auth, officer, engine, accepted_case,
                                                                 make_mediator):
    a, b, c = make_mediator(name="甲"), make_mediator(name="乙"), make_mediator(name="丙")
    other = make_mediator(name="丁", specialties=["loan"])
    pool = client.post("/api/v1/pools", headers=auth(officer), json={
        "name": "保险理赔", "categories": ["insurance_claim"], "mediator_ids": [a.id, b.id, c.id]}).json()
    client.post("/api/v1/pools", headers=auth(officer), json={
        "name": "信贷", "categories": ["loan"], "mediator_ids": [other.id]})
    for mediator in (a, a, a, b):
        _assign(client, auth(officer), accepted_case().id, mediator.id)
    # An assignment outside the period does not count.
    with unit_of_work(engine) as s:
        old = s.exec(select(MediatorAssignment).where(MediatorAssignment.mediator_id == b.id)).one()
        old.assigned_at = utcnow() - timedelta(days=400)
    today = today_in_shanghai()
    r = client.get("/api/v1/rosters/fairness", headers=auth(officer),
                   params={"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["total_assignments"] == 3
    groups = {g["name"]: g for g in report["groups"]}
    insurance = groups["保险理赔"]
    assert insurance["pool_id"] == pool["id"] and insurance["members"] == 3 and insurance["assignments"] == 3
    assert insurance["most_assigned"] == {"mediator_id": a.id, "name": "甲", "assignments": 3}
    assert insurance["least_assigned"]["assignments"] == 0 and insurance["spread"] == 3
    assert groups["信贷"]["spread"] == 0
    assert groups["全部在册调解员"]["members"] == 4
    per = {m["mediator_id"]: m["assignments"] for m in report["mediators"]}
    assert per == {a.id: 3, b.id: 0, c.id: 0, other.id: 0}
    bad = client.get("/api/v1/rosters/fairness", headers=auth(officer),
                     params={"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()})
    assert bad.status_code == 422
    assert client.get("/api/v1/rosters/fairness", params={"start": "2026-01-01", "end": "2026-02-01"},
                      headers=auth(_mediator_user(engine, a))).status_code == 403


def _mediator_user(engine, mediator):
    from mediation_svc.accounts.models import User

    with Session(engine) as s:
        return s.get(User, mediator.user_id)


def test_fairness_period_boundaries_are_shanghai_days(client, auth, officer, engine, accepted_case, make_mediator):
    m = make_mediator()
    _assign(client, auth(officer), accepted_case().id, m.id)
    from datetime import datetime, timezone

    with unit_of_work(engine) as s:
        row = s.exec(select(MediatorAssignment)).one()
        # 2026-03-01 23:30 in Shanghai is 15:30 UTC on the same day: it belongs to 1 March.
        row.assigned_at = datetime(2026, 3, 1, 15, 30, tzinfo=timezone.utc)
    in_march = client.get("/api/v1/rosters/fairness", headers=auth(officer),
                          params={"start": "2026-03-01", "end": "2026-03-01"}).json()
    next_day = client.get("/api/v1/rosters/fairness", headers=auth(officer),
                          params={"start": "2026-03-02", "end": "2026-03-31"}).json()
    assert in_march["total_assignments"] == 1 and next_day["total_assignments"] == 0
    assert date.fromisoformat(in_march["period"]["start"]) == date(2026, 3, 1)


def test_no_recusal_once_the_case_has_ended(client, auth, officer, make_user, accepted_case, make_mediator):
    case = accepted_case()
    _assign(client, auth(officer), case.id, make_mediator().id)
    party = _party_of(client, auth, officer, make_user, case)
    ended = client.post(f"/api/v1/cases/{case.id}/transitions", headers=auth(officer),
                        json={"status": "withdrawn", "reason": "申请人撤回调解申请"})
    assert ended.status_code == 200, ended.text
    r = client.post(f"/api/v1/cases/{case.id}/recusal-requests", headers=auth(party), json={"reason": "不信任"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert "withdrawn" in r.json()["detail"]
