"""Loading the plain values ranking reads: the case's profile, the candidates (members of the active pools
serving the case's category, every mediator when no pool serves it) and the ranking window.

Ranking reads only the aggregates kept on ``mediators`` and the few affiliation rows naming the respondent,
never the assignment history. Of a mediator's specialties, languages and cities it loads only what the
policy asks of them (does the list hold this case's category, its language, 普通话, its city?), answered
in SQL, so that ranking thousands of candidates does not decode thousands of JSON lists.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import func, or_
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Session, col, select

from ..cases.models import Case, CaseCategory, Institution
from ..cases.service import workday_calendar
from ..db import id_of
from ..timeutil import today_in_shanghai
from . import availability, policy
from .models import (Mediator, MediatorAffiliation, MediatorCertification, Pool, PoolCategory, PoolMember,
                     RecusalRequest, RecusalStatus)

PUTONGHUA = "普通话"
# Up to this many candidates, their ties and certificates are read by id (an index lookup each); beyond, every
# tie naming the respondent and every lapsed mediator's certificates, rather than binding thousands of ids.
BIND_AT_MOST = 500


def case_profile(session: Session, case: Case) -> policy.CaseProfile:
    """The case as the policy reads it (category, language, city, respondent)."""
    institution = session.get(Institution, case.institution_id)
    category = session.get(CaseCategory, case.category_code)
    return policy.CaseProfile(case_id=id_of(case), category_code=case.category_code,
                              language=case.preferred_language or "普通话", city=case.city,
                              respondent_institution_id=case.institution_id,
                              respondent_credit_code=institution.credit_code if institution else None,
                              respondent_name=institution.name if institution else None,
                              category_name=category.name_zh if category else None,
                              category_name_en=category.name_en if category else None)


def json_list_has(session: Session, column, value: str | None):
    """SQL truth of 'the JSON list in ``column`` holds ``value``' (PostgreSQL jsonb @>, SQLite json_each)."""
    if value is None:
        return sa.false()
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(column, JSONB).op("@>")(sa.cast(sa.literal(json.dumps([value]), sa.String), JSONB))
    each = func.json_each(column).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == value))


def candidate_columns(session: Session, profile: policy.CaseProfile) -> tuple:
    """The columns ``build_candidates`` reads, in its order (the JSON lists answered in SQL)."""
    return (col(Mediator.id), col(Mediator.user_id), col(Mediator.name), col(Mediator.background),
            col(Mediator.years_of_practice),
            json_list_has(session, col(Mediator.specialties), profile.category_code),
            json_list_has(session, col(Mediator.languages), profile.language),
            json_list_has(session, col(Mediator.languages), PUTONGHUA),
            json_list_has(session, col(Mediator.cities), profile.city),
            col(Mediator.id).in_(select(RecusalRequest.mediator_id).where(  # granted recusals from this case
                col(RecusalRequest.case_id) == profile.case_id,
                col(RecusalRequest.status) == RecusalStatus.GRANTED)),
            col(Mediator.remote_capable), col(Mediator.max_active_cases), col(Mediator.active_cases),
            col(Mediator.status), col(Mediator.last_assigned_at), col(Mediator.certification_valid_until))


def candidate_filter(category_code: str, pool_id: int | None):
    """SQL truth of 'this mediator is a candidate': the pool's members, or the serving pools' (see the module)."""
    if pool_id is not None:
        return col(Mediator.id).in_(select(PoolMember.mediator_id).where(col(PoolMember.pool_id) == pool_id))
    serving = (select(PoolCategory.pool_id).join(Pool, col(Pool.id) == PoolCategory.pool_id)
               .where(col(PoolCategory.category_code) == category_code, col(Pool.active)))
    # The members of the active pools serving the category; every mediator when no pool serves it. In the
    # same statement (the EXISTS is evaluated once), to save a round trip to the database.
    return or_(col(Mediator.id).in_(select(PoolMember.mediator_id).where(col(PoolMember.pool_id).in_(serving))),
               ~sa.exists(serving))


def id_in(session: Session, column, ids: list[int]):
    """SQL truth of 'column is one of ids': one array parameter on PostgreSQL (hundreds of placeholders cost
    more to render and parse than the lookup itself), an IN list elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", list(ids), type_=ARRAY(sa.Integer)))
    return column.in_(list(ids))


def names_the_respondent(profile: policy.CaseProfile):
    """SQL truth of 'this affiliation names the case's respondent' (its id or credit code); None: nothing can."""
    conditions = []
    if profile.respondent_institution_id is not None:
        conditions.append(col(MediatorAffiliation.institution_id) == profile.respondent_institution_id)
    if profile.respondent_credit_code:
        conditions.append(col(MediatorAffiliation.credit_code) == profile.respondent_credit_code)
    return or_(*conditions) if conditions else None


