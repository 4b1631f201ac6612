"""Explained mediator assignment: loading candidates, storing the choice, recusal (回避) and fairness.

The ranking itself lives in ``policy`` (pure functions); this module loads plain values for it and stores
what it decided. Candidates are the members of the active pools serving the case's category (every
mediator when no pool serves it). Ranking reads only the aggregates kept on ``mediators`` and the few
affiliation rows naming the respondent, never the assignment history. Of a mediator's specialties,
languages and cities it loads only what the policy asks of them (does the list hold this case's category,
its language, 普通话, its city?), answered in SQL, so that ranking thousands of candidates does not decode
thousands of JSON lists.

Concurrency: an assignment locks the case row (the route loads it FOR UPDATE) and then the mediator row
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), recounts the
mediator's open cases from ``cases`` and only then checks the load: of two officers taking a mediator's
last free slot at the same moment, the second sees the first's case and gets a 409.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, select

from ..accounts.models import User
from ..audit.chain import record
from ..cases.models import Case, CaseCategory, Institution
from ..cases.service import assign_mediator_user, transition, workday_calendar
from ..cases.states import OPEN_STATES, CaseStatus
from ..db import utcnow
from ..errors import Conflict, InvalidInput, NotFound
from ..timeutil import SHANGHAI, today_in_shanghai
from . import availability, policy
from .errors import MediatorExcluded, NoEligibleMediator
from .models import (Mediator, MediatorAffiliation, MediatorAssignment, MediatorCertification, Pool,
                     PoolCategory, PoolMember, RecusalRequest, RecusalStatus)

ASSIGNABLE_STATES = (CaseStatus.ACCEPTED, CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION)
_OPEN = [s.value for s in OPEN_STATES]
PUTONGHUA = "普通话"


@dataclass
class RankingResult:
    case: policy.CaseProfile
    context: policy.RankingContext
    window: availability.Window
    ranked: list[policy.Ranked]
    rejected: list[policy.Rejected]


# --- loading plain values -----------------------------------------------------------------------------

def case_profile(session: Session, case: Case) -> policy.CaseProfile:
    institution = session.get(Institution, case.institution_id)
    category = session.get(CaseCategory, case.category_code)
    return policy.CaseProfile(case_id=case.id, category_code=case.category_code,
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


def _candidate_columns(session: Session, profile: policy.CaseProfile) -> tuple:
    return (Mediator.id, Mediator.user_id, Mediator.name, Mediator.background, Mediator.years_of_practice,
            json_list_has(session, Mediator.specialties, profile.category_code),
            json_list_has(session, Mediator.languages, profile.language),
            json_list_has(session, Mediator.languages, PUTONGHUA),
            json_list_has(session, Mediator.cities, profile.city),
            Mediator.id.in_(select(RecusalRequest.mediator_id).where(  # granted recusals from this case
                RecusalRequest.case_id == profile.case_id, RecusalRequest.status == RecusalStatus.GRANTED)),
            Mediator.remote_capable, Mediator.max_active_cases, Mediator.active_cases, Mediator.status,
            Mediator.last_assigned_at, Mediator.certification_valid_until)


def _candidate_filter(category_code: str, pool_id: int | None):
    if pool_id is not None:
        return Mediator.id.in_(select(PoolMember.mediator_id).where(PoolMember.pool_id == pool_id))
    serving = (select(PoolCategory.pool_id).join(Pool, Pool.id == PoolCategory.pool_id)
               .where(PoolCategory.category_code == category_code, Pool.active))
    # The members of the active pools serving the category; every mediator when no pool serves it. In the
    # same statement (the EXISTS is evaluated once), to save a round trip to the database.
    return or_(Mediator.id.in_(select(PoolMember.mediator_id).where(PoolMember.pool_id.in_(serving))),
               ~sa.exists(serving))


def _ties(session: Session, profile: policy.CaseProfile, mediator_ids=None) -> dict[int, list[policy.Tie]]:
    conditions = []
    if profile.respondent_institution_id is not None:
        conditions.append(MediatorAffiliation.institution_id == profile.respondent_institution_id)
    if profile.respondent_credit_code:
        conditions.append(MediatorAffiliation.credit_code == profile.respondent_credit_code)
    if not conditions:
        return {}
    query = select(MediatorAffiliation.mediator_id, MediatorAffiliation.institution_name,
                   MediatorAffiliation.relation, MediatorAffiliation.started_on,
                   MediatorAffiliation.ended_on).where(or_(*conditions))
    if mediator_ids is not None:
        query = query.where(MediatorAffiliation.mediator_id.in_(mediator_ids))
    ties: dict[int, list[policy.Tie]] = defaultdict(list)
    for mediator_id, name, relation, started, ended in session.exec(query).all():
        ties[mediator_id].append(policy.Tie(name, relation, started, ended))
    return ties


def _expired_names(session: Session, mediator_ids: list[int], today: date) -> dict[int, tuple[str, ...]]:
    if not mediator_ids:
        return {}
    query = select(MediatorCertification.mediator_id, MediatorCertification.name, MediatorCertification.expires_on)
    if len(mediator_ids) <= 20:
        query = query.where(MediatorCertification.mediator_id.in_(mediator_ids))
    else:  # many: every lapsed mediator's certificates, rather than binding hundreds of ids
        query = query.join(Mediator, Mediator.id == MediatorCertification.mediator_id).where(
            Mediator.certification_valid_until < today)
    wanted = set(mediator_ids)
    certs: dict[int, list] = defaultdict(list)
    for mid, name, expires in session.exec(query).all():
        if mid not in wanted:
            continue
        certs[mid].append((name, expires))
    return {mid: tuple(policy.expired_certifications(rows, today)) for mid, rows in certs.items()}


def _candidates(session: Session, rows, *, profile: policy.CaseProfile, current_user_id: int | None,
                today: date, busy: dict[int, int], leave: dict | None = None) -> list[policy.Candidate]:
    leave = leave or {}
    ids = [r[0] for r in rows]
    ties = _ties(session, profile, ids if len(ids) <= 1 else None)
    lapsed = [r[0] for r in rows if r[-1] is not None and r[-1] < today]  # certification_valid_until
    expired = _expired_names(session, lapsed, today)
    # The lists as far as the policy reads them (see the module docstring).
    nothing = frozenset()
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


def _context(session: Session, now: datetime, user_ids: list[int]):
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


def rank_candidates(session: Session, *, case: Case, pool_id: int | None = None,
                    now: datetime | None = None, pol: policy.RankingPolicy = policy.DEFAULT_POLICY) -> RankingResult:
    """Every candidate for the case, ranked, and those excluded with their reasons."""
    now = now or utcnow()
    profile = case_profile(session, case)
    query = sa.select(*_candidate_columns(session, profile)).where(_candidate_filter(case.category_code, pool_id))
    rows = session.connection().execute(query).all()
    ctx, window, (busy, leave) = _context(session, now, [r[1] for r in rows])
    candidates = _candidates(session, rows, profile=profile, current_user_id=case.mediator_user_id,
                             today=ctx.today, busy=busy, leave=leave)
    ranked, rejected = pol.rank(profile, candidates, ctx)
    return RankingResult(profile, ctx, window, ranked, rejected)


def _one_candidate(session: Session, mediator: Mediator, *, case: Case, now: datetime):
    profile = case_profile(session, case)
    row = session.connection().execute(
        sa.select(*_candidate_columns(session, profile)).where(Mediator.id == mediator.id)).one()
    ctx, _window, (busy, leave) = _context(session, now, [mediator.user_id])
    [candidate] = _candidates(session, [row], profile=profile, current_user_id=case.mediator_user_id,
                              today=ctx.today, busy=busy, leave=leave)
    return profile, candidate, ctx


# --- assignment ---------------------------------------------------------------------------------------

def _lock_mediators(session: Session, ids: set[int]) -> dict[int, Mediator]:
    # One statement in id order, so that two transactions locking the same pair cannot deadlock.
    rows = session.exec(select(Mediator).where(Mediator.id.in_(sorted(ids))).order_by(Mediator.id)
                        .with_for_update().execution_options(populate_existing=True)).all()
    return {m.id: m for m in rows}


def count_open_cases(session: Session, *, user_id: int, exclude_case_id: int | None = None) -> int:
    query = select(func.count()).select_from(Case).where(Case.mediator_user_id == user_id,
                                                           Case.status.in_(_OPEN))
    if exclude_case_id is not None:
        query = query.where(Case.id != exclude_case_id)
    return session.exec(query).one()


def _current_mediator(session: Session, case: Case) -> Mediator | None:
    if case.mediator_user_id is None:
        return None
    return session.exec(select(Mediator).where(Mediator.user_id == case.mediator_user_id)).first()


def _end_open_assignments(session: Session, *, case: Case, end_reason: str, now: datetime) -> None:
    session.execute(update(MediatorAssignment)
                    .where(MediatorAssignment.case_id == case.id, MediatorAssignment.ended_at.is_(None))
                    .values(ended_at=now, end_reason=end_reason))


def _try_take(session: Session, *, case: Case, mediator_id: int, previous: Mediator | None,
              now: datetime, pol: policy.RankingPolicy):
    """Lock the mediator (and the one leaving), recount their load, and check every hard exclusion."""
    locked = _lock_mediators(session, {mediator_id} | ({previous.id} if previous else set()))
    mediator = locked.get(mediator_id)
    if mediator is None:
        raise NotFound(f"mediator {mediator_id} not found")
    mediator.active_cases = count_open_cases(session, user_id=mediator.user_id, exclude_case_id=case.id)
    session.add(mediator)
    session.flush()
    profile, candidate, ctx = _one_candidate(session, mediator, case=case, now=now)
    reasons = policy.exclusions_for(profile, candidate, ctx.today, pol.exclusions)
    return mediator, reasons, pol.score(profile, candidate, ctx)


def assign(session: Session, *, case: Case, actor: User, actor_ref: str, mode: str,
           mediator_id: int | None = None, reason: str | None = None, now: datetime | None = None,
           pol: policy.RankingPolicy = policy.DEFAULT_POLICY) -> MediatorAssignment:
    """Put a mediator on the case: the named one (manual, with a reason) or the top candidate (auto).
    The case must be loaded FOR UPDATE by the caller."""
    now = now or utcnow()
    if CaseStatus(case.status) not in ASSIGNABLE_STATES:
        raise Conflict(f"a mediator cannot be assigned while the case is '{case.status}'",
                       current_status=case.status)
    previous = _current_mediator(session, case)
    if mode == "manual":
        if mediator_id is None:
            raise InvalidInput("a manual assignment names the mediator")
        mediator, reasons, scored = _try_take(session, case=case, mediator_id=mediator_id, previous=previous,
                                              now=now, pol=pol)
        if reasons:
            raise MediatorExcluded(mediator_id=mediator.id, name=mediator.name, reasons=reasons)
    else:
        ranking = rank_candidates(session, case=case, now=now, pol=pol)
        mediator = scored = None
        # The ranking read unlocked aggregates; each pick is re-checked under its lock, and a mediator
        # who filled up in the meantime makes way for the next one.
        for ranked in ranking.ranked:
            candidate, reasons, fresh = _try_take(session, case=case, mediator_id=ranked.candidate.mediator_id,
                                                  previous=previous, now=now, pol=pol)
            if not reasons:
                mediator, scored = candidate, fresh
                break
        if mediator is None:
            raise NoEligibleMediator("没有可指派的调解员：所有候选人均被排除",
                                     excluded=[{"mediator_id": r.candidate.mediator_id, "name": r.candidate.name,
                                                "reasons": [e.as_dict() for e in r.reasons]}
                                               for r in ranking.rejected[:50]])
        reason = reason or "自动指派：综合评分最高（同分者按轮换顺序）"

    _end_open_assignments(session, case=case, end_reason="reassigned", now=now)
    user = session.get(User, mediator.user_id)
    assign_mediator_user(session, case=case, mediator=user, actor=actor_ref, reason=reason)
    if previous is not None and previous.id != mediator.id:
        previous.active_cases = count_open_cases(session, user_id=previous.user_id)
        session.add(previous)
    mediator.active_cases += 1
    mediator.last_assigned_at = now
    mediator.assignments_total += 1
    session.add(mediator)
    assignment = MediatorAssignment(case_id=case.id, mediator_id=mediator.id, assigned_at=now, mode=mode,
                                    reason=reason, assigned_by_user_id=actor.id, score=scored.total,
                                    explanation=scored.criteria)
    session.add(assignment)
    session.flush()
    record(session, actor=actor_ref, action="rosters.mediator_assigned", subject=f"case:{case.id}",
           case_id=case.id,
           payload={"mediator_id": mediator.id, "mediator_user_id": mediator.user_id, "mode": mode,
                    "reason": reason, "score": scored.total,
                    "criteria": {c["criterion"]: c["score"] for c in scored.criteria},
                    "previous_mediator_id": previous.id if previous else None})
    return assignment


def assignment_history(session: Session, case_id: int) -> list[tuple[MediatorAssignment, Mediator]]:
    return list(session.exec(select(MediatorAssignment, Mediator)
                             .join(Mediator, Mediator.id == MediatorAssignment.mediator_id)
                             .where(MediatorAssignment.case_id == case_id)
                             .order_by(MediatorAssignment.id)).all())


# --- recusal (回避) ------------------------------------------------------------------------------------

def request_recusal(session: Session, *, case: Case, requester: User, actor_ref: str, reason: str) -> RecusalRequest:
    mediator = _current_mediator(session, case)
    if mediator is None:
        raise Conflict("the case has no mediator to recuse")
    pending = session.exec(select(RecusalRequest.id).where(
        RecusalRequest.case_id == case.id, RecusalRequest.mediator_id == mediator.id,
        RecusalRequest.status == RecusalStatus.PENDING)).first()
    if pending is not None:
        raise Conflict("a recusal request for this mediator is already pending", recusal_request_id=pending)
    req = RecusalRequest(case_id=case.id, mediator_id=mediator.id, requested_by_user_id=requester.id,
                         reason=reason.strip())
    session.add(req)
    session.flush()
    record(session, actor=actor_ref, action="rosters.recusal_requested", subject=f"recusal:{req.id}",
           case_id=case.id, payload={"mediator_id": mediator.id, "reason": req.reason,
                                     "requested_by_role": requester.role})
    return req


def get_recusal_for_update(session: Session, request_id: int) -> RecusalRequest:
    req = session.exec(select(RecusalRequest).where(RecusalRequest.id == request_id).with_for_update()).first()
    if req is None:
        raise NotFound(f"recusal request {request_id} not found")
    return req


def decide_recusal(session: Session, *, req: RecusalRequest, case: Case, decision: str, reason: str,
                   reassign: str, mediator_id: int | None, actor: User, actor_ref: str,
                   now: datetime | None = None) -> RecusalRequest:
    """Grant or reject; a granted recusal ends the mediator's assignment and reassigns the case (or leaves
    it without a mediator, back in 'accepted'). All in the caller's transaction, each step audited."""
    now = now or utcnow()
    if req.status != RecusalStatus.PENDING:
        raise Conflict(f"this recusal request was already decided ({req.status})")
    req.status, req.decision_reason = decision, reason.strip()
    req.decided_by_user_id, req.decided_at = actor.id, now
    session.add(req)
    if decision == RecusalStatus.GRANTED:
        recused = session.get(Mediator, req.mediator_id)
        if case.mediator_user_id != recused.user_id:
            raise Conflict("the mediator named in the request is no longer on this case")
        _end_open_assignments(session, case=case, end_reason="recused", now=now)
        session.flush()
        if reassign == "none":
            case.mediator_user_id = None
            session.add(case)
            transition(session, case=case, target=CaseStatus.ACCEPTED, actor=actor_ref,
                       reason="调解员回避，待重新指派", payload={"recusal_request_id": req.id})
            record(session, actor=actor_ref, action="case.mediator_removed", subject=f"case:{case.id}",
                   case_id=case.id, payload={"mediator_user_id": recused.user_id, "recusal_request_id": req.id})
        else:
            replacement = assign(session, case=case, actor=actor, actor_ref=actor_ref, mode=reassign,
                                 mediator_id=mediator_id, reason=f"回避后重新指派：{req.decision_reason}", now=now)
            req.replacement_mediator_id = replacement.mediator_id
        locked = _lock_mediators(session, {recused.id})[recused.id]
        locked.active_cases = count_open_cases(session, user_id=locked.user_id)
        session.add(locked)
    session.flush()
    record(session, actor=actor_ref, action="rosters.recusal_decided", subject=f"recusal:{req.id}",
           case_id=case.id, payload={"decision": decision, "reason": req.decision_reason,
                                     "mediator_id": req.mediator_id, "reassign": reassign,
                                     "replacement_mediator_id": req.replacement_mediator_id})
    return req


