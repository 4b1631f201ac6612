"""The database's shortlist (rosters.ranking with a limit, pre-scored and filtered in SQL) against the pure
policy on plain values (every candidate loaded and ranked in Python), on random rosters."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from mediation_svc.accounts.models import User
from mediation_svc.cases.models import Case, Institution
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.rosters import policy, prescore, ranking
from mediation_svc.rosters.models import (Mediator, MediatorAffiliation, MediatorCertification, Pool, PoolCategory,
                                          PoolMember, RecusalRequest)
from mediation_svc.scheduling.models import TimeOff
from mediation_svc.timeutil import today_in_shanghai

CATEGORIES = ["insurance_claim", "loan", "bank_card", "mis_selling"]


@dataclass(frozen=True)
class CountingPolicy(policy.RankingPolicy):
    """The default policy, remembering how many candidates each ranking was given."""

    seen: list = None  # type: ignore[assignment]

    def rank(self, case, candidates, ctx):
        candidates = list(candidates)
        self.seen.append(len(candidates))
        return super().rank(case, candidates, ctx)


def _tie_end(rng: random.Random, today: date) -> date | None:
    """Ends around the three-year cooling-off boundary (a day either side), long ago, or not at all."""
    boundary = prescore.first_current_end(today)
    return rng.choice([None, boundary, boundary - timedelta(days=1), boundary + timedelta(days=1),
                       today - timedelta(days=4000), date(2020, 2, 29)])


def _mediator(session: Session, rng: random.Random, n: int, institution: Institution, now, today) -> Mediator:
    user = User(username=f"rnd{n}", display_name=f"调解员{n}", role="mediator")
    session.add(user)
    session.flush()
    maximum = rng.choice([0, 1, 5, 8, 10])
    m = Mediator(user_id=user.id, name=f"调解员{n}", background=rng.choice(["law", "finance", "insurance", "other"]),
                 specialties=rng.sample(CATEGORIES, rng.randint(0, 2)),
                 languages=rng.sample(["普通话", "粤语", "English"], rng.randint(0, 2)),
                 cities=rng.sample(["广州", "深圳"], rng.randint(0, 1)), remote_capable=rng.random() < 0.5,
                 max_active_cases=maximum, active_cases=rng.randint(0, max(maximum, 1)),
                 status=rng.choices(["active", "suspended", "retired"], [8, 1, 1])[0],
                 # identical rotation values make ties that only the id breaks
                 last_assigned_at=rng.choice([None, None, now - timedelta(days=40), now + timedelta(hours=2),
                                              now - timedelta(days=rng.uniform(0, 31))]))
    expires = rng.choice([None, today - timedelta(days=1), today, today + timedelta(days=300)])
    session.add(m)
    session.flush()
    session.add(MediatorCertification(mediator_id=m.id, name="人民调解员资格证书", expires_on=expires))
    m.certification_valid_until = policy.certification_valid_until([("人民调解员资格证书", expires)])
    if rng.random() < 0.3:
        session.add(MediatorAffiliation(mediator_id=m.id, institution_id=institution.id, institution_name="机构",
                                        relation="任职", ended_on=_tie_end(rng, today),
                                        started_on=rng.choice([None, date(2010, 1, 1), today + timedelta(days=5)])))
    return m


def _roster(engine, case: Case, seed: int) -> list[int]:
    """Random mediators, half of them in a pool serving the case's category; leave, recusal, a current one."""
    rng = random.Random(seed)
    now, today = utcnow(), today_in_shanghai()
    with unit_of_work(engine) as session:
        institution = session.get(Institution, case.institution_id)
        mediators = [_mediator(session, rng, seed * 1000 + n, institution, now, today) for n in range(70)]
        pool = Pool(name=f"随机库{seed}")
        session.add(pool)
        session.flush()
        session.add(PoolCategory(pool_id=pool.id, category_code=case.category_code))
        for m in mediators:
            if rng.random() < 0.8:
                session.add(PoolMember(pool_id=pool.id, mediator_id=m.id))
        for m in rng.sample(mediators, 6):  # leave: some hours (busy time) or the whole window (excluded)
            starts, ends = rng.choice([(timedelta(days=1), timedelta(hours=27)), (timedelta(days=1), timedelta(days=2)),
                                       (timedelta(days=-2), timedelta(days=20))])
            session.add(TimeOff(user_id=m.user_id, starts_at=now + starts, ends_at=now + ends))
        recused = rng.choice(mediators)
        session.add(RecusalRequest(case_id=case.id, mediator_id=recused.id, requested_by_user_id=recused.user_id,
                                   reason="回避", status="granted"))
        current = rng.choice(mediators)
        session.get(Case, case.id).mediator_user_id = current.user_id
        return [m.id for m in mediators]


def _key(result: ranking.RankingResult):
    return ([(r.candidate.mediator_id, r.total, r.criteria) for r in result.ranked],
            [(r.candidate.mediator_id, [e.as_dict() for e in r.reasons]) for r in result.rejected])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_shortlist_is_the_head_of_the_whole_ranking(engine, make_case, seed, caplog):
    case = make_case(category_code=CATEGORIES[seed % 2])
    _roster(engine, case, seed)
    counted = CountingPolicy(seen=[])
    with Session(engine) as session:
        case = session.get(Case, case.id)
        whole = ranking.rank_candidates(session, case=case)  # every candidate, in Python
        assert whole.ranked and whole.rejected
        for limit, excluded_limit in [(1, 0), (3, 2), (7, 200), (20, 5), (500, 500)]:
            short = ranking.rank_candidates(session, case=case, limit=limit, excluded_limit=excluded_limit, pol=counted)
            ranked, rejected = _key(whole)
            assert _key(short) == (ranked[:limit], rejected[:excluded_limit])
            assert (short.ranked_total, short.rejected_total) == (len(whole.ranked), len(whole.rejected))
        # With a short limit the policy scored fewer candidates than the roster holds, and the SQL mirrors
        # agreed with it (no fall-back to the whole roster).
        assert counted.seen[0] < len(whole.ranked) + len(whole.rejected)
        assert "disagrees" not in caplog.text


def test_an_exclusion_the_mirror_misses_falls_back_to_the_policy(engine, make_case, monkeypatch):
    case = make_case()
    _roster(engine, case, 7)
    with Session(engine) as session:
        case = session.get(Case, case.id)
        whole = ranking.rank_candidates(session, case=case)
        monkeypatch.setattr(prescore, "eligible_sql", lambda **kwargs: Mediator.id.is_not(None))
        short = ranking.rank_candidates(session, case=case, limit=5, excluded_limit=3)
        assert _key(short) == (_key(whole)[0][:5], _key(whole)[1][:3])


def test_first_current_end_is_the_policy_boundary():
    for today in [date(2026, 12, 2), date(2024, 2, 29), date(2023, 2, 28), date(2023, 3, 1), date(2027, 2, 28)]:
        boundary = prescore.first_current_end(today)
        assert policy.tie_is_current(policy.Tie("", "", None, boundary), today)
        assert not policy.tie_is_current(policy.Tie("", "", None, boundary - timedelta(days=1)), today)