def ties_with_respondent(session: Session, profile: policy.CaseProfile,
                         mediator_ids: list[int] | None = None) -> dict[int, list[policy.Tie]]:
    """Declared ties naming the respondent (by id or credit code), per mediator; of ``mediator_ids`` only if given."""
    names_respondent = names_the_respondent(profile)
    if names_respondent is None:
        return {}
    # Five columns: SQLAlchemy's select (SQLModel's is typed for at most four).
    query = sa.select(col(MediatorAffiliation.mediator_id), col(MediatorAffiliation.institution_name),
                      col(MediatorAffiliation.relation), col(MediatorAffiliation.started_on),
                      col(MediatorAffiliation.ended_on)).where(names_respondent)
    if mediator_ids is not None:
        query = query.where(id_in(session, col(MediatorAffiliation.mediator_id), mediator_ids))
    ties: dict[int, list[policy.Tie]] = defaultdict(list)
    for mediator_id, name, relation, started, ended in session.execute(query).all():
        ties[mediator_id].append(policy.Tie(name, relation, started, ended))
    return ties


def expired_names(session: Session, mediator_ids: list[int], today: date) -> dict[int, tuple[str, ...]]:
    """The names of the lapsed certificates of each of ``mediator_ids`` (those lapsed by ``today``)."""
    if not mediator_ids:
        return {}
    query = select(col(MediatorCertification.mediator_id), col(MediatorCertification.name),
                   col(MediatorCertification.expires_on))
    if len(mediator_ids) <= BIND_AT_MOST:
        query = query.where(id_in(session, col(MediatorCertification.mediator_id), mediator_ids))
    else:  # many: every lapsed mediator's certificates, rather than binding hundreds of ids
        query = query.join(Mediator, col(Mediator.id) == MediatorCertification.mediator_id).where(
            col(Mediator.certification_valid_until) < today)
    wanted = set(mediator_ids)
    certs: dict[int, list] = defaultdict(list)
    for mid, name, expires in session.exec(query).all():
        if mid not in wanted:
            continue
        certs[mid].append((name, expires))
    return {mid: tuple(policy.expired_certifications(rows, today)) for mid, rows in certs.items()}


def build_candidates(session: Session, rows, *, profile: policy.CaseProfile, current_user_id: int | None,
                     today: date, busy: dict[int, int], leave: dict | None = None) -> list[policy.Candidate]:
    """``policy.Candidate`` values from rows of ``candidate_columns``, with their ties and lapsed certificates."""
    leave = leave or {}
    ids = [r[0] for r in rows]
    ties = ties_with_respondent(session, profile, ids if len(ids) <= BIND_AT_MOST else None)
    lapsed = [r[0] for r in rows if r[-1] is not None and r[-1] < today]  # certification_valid_until
    expired = expired_names(session, lapsed, today)
    # The lists as far as the policy reads them (see the module docstring).
    nothing: frozenset[str] = frozenset()
    specialties = {True: frozenset((profile.category_code,)), False: nothing}
    cities = {True: frozenset((profile.city,)) if profile.city else nothing, False: nothing}
    languages = {(wanted, putonghua): frozenset(name for name, has in ((profile.language, wanted),
                                                                       (PUTONGHUA, putonghua)) if has)
                 for wanted in (True, False) for putonghua in (True, False)}
    make = policy.Candidate
    # Positional, in the order of policy.Candidate's fields: this loop runs once per candidate.
    return [make(mid, uid, name, background, years, specialties[bool(has_category)],
                 languages[bool(speaks_wanted), bool(speaks_putonghua)], cities[bool(serves_city)], bool(remote),
                 maximum, active, status, last, valid_until, expired.get(mid, ()), tuple(ties.get(mid, ())),
                 bool(recused), uid == current_user_id, busy.get(uid, 0), leave.get(uid))
            for (mid, uid, name, background, years, has_category, speaks_wanted, speaks_putonghua, serves_city,
                 recused, remote, maximum, active, status, last, valid_until) in rows]


def ranking_context(session: Session, now: datetime, user_ids: list[int] | None):
    """The ranking context, the availability window, and (busy minutes, whole-window leave) per user id: of
    ``user_ids``, or of everyone with a session or leave in the window when None."""
    today = today_in_shanghai(now)
    window = availability.next_working_days(workday_calendar(session), today)
    busy, source = availability.busy_minutes(session, user_ids=user_ids, start=window.start, end=window.end)
    capacity = len(window.days) * availability.DEFAULT_DAY_MINUTES
    # Leave counts as busy time; leave over the whole window excludes the mediator (policy.exclude_on_leave).
    on_leave, whole = availability.leave_in_window(session, user_ids=user_ids, window=window)
    for uid, minutes in on_leave.items():
        busy[uid] = min(capacity, busy.get(uid, 0) + minutes)
    ctx = policy.RankingContext(now=now, today=today, capacity_minutes=capacity,
                                availability_source=source, window_label=window.label,
                                window_label_en=window.label_en)
    return ctx, window, (busy, whole)
