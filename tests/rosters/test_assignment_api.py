"""Ranking, hard exclusions, manual and automatic assignment through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from mediation_svc.audit.chain import verify_chain
from mediation_svc.cases.models import Case, Institution
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.rosters.models import Mediator, MediatorAssignment

from .conftest import VALID_CERT

CANDIDATES = "/api/v1/cases/{}/mediator-candidates"
ASSIGN = "/api/v1/cases/{}/mediator-assignment"


def _respondent(engine, case) -> Institution:
    with Session(engine) as s:
        return s.get(Institution, case.institution_id)


def test_candidates_are_ranked_with_an_explanation_per_criterion(client, auth, officer, accepted_case,
                                                                 make_mediator):
    case = accepted_case()  # insurance claim, 粤语, 广州
    best = make_mediator(name="林慧敏")
    putonghua_only = make_mediator(name="王建国", languages=["普通话"])
    elsewhere = make_mediator(name="赵立新", specialties=["loan"], background="finance", cities=["北京"],
                              remote_capable=False, languages=["普通话"])
    r = client.get(CANDIDATES.format(case.id), headers=auth(officer))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["mediator_id"] for c in body["candidates"]] == [best.id, putonghua_only.id, elsewhere.id]
    assert [c["rank"] for c in body["candidates"]] == [1, 2, 3]
    top = body["candidates"][0]
    assert top["score"] == 100.0
    criteria = {c["criterion"]: c for c in top["criteria"]}
    assert set(criteria) == {"specialty", "language", "location", "load", "rotation", "availability"}
    assert criteria["language"]["explanation"] == "可使用粤语调解"
    assert criteria["language"]["explanation_en"] == "can mediate in 粤语"
    assert criteria["location"]["explanation"] == "服务广州"
    assert criteria["load"]["explanation"] == "在办0件，上限5件"
    assert criteria["rotation"]["explanation"] == "尚未被指派过案件"
    assert "未来5个工作日" in criteria["availability"]["explanation"]
    last = {c["criterion"]: c for c in body["candidates"][2]["criteria"]}
    assert last["location"]["score"] == 0 and "不服务广州" in last["location"]["explanation"]
    assert body["candidates"][2]["score"] == pytest.approx(sum(c["points"] for c in last.values()))
    assert len(body["availability"]["working_days"]) == 5


def test_only_staff_see_candidates(client, auth, make_user, accepted_case):
    case = accepted_case()
    mediator_user = make_user("mediator")
    assert client.get(CANDIDATES.format(case.id), headers=auth(mediator_user)).status_code == 403
    assert client.get(CANDIDATES.format(case.id)).status_code == 401


def test_pools_decide_who_is_a_candidate(client, auth, officer, accepted_case, make_mediator):
    case = accepted_case()
    insurer_side = make_mediator()
    bank_side = make_mediator(specialties=["bank_card"])
    r = client.post("/api/v1/pools", headers=auth(officer), json={
        "name": "保险理赔调解员库", "categories": ["insurance_claim", "surrender"], "mediator_ids": [insurer_side.id]})
    assert r.status_code == 201, r.text
    client.post("/api/v1/pools", headers=auth(officer), json={
        "name": "银行卡与信贷", "categories": ["bank_card", "loan"], "mediator_ids": [bank_side.id]})
    body = client.get(CANDIDATES.format(case.id), headers=auth(officer)).json()
    assert [c["mediator_id"] for c in body["candidates"]] == [insurer_side.id]
    # An officer may look into another pool explicitly.
    pool_id = client.get("/api/v1/pools", headers=auth(officer)).json()[1]["id"]
    body = client.get(CANDIDATES.format(case.id), params={"pool_id": pool_id}, headers=auth(officer)).json()
    assert [c["mediator_id"] for c in body["candidates"]] == [bank_side.id]


def _tie(engine, case, **extra):
    inst = _respondent(engine, case)
    return [{"credit_code": inst.credit_code, "institution_name": inst.name, "relation": "任职",
             "started_on": "2012-03-01", **extra}]


EXCLUSIONS = {
    "conflict_of_interest": lambda engine, case: {"affiliations": _tie(engine, case)},
    "suspended": lambda engine, case: {"status": "suspended", "status_reason": "投诉调查中"},
    "retired": lambda engine, case: {"status": "retired"},
    "certification_expired": lambda engine, case: {"certifications": [
        {"name": "人民调解员资格证书", "expires_on": "2025-06-30"}]},
}


@pytest.mark.parametrize("code", sorted(EXCLUSIONS))
def test_each_hard_exclusion_refuses_assignment_with_its_reason(code, client, auth, officer, engine,
                                                                accepted_case, make_mediator):
    case = accepted_case()
    excluded = make_mediator(**EXCLUSIONS[code](engine, case))
    body = client.get(CANDIDATES.format(case.id), headers=auth(officer)).json()
    assert body["candidates"] == []
    assert [r["code"] for r in body["excluded"][0]["reasons"]] == [code]
    r = client.post(ASSIGN.format(case.id), headers=auth(officer),
                    json={"mode": "manual", "mediator_id": excluded.id, "reason": "当事人指定"})
    assert r.status_code == 409, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "urn:mediation-svc:problem:mediator-excluded"
    assert [x["code"] for x in problem["reasons"]] == [code]
    assert problem["mediator_id"] == excluded.id
    with Session(engine) as s:
        assert s.get(Case, case.id).mediator_user_id is None
        assert s.exec(select(MediatorAssignment)).all() == []


def test_expired_certificate_is_named(client, auth, officer, accepted_case, make_mediator):
    case = accepted_case()
    m = make_mediator(certifications=[VALID_CERT | {"name": "法律职业资格证书", "expires_on": None},
                                      {"name": "人民调解员资格证书", "expires_on": "2025-06-30"}])
    r = client.post(ASSIGN.format(case.id), headers=auth(officer),
                    json={"mode": "manual", "mediator_id": m.id, "reason": "指定"})
    assert r.status_code == 409
    assert "人民调解员资格证书已于2025-06-30过期" in r.json()["detail"]


def test_a_tie_that_ended_long_ago_does_not_exclude(client, auth, officer, engine, accepted_case, make_mediator):
    case = accepted_case()
    m = make_mediator(affiliations=_tie(engine, case, started_on="2005-01-01", ended_on="2015-12-31"))
    r = client.post(ASSIGN.format(case.id), headers=auth(officer),
                    json={"mode": "manual", "mediator_id": m.id, "reason": "离职已满十年"})
    assert r.status_code == 200, r.text


def test_full_load_refuses_the_next_case(client, auth, officer, accepted_case, make_mediator):
    m = make_mediator(max_active_cases=1)
    first, second = accepted_case(), accepted_case()
    ok = client.post(ASSIGN.format(first.id), headers=auth(officer),
                     json={"mode": "manual", "mediator_id": m.id, "reason": "熟悉该险种"})
    assert ok.status_code == 200, ok.text
    r = client.post(ASSIGN.format(second.id), headers=auth(officer),
                    json={"mode": "manual", "mediator_id": m.id, "reason": "熟悉该险种"})
    assert r.status_code == 409
    assert [x["code"] for x in r.json()["reasons"]] == ["full_load"]
    assert "在办案件已满（1/1）" in r.json()["detail"]


def test_manual_assignment_needs_a_reason_and_is_explained(client, auth, officer, engine, accepted_case,
                                                           make_mediator):
    case = accepted_case()
    m = make_mediator()
    r = client.post(ASSIGN.format(case.id), headers=auth(officer), json={"mode": "manual", "mediator_id": m.id})
    assert r.status_code == 422
    r = client.post(ASSIGN.format(case.id), headers=auth(officer),
                    json={"mode": "manual", "mediator_id": m.id, "reason": "当事人选定"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "manual" and body["reason"] == "当事人选定" and body["score"] == 100.0
    assert {c["criterion"] for c in body["explanation"]} >= {"specialty", "rotation"}
    case_now = client.get(f"/api/v1/cases/{case.id}", headers=auth(officer)).json()
    assert case_now["status"] == "mediator_assigned" and case_now["mediator_user_id"] == m.user_id
    with Session(engine) as s:
        stored = s.get(Mediator, m.id)
        assert stored.active_cases == 1 and stored.assignments_total == 1 and stored.last_assigned_at
        assert verify_chain(s).ok
    trail = [e["action"] for e in client.get(f"/api/v1/cases/{case.id}/audit", headers=auth(officer)).json()]
    assert "rosters.mediator_assigned" in trail and "case.mediator_assigned" in trail
    # The same mediator again: refused, named.
    again = client.post(ASSIGN.format(case.id), headers=auth(officer),
                        json={"mode": "manual", "mediator_id": m.id, "reason": "重复"})
    assert again.status_code == 409 and again.json()["reasons"][0]["code"] == "already_assigned"


def test_auto_assignment_takes_the_top_and_rotates_among_equals(client, auth, officer, engine, accepted_case,
                                                                make_mediator):
    a, b = make_mediator(), make_mediator()
    weaker = make_mediator(languages=["普通话"])
    with unit_of_work(engine) as s:  # b waited longer than a (both have full rotation points)
        s.get(Mediator, a.id).last_assigned_at = utcnow() - timedelta(days=40)
        s.get(Mediator, b.id).last_assigned_at = utcnow() - timedelta(days=50)
    picks = []
    for _ in range(3):
        case = accepted_case()
        r = client.post(ASSIGN.format(case.id), headers=auth(officer), json={"mode": "auto"})
        assert r.status_code == 200, r.text
        picks.append(r.json()["mediator_id"])
        assert r.json()["mode"] == "auto" and "自动指派" in r.json()["reason"]
    # b waited longest; then a (b lost load and rotation points); then b and a tie at 87 points, ahead of
    # the mediator without 粤语 (86), and b, assigned earlier, goes first.
    assert picks == [b.id, a.id, b.id]
    assert weaker.id not in picks


def test_auto_assignment_with_nobody_eligible_is_a_409(client, auth, officer, accepted_case, make_mediator):
    make_mediator(status="suspended")
    case = accepted_case()
    r = client.post(ASSIGN.format(case.id), headers=auth(officer), json={"mode": "auto"})
    assert r.status_code == 409
    assert r.json()["type"].endswith("no-eligible-mediator")
    assert r.json()["excluded"][0]["reasons"][0]["code"] == "suspended"


def test_cannot_assign_before_acceptance(client, auth, officer, make_case, make_mediator):
    case = make_case(officer=officer)  # still 'received'
    m = make_mediator()
    r = client.post(ASSIGN.format(case.id), headers=auth(officer),
                    json={"mode": "manual", "mediator_id": m.id, "reason": "x指派"})
    assert r.status_code == 409 and "received" in r.json()["detail"]


def test_reassignment_frees_the_previous_mediator(client, auth, officer, engine, accepted_case, make_mediator):
    case = accepted_case()
    first, second = make_mediator(), make_mediator()
    for m in (first, second):
        r = client.post(ASSIGN.format(case.id), headers=auth(officer),
                        json={"mode": "manual", "mediator_id": m.id, "reason": "调整"})
        assert r.status_code == 200, r.text
    history = client.get(f"/api/v1/cases/{case.id}/mediator-assignments", headers=auth(officer)).json()
    assert [(h["mediator_id"], h["end_reason"]) for h in history] == [(first.id, "reassigned"), (second.id, None)]
    with Session(engine) as s:
        assert s.get(Mediator, first.id).active_cases == 0
        assert s.get(Mediator, second.id).active_cases == 1


def test_free_time_comes_from_scheduled_sessions(client, auth, officer, engine, accepted_case, make_mediator):
    """Busy time is read from the scheduling domain's sessions in the next five working days."""
    from datetime import datetime, time

    from mediation_svc.scheduling.models import MediationSession, SessionParticipant
    from mediation_svc.timeutil import SHANGHAI

    case = accepted_case()
    busy, free = make_mediator(name="忙"), make_mediator(name="闲")
    body = client.get(CANDIDATES.format(case.id), headers=auth(officer)).json()
    first_day = datetime.combine(date_from(body["availability"]["working_days"][0]), time(9, 0), SHANGHAI)
    with unit_of_work(engine) as s:
        session = MediationSession(case_id=case.id, uid="rosters-test-1", mode="onsite", status="scheduled",
                                   starts_at=first_day, ends_at=first_day + timedelta(hours=7))
        s.add(session)
        s.flush()
        s.add(SessionParticipant(session_id=session.id, role="mediator", user_id=busy.user_id, name="忙"))
    body = client.get(CANDIDATES.format(case.id), headers=auth(officer)).json()
    assert body["availability"]["source"] == "scheduling"
    assert [c["mediator_id"] for c in body["candidates"]] == [free.id, busy.id]
    availability = {c["mediator_id"]: next(x for x in c["criteria"] if x["criterion"] == "availability")
                    for c in body["candidates"]}
    assert availability[busy.id]["score"] == 0.8  # 7 of 35 hours taken
    assert "空闲28小时（共35小时）" in availability[busy.id]["explanation"]
    assert availability[free.id]["score"] == 1.0


