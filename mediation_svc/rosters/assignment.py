"""Explained mediator assignment: loading candidates, storing the choice, recusal (回避) and fairness.

The ranking itself lives in ``policy`` (pure functions); ``candidates`` loads plain values for it,
``ranking`` ranks a case's candidates (the first few with the database's help), and this module stores what
was decided.

Concurrency: an assignment locks the case row (the route loads it FOR UPDATE) and then the mediator row
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), recounts the
mediator's open cases from ``cases`` and only then checks the load: of two officers taking a mediator's
last free slot at the same moment, the second sees the first's case and gets a 409.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import record
from ..cases.models import Case
from ..cases.service import assign_mediator_user, transition
from ..cases.states import OPEN_STATES, CaseStatus
from ..db import id_of, locked, one_or_404, utcnow
from ..errors import Conflict, InvalidInput, NotFound
from ..timeutil import SHANGHAI
from . import fairness, policy
from .candidates import build_candidates, candidate_columns, case_profile, ranking_context
from .errors import MediatorExcluded, NoEligibleMediator
from .models import Mediator, MediatorAssignment, Pool, PoolMember, RecusalRequest, RecusalStatus
from .ranking import rank_candidates
from .service import account_of

ASSIGNABLE_STATES = (CaseStatus.ACCEPTED, CaseStatus.MEDIATOR_ASSIGNED, CaseStatus.IN_MEDIATION)
_OPEN = [s.value for s in OPEN_STATES]


def _one_candidate(session: Session, mediator: Mediator, *, case: Case, now: datetime):
    profile = case_profile(session, case)
    row = session.connection().execute(
        sa.select(*candidate_columns(session, profile)).where(col(Mediator.id) == mediator.id)).one()
    ctx, _window, (busy, leave) = ranking_context(session, now, [mediator.user_id])
    [candidate] = build_candidates(session, [row], profile=profile, current_user_id=case.mediator_user_id,
                                   today=ctx.today, busy=busy, leave=leave)
    return profile, candidate, ctx


# --- assignment ---------------------------------------------------------------------------------------

def _lock_mediators(session: Session, ids: set[int]) -> dict[int, Mediator]:
    # One statement in id order, so that two transactions locking the same pair cannot deadlock.
    rows = session.exec(locked(select(Mediator).where(col(Mediator.id).in_(sorted(ids)))
                               .order_by(col(Mediator.id)))).all()
    return {id_of(m): m for m in rows}


def count_open_cases(session: Session, *, user_id: int, exclude_case_id: int | None = None) -> int:
    """The user's cases in an open state (OPEN_STATES) as their mediator, counted from ``cases`` (not read
    from ``Mediator.active_cases``), leaving out ``exclude_case_id``."""
    query = select(func.count()).select_from(Case).where(col(Case.mediator_user_id) == user_id,
                                                           col(Case.status).in_(_OPEN))
    if exclude_case_id is not None:
        query = query.where(col(Case.id) != exclude_case_id)
    return session.exec(query).one()


def _current_mediator(session: Session, case: Case) -> Mediator | None:
    if case.mediator_user_id is None:
        return None
    return session.exec(select(Mediator).where(col(Mediator.user_id) == case.mediator_user_id)).first()


def _end_open_assignments(session: Session, *, case: Case, end_reason: str, now: datetime) -> None:
    session.execute(update(MediatorAssignment)
                    .where(col(MediatorAssignment.case_id) == case.id, col(MediatorAssignment.ended_at).is_(None))
                    .values(ended_at=now, end_reason=end_reason))


def _try_take(session: Session, *, case: Case, mediator_id: int, previous: Mediator | None,
              now: datetime, pol: policy.RankingPolicy):
    """Lock the mediator (and the one leaving), recount their load, and check every hard exclusion."""
    locked = _lock_mediators(session, {mediator_id} | ({id_of(previous)} if previous else set()))
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
    assign_mediator_user(session, case=case, mediator=account_of(session, mediator.user_id), actor=actor_ref, reason=reason)
    if previous is not None and previous.id != mediator.id:
        previous.active_cases = count_open_cases(session, user_id=previous.user_id)
        session.add(previous)
    mediator.active_cases += 1
    mediator.last_assigned_at = now
    mediator.assignments_total += 1
    session.add(mediator)
    assignment = MediatorAssignment(case_id=id_of(case), mediator_id=mediator.id, assigned_at=now, mode=mode,
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
    """Every assignment of the case with its mediator, oldest first, ended ones included."""
    return list(session.exec(select(MediatorAssignment, Mediator)
                             .join(Mediator, col(Mediator.id) == MediatorAssignment.mediator_id)
                             .where(col(MediatorAssignment.case_id) == case_id)
                             .order_by(col(MediatorAssignment.id))).all())


# --- recusal (回避) ------------------------------------------------------------------------------------

def request_recusal(session: Session, *, case: Case, requester: User, actor_ref: str, reason: str) -> RecusalRequest:
    """Ask that the case's current mediator step aside (回避): a pending request, audited. 409 when the case
    is no longer open (nothing left to mediate), has no mediator on the roster, or a request for them is
    pending."""
    if CaseStatus(case.status) not in OPEN_STATES:
        raise Conflict(f"a recusal cannot be asked while the case is '{case.status}'")
    mediator = _current_mediator(session, case)
    if mediator is None:
        raise Conflict("the case has no mediator to recuse")
    pending = session.exec(select(RecusalRequest.id).where(
        col(RecusalRequest.case_id) == case.id, col(RecusalRequest.mediator_id) == mediator.id,
        col(RecusalRequest.status) == RecusalStatus.PENDING)).first()
    if pending is not None:
        raise Conflict("a recusal request for this mediator is already pending", recusal_request_id=pending)
    req = RecusalRequest(case_id=id_of(case), mediator_id=id_of(mediator), requested_by_user_id=id_of(requester),
                         reason=reason.strip())
    session.add(req)
    session.flush()
    record(session, actor=actor_ref, action="rosters.recusal_requested", subject=f"recusal:{req.id}",
           case_id=case.id, payload={"mediator_id": mediator.id, "reason": req.reason,
                                     "requested_by_role": requester.role})
    return req


def get_recusal_for_update(session: Session, request_id: int) -> RecusalRequest:
    """The recusal request, locked FOR UPDATE, or NotFound (404)."""
    return one_or_404(session, select(RecusalRequest).where(col(RecusalRequest.id) == request_id),
                      missing=f"recusal request {request_id} not found", for_update=True)


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
        if recused is None:  # a foreign key: a request without its mediator is corrupt data
            raise RuntimeError(f"recusal request {req.id} names mediator {req.mediator_id}, which does not exist")
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
        locked = _lock_mediators(session, {id_of(recused)})[id_of(recused)]
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
                               .where(col(MediatorAssignment.assigned_at) >= lo,
                                      col(MediatorAssignment.assigned_at) < hi)
                               .group_by(col(MediatorAssignment.mediator_id))).all())
    recusals = dict(session.exec(select(RecusalRequest.mediator_id, func.count())
                                 .where(col(RecusalRequest.status) == RecusalStatus.GRANTED,
                                        col(RecusalRequest.decided_at) >= lo, col(RecusalRequest.decided_at) < hi)
                                 .group_by(col(RecusalRequest.mediator_id))).all())
    pools_query = select(Pool).where(col(Pool.active))
    if pool_id is not None:
        pools_query = select(Pool).where(col(Pool.id) == pool_id)
    pools = session.exec(pools_query.order_by(col(Pool.id))).all()
    if pool_id is not None and not pools:
        raise NotFound(f"pool {pool_id} not found")
    active = {id_of(m): m for m in session.exec(select(Mediator).where(col(Mediator.status) == "active")).all()}
    members: dict[int, list[int]] = defaultdict(list)
    for pid, mid in session.exec(select(PoolMember.pool_id, PoolMember.mediator_id)
                                 .where(col(PoolMember.pool_id).in_([p.id for p in pools]))).all():
        if mid in active:
            members[pid].append(mid)
    groups = {str(p.id): members.get(id_of(p), []) for p in pools}
    if pool_id is None:
        groups["all"] = list(active)
    names = {str(p.id): p.name for p in pools} | {"all": "全部在册调解员"}
    involved = set(counts) | set(active)
    everyone = {id_of(m): m for m in session.exec(select(Mediator).where(col(Mediator.id).in_(involved))).all()}

    def who(pair):
        if pair is None:
            return None
        return {"mediator_id": pair[0], "name": everyone[pair[0]].name, "assignments": pair[1]}

    group_rows = [{"group": g.group, "pool_id": None if g.group == "all" else int(g.group), "name": names[g.group],
                   "members": g.members, "assignments": g.total, "mean": g.mean, "most_assigned": who(g.most),
                   "least_assigned": who(g.least), "spread": g.spread}
                  for g in fairness.fairness(groups, counts)]
    shown = sorted((mid for mid in everyone if pool_id is None or any(mid in v for v in groups.values())),
                   key=lambda mid: (-counts.get(mid, 0), mid))
    per_mediator = [{"mediator_id": mid, "name": everyone[mid].name, "status": everyone[mid].status,
                     "assignments": counts.get(mid, 0), "recusals_granted": recusals.get(mid, 0),
                     "active_cases": everyone[mid].active_cases, "max_active_cases": everyone[mid].max_active_cases}
                    for mid in shown]
    return {"period": {"start": start, "end": end, "timezone": "Asia/Shanghai"},
            "total_assignments": sum(counts.values()), "groups": group_rows, "mediators": per_mediator}
