"""Ranking a case's candidates: all of them in Python, or the first few with the database's help.

``rank_candidates(limit=None)`` loads every candidate and lets the pure policy score, exclude and order
them. With a ``limit`` (the endpoint and the case page show twenty, ten), one statement filters and
pre-scores the candidates in SQL (``prescore``): it counts the eligible and the excluded, finds the k-th
best pre-score, and returns only the eligible candidates within twice ``prescore.MARGIN`` of it and the
first excluded ones by id. The policy then scores, orders and (on use) explains those alone; the first k
are the same as the whole ranking's, ties and rotation included, because no candidate left in the
database can reach the k-th total. A roster of 100,000 mediators thus costs the policy a few hundred
candidates instead of 32,000.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col

from ..cases.models import Case
from ..db import utcnow
from . import availability, policy, prescore
from .candidates import (build_candidates, candidate_columns, candidate_filter, case_profile, id_in,
                         ranking_context)
from .models import Mediator

log = logging.getLogger(__name__)


@dataclass
class RankingResult:
    """The ranked candidates and the excluded ones with their reasons; with a limit, the first of each, and
    ``ranked_total`` / ``rejected_total`` counting them all."""

    case: policy.CaseProfile
    context: policy.RankingContext
    window: availability.Window
    ranked: list[policy.Ranked]
    rejected: list[policy.Rejected]
    ranked_total: int | None = None
    rejected_total: int | None = None

    def __post_init__(self) -> None:
        if self.ranked_total is None:
            self.ranked_total = len(self.ranked)
        if self.rejected_total is None:
            self.rejected_total = len(self.rejected)


def rank_candidates(session: Session, *, case: Case, pool_id: int | None = None, now: datetime | None = None,
                    pol: policy.RankingPolicy = policy.DEFAULT_POLICY, limit: int | None = None,
                    excluded_limit: int | None = None) -> RankingResult:
    """The case's candidates ranked, and those excluded with their reasons (by mediator id): every one, or
    the first ``limit`` ranked and ``excluded_limit`` excluded (same order, same totals)."""
    now = now or utcnow()
    profile = case_profile(session, case)
    if limit is not None and prescore.mirrored(pol):
        result = _shortlist(session, case=case, profile=profile, pool_id=pool_id, now=now, pol=pol,
                            limit=limit, excluded_limit=200 if excluded_limit is None else excluded_limit)
        if result is not None:
            return result
    return _everyone(session, case=case, profile=profile, pool_id=pool_id, now=now, pol=pol,
                     limit=limit, excluded_limit=excluded_limit)


def _everyone(session: Session, *, case: Case, profile: policy.CaseProfile, pool_id: int | None, now: datetime,
              pol: policy.RankingPolicy, limit: int | None, excluded_limit: int | None) -> RankingResult:
    query = sa.select(*candidate_columns(session, profile)).where(candidate_filter(case.category_code, pool_id))
    rows = session.connection().execute(query).all()
    ctx, window, (busy, leave) = ranking_context(session, now, [r[1] for r in rows])
    candidates = build_candidates(session, rows, profile=profile, current_user_id=case.mediator_user_id,
                                  today=ctx.today, busy=busy, leave=leave)
    ranked, rejected = pol.rank(profile, candidates, ctx)
    return RankingResult(profile, ctx, window, ranked[:limit], rejected[:excluded_limit],
                         len(ranked), len(rejected))


def shortlist_query(session: Session, *, case: Case, profile: policy.CaseProfile, pool_id: int | None,
                    ctx: policy.RankingContext, busy: dict[int, int], on_leave: list[int],
                    pol: policy.RankingPolicy, limit: int, excluded_limit: int) -> sa.Select:
    """One statement: (eligible count, excluded count, id) for each candidate worth scoring exactly (see the
    module docstring); one row with a NULL id when there is none."""
    eligible = prescore.eligible_sql(case=profile, today=ctx.today, current_user_id=case.mediator_user_id,
                                     on_leave_user_ids=on_leave)
    total = prescore.total_sql(session, case=profile, ctx=ctx, busy=busy, pol=pol)
    scored = (sa.select(col(Mediator.id).label("id"), eligible.label("ok"), total.label("pre"))
              .where(candidate_filter(case.category_code, pool_id)).cte("scored"))
    kth = (sa.select(scored.c.pre).where(scored.c.ok).order_by(scored.c.pre.desc())
           .limit(1).offset(limit - 1).scalar_subquery())
    contenders = sa.select(scored.c.id).where(scored.c.ok,
                                              scored.c.pre >= func.coalesce(kth, -1e9) - 2 * prescore.MARGIN)
    first_excluded = (sa.select(scored.c.id).where(sa.not_(scored.c.ok)).order_by(scored.c.id)
                      .limit(excluded_limit).subquery())
    picked = sa.union_all(contenders, sa.select(first_excluded.c.id)).subquery("picked")
    counts = sa.select(
        sa.select(func.count()).select_from(scored).where(scored.c.ok).scalar_subquery().label("ok"),
        sa.select(func.count()).select_from(scored).where(sa.not_(scored.c.ok)).scalar_subquery().label("out"),
    ).subquery("counts")
    return sa.select(counts.c.ok, counts.c.out, picked.c.id).select_from(counts.outerjoin(picked, sa.true()))


def _shortlist(session: Session, *, case: Case, profile: policy.CaseProfile, pool_id: int | None,
               now: datetime, pol: policy.RankingPolicy, limit: int, excluded_limit: int) -> RankingResult | None:
    ctx, window, (busy, leave) = ranking_context(session, now, None)
    query = shortlist_query(session, case=case, profile=profile, pool_id=pool_id, ctx=ctx, busy=busy,
                            on_leave=list(leave), pol=pol, limit=max(limit, 1), excluded_limit=excluded_limit)
    if session.get_bind().dialect.name == "postgresql":
        # The planner's cost for this statement passes jit_above_cost, and compiling it takes ten times as
        # long as running it (2 s against 0.2 s on 100,000 mediators): no JIT for the rest of this transaction.
        session.connection().execute(sa.text("SET LOCAL jit = off"))
    picked = session.connection().execute(query).all()
    count_ok, count_out = picked[0][0], picked[0][1]
    ids = [mediator_id for _ok, _out, mediator_id in picked if mediator_id is not None]
    # Their rows by primary key: a second statement, as the planner cannot know how few they are.
    rows = session.connection().execute(
        sa.select(*candidate_columns(session, profile)).where(id_in(session, Mediator.id, ids))).all() if ids else []
    candidates = build_candidates(session, rows, profile=profile,
                                  current_user_id=case.mediator_user_id, today=ctx.today, busy=busy, leave=leave)
    ranked, rejected = pol.rank(profile, candidates, ctx)
    if len(rejected) != min(count_out, excluded_limit) or len(ranked) < min(count_ok, limit):
        # The SQL mirror of an exclusion disagrees with the policy: rank everyone, as the policy says.
        log.error("ranking pre-filter disagrees with the policy on case %s; ranking every candidate", case.id)
        return None
    return RankingResult(profile, ctx, window, ranked[:limit], rejected[:excluded_limit], count_ok, count_out)