# --- fairness -----------------------------------------------------------------------------------------

def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Shanghai time, as UTC."""
    if end < start:
        raise InvalidInput("the period ends before it starts", errors=[{"loc": ["end"], "msg": "before start"}])
    try:
        lo = datetime.combine(start, time(0), SHANGHAI).astimezone(timezone.utc)
        hi = datetime.combine(end + timedelta(days=1), time(0), SHANGHAI).astimezone(timezone.utc)
    except OverflowError:  # the first or last day of the calendar (0001-01-01, 9999-12-31)
        raise InvalidInput("the period is outside the calendar's range",
                           errors=[{"loc": ["start"], "msg": "between 0001-01-02 and 9999-12-30"}]) from None
    return lo, hi


def fairness_report(session: Session, *, start: date, end: date, pool_id: int | None = None) -> dict:
    """Assignments per mediator in the period, and per pool of comparable (active) mediators the most and
    least assigned and the spread between them."""
    lo, hi = period_bounds(start, end)
    counts = dict(session.exec(select(MediatorAssignment.mediator_id, func.count())
                               .where(MediatorAssignment.assigned_at >= lo, MediatorAssignment.assigned_at < hi)
                               .group_by(MediatorAssignment.mediator_id)).all())
    recusals = dict(session.exec(select(RecusalRequest.mediator_id, func.count())
                                 .where(RecusalRequest.status == RecusalStatus.GRANTED,
                                        RecusalRequest.decided_at >= lo, RecusalRequest.decided_at < hi)
                                 .group_by(RecusalRequest.mediator_id)).all())
    pools_query = select(Pool).where(Pool.active)
    if pool_id is not None:
        pools_query = select(Pool).where(Pool.id == pool_id)
    pools = session.exec(pools_query.order_by(Pool.id)).all()
    if pool_id is not None and not pools:
        raise NotFound(f"pool {pool_id} not found")
    active = {m.id: m for m in session.exec(select(Mediator).where(Mediator.status == "active")).all()}
    members: dict[int, list[int]] = defaultdict(list)
    for pid, mid in session.exec(select(PoolMember.pool_id, PoolMember.mediator_id)
                                 .where(PoolMember.pool_id.in_([p.id for p in pools]))).all():
        if mid in active:
            members[pid].append(mid)
    groups = {str(p.id): members.get(p.id, []) for p in pools}
    if pool_id is None:
        groups["all"] = list(active)
    names = {str(p.id): p.name for p in pools} | {"all": "全部在册调解员"}
    involved = set(counts) | set(active)
    everyone = {m.id: m for m in session.exec(select(Mediator).where(Mediator.id.in_(involved))).all()}

    def who(pair):
        if pair is None:
            return None
        return {"mediator_id": pair[0], "name": everyone[pair[0]].name, "assignments": pair[1]}

    group_rows = [{"group": g.group, "pool_id": None if g.group == "all" else int(g.group), "name": names[g.group],
                   "members": g.members, "assignments": g.total, "mean": g.mean, "most_assigned": who(g.most),
                   "least_assigned": who(g.least), "spread": g.spread}
                  for g in policy.fairness(groups, counts)]
    per_mediator = sorted(({"mediator_id": m.id, "name": m.name, "status": m.status,
                            "assignments": counts.get(m.id, 0), "recusals_granted": recusals.get(m.id, 0),
                            "active_cases": m.active_cases, "max_active_cases": m.max_active_cases}
                           for m in everyone.values() if pool_id is None or any(m.id in v for v in groups.values())),
                          key=lambda r: (-r["assignments"], r["mediator_id"]))
    return {"period": {"start": start, "end": end, "timezone": "Asia/Shanghai"},
            "total_assignments": sum(counts.values()), "groups": group_rows, "mediators": per_mediator}
