"""The default ranking policy's rules mirrored as SQL expressions, to pre-score and filter in the database.

``policy`` stays the authority: the database only picks the candidates worth scoring, and every candidate
returned is scored, explained and ordered by the pure policy. The mirrors need not be exact, only close:
the SQL total (float arithmetic, unrounded) is within ``MARGIN`` points of the policy's ``round(total, 2)``,
so taking every eligible candidate whose SQL total reaches the k-th best SQL total minus twice the margin
keeps every candidate the policy would put in its first k, ties included (see ``ranking``).

The hard exclusions are mirrored exactly (a candidate is either eligible or not); a test compares both on
random rosters (tests/rosters/test_prescore.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import and_, func, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from . import policy
from .candidates import PUTONGHUA, json_list_has, names_the_respondent
from .models import Mediator, MediatorAffiliation, RecusalRequest, RecusalStatus

# Points. The policy rounds to 0.01 (an error of at most 0.005); float sums in another order add ~1e-12.
MARGIN = 0.01
UNIX_EPOCH_JULIAN_DAY = 2440587.5


def _float(value: float) -> ColumnElement:
    return sa.literal(value, sa.Float)


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _epoch_seconds(session: Session, column) -> ColumnElement:
    if _postgresql(session):
        return func.date_part("epoch", column)  # double precision (EXTRACT's numeric costs more)
    return (func.julianday(column) - UNIX_EPOCH_JULIAN_DAY) * 86400.0  # SQLite stores naive UTC text


def _clamp_ratio(numerator, denominator) -> ColumnElement:
    """max(numerator, 0) / denominator, as a float (the policy's load and availability shape)."""
    return sa.case((numerator > 0, sa.cast(numerator, sa.Float) / denominator), else_=_float(0.0))


# --- criteria: each mirrors policy.<name>_score ------------------------------------------------------------

Mirror = Callable[[Session, policy.CaseProfile, policy.RankingContext, dict[int, int]], ColumnElement]


def specialty_sql(session: Session, case: policy.CaseProfile, ctx: policy.RankingContext,
                  busy: dict[int, int]) -> ColumnElement:
    """policy.specialty_score in SQL."""
    whens = [(json_list_has(session, col(Mediator.specialties), case.category_code), _float(1.0))]
    field_needed = policy.CATEGORY_FIELD.get(case.category_code)
    if field_needed:
        whens.append((col(Mediator.background) == field_needed, _float(0.6)))
    whens.append((col(Mediator.background) == "law", _float(0.4)))
    return sa.case(*whens, else_=_float(0.0))


def language_sql(session: Session, case: policy.CaseProfile, ctx: policy.RankingContext,
                 busy: dict[int, int]) -> ColumnElement:
    """policy.language_score in SQL."""
    return sa.case((json_list_has(session, col(Mediator.languages), case.language), _float(1.0)),
                   (json_list_has(session, col(Mediator.languages), PUTONGHUA), _float(0.3)), else_=_float(0.0))


def location_sql(session: Session, case: policy.CaseProfile, ctx: policy.RankingContext,
                 busy: dict[int, int]) -> ColumnElement:
    """policy.location_score in SQL."""
    if not case.city:
        return _float(1.0)
    return sa.case((json_list_has(session, col(Mediator.cities), case.city), _float(1.0)),
                   (col(Mediator.remote_capable), _float(0.6)), else_=_float(0.0))


def load_sql(session: Session, case: policy.CaseProfile, ctx: policy.RankingContext,
             busy: dict[int, int]) -> ColumnElement:
    """policy.load_score in SQL."""
    maximum = sa.case((col(Mediator.max_active_cases) > 1, col(Mediator.max_active_cases)), else_=1)
    return _clamp_ratio(maximum - col(Mediator.active_cases), maximum)


def rotation_sql(session: Session, case: policy.CaseProfile, ctx: policy.RankingContext,
                 busy: dict[int, int]) -> ColumnElement:
    """policy.rotation_score in SQL."""
    last = col(Mediator.last_assigned_at)
    days = (_float(ctx.now.timestamp()) - _epoch_seconds(session, last)) / 86400.0
    # Most rows answer on a comparison of timestamps: only the last 30 days need the fraction.
    return sa.case((last.is_(None), _float(1.0)),
                   (last <= ctx.now - timedelta(days=policy.ROTATION_FULL_DAYS), _float(1.0)),
                   (last >= ctx.now, _float(0.0)),
                   else_=days / float(policy.ROTATION_FULL_DAYS))


def _busy_of_user(session: Session, busy: dict[int, int]) -> ColumnElement:
    """The user's busy minutes from a JSON object {user id: minutes} bound once (few users are busy)."""
    mapping = json.dumps({str(uid): minutes for uid, minutes in busy.items() if minutes})
    if _postgresql(session):
        looked_up = sa.cast(sa.literal(mapping, sa.String), JSONB).op("->>")(sa.cast(col(Mediator.user_id), sa.String))
        return func.coalesce(sa.cast(looked_up, sa.Integer), 0)
    path = sa.literal('$."') + sa.cast(col(Mediator.user_id), sa.String) + sa.literal('"')
    return func.coalesce(func.json_extract(sa.literal(mapping), path), 0)


def availability_sql(session: Session, case: policy.CaseProfile, ctx: policy.RankingContext,
                     busy: dict[int, int]) -> ColumnElement:
    """policy.availability_score in SQL (``busy``: minutes per user id, absent meaning none)."""
    capacity = max(ctx.capacity_minutes, 1)
    if not any(busy.values()):
        return _float(1.0)  # (capacity - 0) / capacity
    return _clamp_ratio(capacity - _busy_of_user(session, busy), float(capacity))


MIRRORS: dict[Callable, Mirror] = {policy.specialty: specialty_sql, policy.language: language_sql,
                                   policy.location: location_sql, policy.load: load_sql,
                                   policy.rotation: rotation_sql, policy.availability: availability_sql}


def mirrored(pol: policy.RankingPolicy) -> bool:
    """Whether every criterion and exclusion of ``pol`` has its SQL mirror (else rank in Python alone)."""
    return (all(fn in MIRRORS for fn, _weight in pol.criteria)
            and tuple(pol.exclusions) == policy.HARD_EXCLUSIONS)


def total_sql(session: Session, *, case: policy.CaseProfile, ctx: policy.RankingContext,
              busy: dict[int, int], pol: policy.RankingPolicy) -> ColumnElement:
    """The weighted total of ``pol`` (unrounded), in SQL."""
    terms = [MIRRORS[fn](session, case, ctx, busy) * weight for fn, weight in pol.criteria]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


# --- hard exclusions ----------------------------------------------------------------------------------------

def first_current_end(today: date) -> date:
    """The earliest end date of a tie that still counts today (policy.tie_is_current, found by bisection:
    a later end never counts less)."""
    def current(ended: date) -> bool:
        return policy.tie_is_current(policy.Tie("", "", None, ended), today)

    low, high = today - timedelta(days=366 * policy.TIE_COOLING_OFF_YEARS + 2), today  # not current, current
    while (high - low).days > 1:
        middle = low + (high - low) / 2
        low, high = (low, middle) if current(middle) else (middle, high)
    return high


def _current_tie(case: policy.CaseProfile, today: date) -> ColumnElement | None:
    names_respondent = names_the_respondent(case)
    if names_respondent is None:
        return None
    tie = MediatorAffiliation
    return sa.exists(select(col(tie.id)).where(
        col(tie.mediator_id) == col(Mediator.id), names_respondent,
        or_(col(tie.started_on).is_(None), col(tie.started_on) <= today),
        or_(col(tie.ended_on).is_(None), col(tie.ended_on) >= first_current_end(today))))


def eligible_sql(*, case: policy.CaseProfile, today: date, current_user_id: int | None,
                 on_leave_user_ids: list[int]) -> ColumnElement:
    """SQL truth of 'no hard exclusion applies' (policy.HARD_EXCLUSIONS, in their order)."""
    conditions = []
    tie = _current_tie(case, today)
    if tie is not None:
        conditions.append(~tie)
    conditions += [col(Mediator.status) == "active",
                   or_(col(Mediator.certification_valid_until).is_(None), col(Mediator.certification_valid_until) >= today),
                   col(Mediator.active_cases) < col(Mediator.max_active_cases)]
    if on_leave_user_ids:
        conditions.append(col(Mediator.user_id).not_in(sorted(on_leave_user_ids)))
    conditions.append(col(Mediator.id).not_in(select(col(RecusalRequest.mediator_id)).where(
        col(RecusalRequest.case_id) == case.case_id, col(RecusalRequest.status) == RecusalStatus.GRANTED)))
    if current_user_id is not None:
        conditions.append(col(Mediator.user_id) != current_user_id)
    return and_(*conditions)
