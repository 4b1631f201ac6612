"""The ranking policy on plain values: each criterion, each hard exclusion, the order and the fairness figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from mediation_svc.rosters import fairness, policy
from mediation_svc.rosters.policy import Candidate, CaseProfile, RankingContext, Tie

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 23)
CASE = CaseProfile(case_id=1, category_code="insurance_claim", language="粤语", city="广州",
                   respondent_institution_id=7, respondent_credit_code="91440000723823PJ0X",
                   respondent_name="平安人寿广东分公司")
CTX = RankingContext(now=NOW, today=TODAY, capacity_minutes=5 * 420, availability_source="scheduling",
                     window_label="未来5个工作日")


def candidate(mid: int = 1, **overrides) -> Candidate:
    base = Candidate(mediator_id=mid, user_id=100 + mid, name=f"调解员{mid}", background="insurance",
                     years_of_practice=5, specialties=frozenset({"insurance_claim"}),
                     languages=frozenset({"普通话", "粤语"}), cities=frozenset({"广州"}), remote_capable=True,
                     max_active_cases=10, active_cases=0, status="active", last_assigned_at=None,
                     certification_valid_until=date(2030, 1, 1))
    return replace(base, **overrides)


@pytest.mark.parametrize("overrides, score, phrase", [
    ({}, 1.0, "专长包含本案类别"),
    ({"specialties": frozenset({"loan"})}, 0.6, "保险背景"),
    ({"specialties": frozenset(), "background": "law"}, 0.4, "法律背景"),
    ({"specialties": frozenset(), "background": "medicine"}, 0.0, "不符"),
])
def test_specialty(overrides, score, phrase):
    r = policy.specialty(CASE, candidate(**overrides), CTX)
    assert r.criterion == "specialty" and r.score == score and phrase in r.explanation and r.explanation_en


@pytest.mark.parametrize("languages, score", [({"粤语"}, 1.0), ({"普通话", "English"}, 0.3), ({"English"}, 0.0)])
def test_language(languages, score):
    assert policy.language(CASE, candidate(languages=frozenset(languages)), CTX).score == score


@pytest.mark.parametrize("cities, remote, score", [({"广州"}, False, 1.0), ({"深圳"}, True, 0.6), ({"深圳"}, False, 0.0)])
def test_location(cities, remote, score):
    r = policy.location(CASE, candidate(cities=frozenset(cities), remote_capable=remote), CTX)
    assert r.score == score


def test_location_without_a_city_is_neutral():
    assert policy.location(replace(CASE, city=None), candidate(cities=frozenset()), CTX).score == 1.0


def test_load_is_the_free_share_of_the_maximum():
    r = policy.load(CASE, candidate(active_cases=3, max_active_cases=4), CTX)
    assert r.score == 0.25 and r.explanation == "在办3件，上限4件"


def test_rotation_grows_with_waiting_and_caps():
    assert policy.rotation(CASE, candidate(), CTX).score == 1.0
    assert policy.rotation(CASE, candidate(last_assigned_at=NOW - timedelta(days=15)), CTX).score == 0.5
    assert policy.rotation(CASE, candidate(last_assigned_at=NOW - timedelta(days=90)), CTX).score == 1.0
    r = policy.rotation(CASE, candidate(last_assigned_at=NOW - timedelta(days=3)), CTX)
    assert r.explanation == "距上次指派3天"


def test_availability_counts_busy_minutes_and_names_its_source():
    r = policy.availability(CASE, candidate(busy_minutes=1050), CTX)
    assert r.score == 0.5 and "空闲17.5小时" in r.explanation
    r = policy.availability(CASE, candidate(), replace(CTX, availability_source="workdays_only"))
    assert r.score == 1.0 and "未接入排期数据" in r.explanation


def test_ties_count_while_current_and_during_the_cooling_off():
    tie = Tie("平安人寿", "任职", date(2015, 1, 1), date(2024, 6, 30))
    assert policy.tie_is_current(tie, date(2026, 11, 23))
    assert not policy.tie_is_current(tie, date(2027, 7, 1))
    assert policy.tie_is_current(Tie("x", "持股", None, None), TODAY)
    assert not policy.tie_is_current(Tie("x", "顾问", date(2027, 1, 1), None), TODAY)
    assert policy.tie_is_current(Tie("x", "任职", None, date(2024, 2, 29)), date(2027, 2, 27))


@pytest.mark.parametrize("overrides, code", [
    ({"ties": (Tie("平安人寿", "任职", date(2010, 1, 1), None),)}, "conflict_of_interest"),
    ({"status": "suspended"}, "suspended"),
    ({"status": "retired"}, "retired"),
    ({"certification_valid_until": date(2026, 11, 22), "expired_certifications": ("人民调解员资格证书",)},
     "certification_expired"),
    ({"active_cases": 10}, "full_load"),
    ({"recused_from_case": True}, "recused"),
    ({"current_on_case": True}, "already_assigned"),
])
def test_each_hard_exclusion_is_reported(overrides, code):
    reasons = policy.exclusions_for(CASE, candidate(**overrides), TODAY)
    assert [r.code for r in reasons] == [code]
    assert reasons[0].message and reasons[0].message_en


def test_no_exclusion_for_a_good_candidate_and_several_at_once():
    assert policy.exclusions_for(CASE, candidate(), TODAY) == []
    reasons = policy.exclusions_for(CASE, candidate(status="suspended", active_cases=10), TODAY)
    assert {r.code for r in reasons} == {"suspended", "full_load"}


def test_certificate_valid_on_its_last_day():
    assert policy.exclusions_for(CASE, candidate(certification_valid_until=TODAY), TODAY) == []


def test_ranking_orders_by_points_then_rotation_then_id():
    best = candidate(1)
    no_dialect = candidate(2, languages=frozenset({"普通话"}))
    twin_recent = candidate(3, last_assigned_at=NOW - timedelta(days=40))
    twin_older = candidate(4, last_assigned_at=NOW - timedelta(days=60))
    suspended = candidate(5, status="suspended")
    ranked, rejected = policy.DEFAULT_POLICY.rank(CASE, [no_dialect, twin_recent, suspended, best, twin_older], CTX)
    # 1 never assigned, 3 and 4 have full rotation points too: equal totals, the longest wait first.
    assert [r.candidate.mediator_id for r in ranked] == [1, 4, 3, 2]
    assert ranked[0].total == 100.0 and ranked[-1].total == 86.0
    assert [r.candidate.mediator_id for r in rejected] == [5]
    assert [c["criterion"] for c in ranked[0].criteria] == ["specialty", "language", "location", "load",
                                                             "rotation", "availability"]
    assert sum(c["points"] for c in ranked[-1].criteria) == pytest.approx(86.0)


def test_certification_validity_uses_the_latest_of_each_kind():
    certs = [("人民调解员资格证书", date(2024, 1, 1)), ("人民调解员资格证书", date(2028, 1, 1)),
             ("法律职业资格证书", None), ("保险从业资格", date(2027, 5, 1))]
    assert policy.certification_valid_until(certs) == date(2027, 5, 1)
    assert policy.expired_certifications(certs, date(2027, 6, 1)) == ["保险从业资格"]
    assert policy.certification_valid_until([("法律职业资格证书", None)]) is None
    assert policy.certification_valid_until([]) is None


def test_fairness_spread_counts_members_without_assignments():
    [group] = fairness.fairness({"保险理赔": [1, 2, 3]}, {1: 7, 2: 3})
    assert group.most == (1, 7) and group.least == (3, 0) and group.spread == 7
    assert group.total == 10 and group.mean == pytest.approx(3.33)
    [empty] = fairness.fairness({"空": []}, {1: 2})
    assert empty.spread == 0 and empty.most is None


VARIANTS = [{}, {"specialties": frozenset({"loan"})}, {"specialties": frozenset(), "background": "law"},
            {"specialties": frozenset(), "background": "medicine"}, {"languages": frozenset({"普通话"})},
            {"languages": frozenset({"English"})}, {"cities": frozenset({"北京"})},
            {"cities": frozenset({"北京"}), "remote_capable": False}, {"active_cases": 7},
            {"last_assigned_at": NOW - timedelta(days=11)}, {"busy_minutes": 600}]


@pytest.mark.parametrize("overrides", VARIANTS)
def test_the_fast_ranking_path_scores_exactly_as_the_explained_criteria(overrides):
    """Ranking scores with the score-only rules and explains later: both must agree, criterion by criterion."""
    c = candidate(**overrides)
    for criterion, weight in policy.DEFAULT_POLICY.criteria:
        assert policy.score_only(criterion)(CASE, c, CTX) == criterion(CASE, c, CTX).score
    [ranked], _ = policy.DEFAULT_POLICY.rank(CASE, [c], CTX)
    assert ranked.total == pytest.approx(sum(x["points"] for x in ranked.criteria), abs=0.02)
    assert ranked.total == policy.DEFAULT_POLICY.score(CASE, c, CTX).total


def test_leave_over_the_whole_window_excludes_and_says_until_when():
    away = candidate(leave=policy.Leave(starts_on=date(2026, 11, 20), ends_on=date(2026, 12, 4), reason="年休假"))
    [exclusion] = policy.exclusions_for(CASE, away, TODAY)
    assert exclusion.code == "on_leave" and "年休假" in exclusion.message and "2026-12-04" in exclusion.message
    assert "2026-12-04" in exclusion.message_en
    ranked, rejected = policy.DEFAULT_POLICY.rank(CASE, [away, candidate(2)], CTX)
    assert [r.candidate.mediator_id for r in ranked] == [2] and rejected[0].candidate is away


def test_specialty_names_the_category_in_words():
    named = replace(CASE, category_name="保险理赔", category_name_en="insurance claims")
    r = policy.specialty(named, candidate(), CTX)
    assert "保险理赔" in r.explanation and "insurance_claim" not in r.explanation + r.explanation_en