def date_from(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_a_mediator_on_leave_for_the_whole_window_is_excluded_and_partial_leave_counts_as_busy(
        client, auth, officer, engine, accepted_case, make_mediator):
    """Annual leave over the next five working days: not ranked first as '空闲35小时' but excluded, with why;
    leave over one of the days takes that day's hours off the free time."""
    from datetime import datetime, time

    from mediation_svc.scheduling.models import TimeOff
    from mediation_svc.timeutil import SHANGHAI

    case = accepted_case()
    away, half, here = make_mediator(name="休假"), make_mediator(name="请假一天"), make_mediator(name="在岗")
    days = [date_from(d) for d in client.get(CANDIDATES.format(case.id), headers=auth(officer))
            .json()["availability"]["working_days"]]
    with unit_of_work(engine) as s:
        s.add(TimeOff(user_id=away.user_id, reason="年休假",
                      starts_at=datetime.combine(days[0] - timedelta(days=2), time(0), SHANGHAI),
                      ends_at=datetime.combine(days[-1] + timedelta(days=3), time(0), SHANGHAI)))
        s.add(TimeOff(user_id=half.user_id, starts_at=datetime.combine(days[0], time(0), SHANGHAI),
                      ends_at=datetime.combine(days[0] + timedelta(days=1), time(0), SHANGHAI)))
    body = client.get(CANDIDATES.format(case.id), headers=auth(officer)).json()
    ranked = [c["mediator_id"] for c in body["candidates"]]
    assert away.id not in ranked and ranked.index(here.id) < ranked.index(half.id)
    excluded = next(e for e in body["excluded"] if e["mediator_id"] == away.id)
    reason = next(r for r in excluded["reasons"] if r["code"] == "on_leave")
    assert "年休假" in reason["message"] and str(days[0] - timedelta(days=2)) in reason["message"]
    availability = next(x for x in next(c for c in body["candidates"] if c["mediator_id"] == half.id)["criteria"]
                        if x["criterion"] == "availability")
    assert availability["score"] == 0.8 and "空闲28小时" in availability["explanation"]
    refused = client.post(f"/api/v1/cases/{case.id}/mediator-assignment", headers=auth(officer),
                          json={"mode": "manual", "mediator_id": away.id, "reason": "指定"})
    assert refused.status_code == 409
