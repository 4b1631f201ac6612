"""Rosters API: mediators, pools, experts (CRUD and CSV), explained assignment, recusal, fairness."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from sqlmodel import col, select

from ..accounts.models import User
from ..cases.service import get_visible_case_or_404
from ..db import id_of
from ..deps import CurrentUser, SessionDep, StaffUser, actor_of, require
from ..errors import Forbidden, NotFound, PayloadTooLarge
from ..security.roles import Role, is_staff
from . import assignment, csvio, invitations, service
from . import policy as ranking_policy
from .models import ExpertInvitation, Mediator, MediatorStatus, RecusalRequest
from .schemas import (AssignmentIn, AssignmentRead, AvailabilityWindow, CandidateRead, CandidatesRead, CriterionRead,
                      ExcludedRead, ExclusionRead, ExpertIn, ExpertRead, FairnessRead, ImportRead, InvitationIn,
                      InvitationRead, InvitationResponseIn, MediatorIn, MediatorRead, OpinionIn, PoolIn, PoolRead,
                      RankingPolicyRead, RecusalDecisionIn, RecusalIn, RecusalRead)

router = APIRouter(prefix="/api/v1", tags=["rosters"])

ExpertUser = Annotated[User, require(Role.EXPERT)]
RecusalRequester = Annotated[User, require(Role.PARTY, Role.CASE_OFFICER, Role.ADMIN, Role.MEDIATOR)]
MAX_CSV_BYTES = 5 * 1024 * 1024


# --- mediators ----------------------------------------------------------------------------------------

@router.post("/mediators", status_code=201, response_model=MediatorRead)
def create_mediator(data: MediatorIn, session: SessionDep, user: StaffUser) -> MediatorRead:
    return service.mediator_read(session, service.save_mediator(session, data=data, actor=actor_of(user)))


@router.get("/mediators", response_model=list[MediatorRead])
def list_mediators(session: SessionDep, user: StaffUser, status: MediatorStatus | None = None,
                   pool_id: int | None = None, limit: int = Query(100, ge=1, le=500),
                   offset: int = Query(0, ge=0)) -> list[MediatorRead]:
    return [service.mediator_read(session, m) for m in
            service.list_mediators(session, status=status, pool_id=pool_id, limit=limit, offset=offset)]


@router.get("/mediators/{mediator_id}", response_model=MediatorRead)
def get_mediator(mediator_id: int, session: SessionDep, user: CurrentUser) -> MediatorRead:
    mediator = service.get_mediator_or_404(session, mediator_id)
    if not is_staff(user.role) and mediator.user_id != user.id:
        raise NotFound(f"mediator {mediator_id} not found")
    return service.mediator_read(session, mediator)


@router.put("/mediators/{mediator_id}", response_model=MediatorRead)
def update_mediator(mediator_id: int, data: MediatorIn, session: SessionDep, user: StaffUser) -> MediatorRead:
    mediator = service.get_mediator_or_404(session, mediator_id, for_update=True)
    return service.mediator_read(session, service.save_mediator(session, data=data, actor=actor_of(user),
                                                                mediator=mediator))


# --- pools --------------------------------------------------------------------------------------------

@router.post("/pools", status_code=201, response_model=PoolRead)
def create_pool(data: PoolIn, session: SessionDep, user: StaffUser) -> PoolRead:
    return service.pool_read(session, service.save_pool(session, data=data, actor=actor_of(user)))


@router.get("/pools", response_model=list[PoolRead])
def list_pools(session: SessionDep, user: StaffUser) -> list[PoolRead]:
    from .models import Pool

    return [service.pool_read(session, p) for p in session.exec(select(Pool).order_by(col(Pool.id))).all()]


@router.get("/pools/{pool_id}", response_model=PoolRead)
def get_pool(pool_id: int, session: SessionDep, user: StaffUser) -> PoolRead:
    return service.pool_read(session, service.get_pool_or_404(session, pool_id))


@router.put("/pools/{pool_id}", response_model=PoolRead)
def update_pool(pool_id: int, data: PoolIn, session: SessionDep, user: StaffUser) -> PoolRead:
    pool = service.get_pool_or_404(session, pool_id, for_update=True)
    return service.pool_read(session, service.save_pool(session, data=data, actor=actor_of(user), pool=pool))


@router.put("/pools/{pool_id}/members/{mediator_id}", response_model=PoolRead)
def add_pool_member(pool_id: int, mediator_id: int, session: SessionDep, user: StaffUser) -> PoolRead:
    pool = service.get_pool_or_404(session, pool_id, for_update=True)
    service.set_pool_member(session, pool=pool, mediator=service.get_mediator_or_404(session, mediator_id),
                            member=True, actor=actor_of(user))
    return service.pool_read(session, pool)


@router.delete("/pools/{pool_id}/members/{mediator_id}", response_model=PoolRead)
def remove_pool_member(pool_id: int, mediator_id: int, session: SessionDep, user: StaffUser) -> PoolRead:
    pool = service.get_pool_or_404(session, pool_id, for_update=True)
    service.set_pool_member(session, pool=pool, mediator=service.get_mediator_or_404(session, mediator_id),
                            member=False, actor=actor_of(user))
    return service.pool_read(session, pool)


# --- experts ------------------------------------------------------------------------------------------

@router.post("/experts", status_code=201, response_model=ExpertRead)
def create_expert(data: ExpertIn, session: SessionDep, user: StaffUser) -> ExpertRead:
    return service.expert_read(session, service.save_expert(session, data=data, actor=actor_of(user)))


@router.get("/experts", response_model=list[ExpertRead])
def list_experts(session: SessionDep, user: StaffUser, field: str | None = None,
                 limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)) -> list[ExpertRead]:
    return [service.expert_read(session, e)
            for e in service.list_experts(session, field=field, limit=limit, offset=offset)]


@router.get("/experts/{expert_id}", response_model=ExpertRead)
def get_expert(expert_id: int, session: SessionDep, user: StaffUser) -> ExpertRead:
    return service.expert_read(session, service.get_expert_or_404(session, expert_id))


@router.put("/experts/{expert_id}", response_model=ExpertRead)
def update_expert(expert_id: int, data: ExpertIn, session: SessionDep, user: StaffUser) -> ExpertRead:
    expert = service.get_expert_or_404(session, expert_id, for_update=True)
    return service.expert_read(session, service.save_expert(session, data=data, actor=actor_of(user), expert=expert))


# --- CSV ----------------------------------------------------------------------------------------------

def _csv_response(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/rosters/mediators.csv")
def export_mediators(session: SessionDep, user: StaffUser) -> Response:
    return _csv_response(csvio.export_mediators(session), "mediators.csv")


@router.post("/rosters/mediators.csv", response_model=ImportRead)
def import_mediators(session: SessionDep, user: StaffUser, file: UploadFile = File(...)) -> ImportRead:
    return ImportRead.model_validate(csvio.import_mediators(session, data=_sync_read(file), actor=actor_of(user)))


@router.get("/rosters/experts.csv")
def export_experts(session: SessionDep, user: StaffUser) -> Response:
    return _csv_response(csvio.export_experts(session), "experts.csv")


@router.post("/rosters/experts.csv", response_model=ImportRead)
def import_experts(session: SessionDep, user: StaffUser, file: UploadFile = File(...)) -> ImportRead:
    return ImportRead.model_validate(csvio.import_experts(session, data=_sync_read(file), actor=actor_of(user)))


def _sync_read(file: UploadFile) -> bytes:
    data = file.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise PayloadTooLarge(f"a roster file may be at most {MAX_CSV_BYTES} bytes")
    return data


# --- assignment ---------------------------------------------------------------------------------------

def _ranked_row(rank: int, r: ranking_policy.Ranked) -> CandidateRead:
    c = r.candidate
    return CandidateRead(rank=rank, mediator_id=c.mediator_id, user_id=c.user_id, name=c.name, score=r.total,
                         last_assigned_at=c.last_assigned_at, active_cases=c.active_cases,
                         max_active_cases=c.max_active_cases,
                         criteria=[CriterionRead.model_validate(row) for row in r.criteria])


@router.get("/cases/{case_id}/mediator-candidates", response_model=CandidatesRead)
def mediator_candidates(case_id: int, session: SessionDep, user: StaffUser, pool_id: int | None = None,
                        limit: int = Query(20, ge=1, le=500), include_excluded: bool = True) -> CandidatesRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    # Only the rows shown are ranked in Python (rosters.ranking); the counts cover every candidate.
    result = assignment.rank_candidates(session, case=case, pool_id=pool_id, limit=limit,
                                        excluded_limit=200 if include_excluded else 0)
    weights = {fn.__name__: w for fn, w in assignment.policy.DEFAULT_POLICY.criteria}
    if result.ranked_total is None or result.rejected_total is None:  # RankingResult.__post_init__ sets both
        raise RuntimeError("the ranking result came without its totals")
    return CandidatesRead(
        case_id=id_of(case), category_code=case.category_code, language=result.case.language,
        city=result.case.city, respondent=result.case.respondent_name,
        availability=AvailabilityWindow(source=result.context.availability_source, window_start=result.window.start,
                                        window_end=result.window.end, working_days=result.window.days),
        policy=RankingPolicyRead(weights=weights, tie_break="rotation: longest since last assignment first"),
        total_candidates=result.ranked_total, excluded_count=result.rejected_total,
        candidates=[_ranked_row(i, r) for i, r in enumerate(result.ranked, start=1)],
        excluded=[ExcludedRead(mediator_id=r.candidate.mediator_id, name=r.candidate.name,
                               reasons=[ExclusionRead.model_validate(e, from_attributes=True) for e in r.reasons])
                  for r in result.rejected] if include_excluded else [],
    )


def _assignment_read(a, m: Mediator) -> AssignmentRead:
    return AssignmentRead(**a.model_dump(exclude={"assigned_by_user_id"}), mediator_name=m.name,
                          mediator_user_id=m.user_id)


@router.post("/cases/{case_id}/mediator-assignment", response_model=AssignmentRead)
def assign_mediator(case_id: int, data: AssignmentIn, session: SessionDep, user: StaffUser) -> AssignmentRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    made = assignment.assign(session, case=case, actor=user, actor_ref=actor_of(user), mode=data.mode,
                             mediator_id=data.mediator_id, reason=data.reason)
    mediator = session.get(Mediator, made.mediator_id)
    if mediator is None:  # just assigned under its lock: it exists
        raise RuntimeError(f"assigned mediator {made.mediator_id} does not exist")
    return _assignment_read(made, mediator)


@router.get("/cases/{case_id}/mediator-assignments", response_model=list[AssignmentRead])
def assignment_history(case_id: int, session: SessionDep, user: StaffUser) -> list[AssignmentRead]:
    get_visible_case_or_404(session, user=user, case_id=case_id)
    return [_assignment_read(a, m) for a, m in assignment.assignment_history(session, case_id)]


# --- recusal ------------------------------------------------------------------------------------------

@router.post("/cases/{case_id}/recusal-requests", status_code=201, response_model=RecusalRead)
def request_recusal(case_id: int, data: RecusalIn, session: SessionDep, user: RecusalRequester) -> RecusalRequest:
    case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    return assignment.request_recusal(session, case=case, requester=user, actor_ref=actor_of(user),
                                      reason=data.reason)


@router.get("/cases/{case_id}/recusal-requests", response_model=list[RecusalRead])
def list_recusals(case_id: int, session: SessionDep, user: CurrentUser) -> list[RecusalRequest]:
    if user.role in (Role.COURT, Role.EXPERT):
        raise Forbidden("recusal requests are for the case's parties, mediator and staff")
    get_visible_case_or_404(session, user=user, case_id=case_id)
    return list(session.exec(select(RecusalRequest).where(col(RecusalRequest.case_id) == case_id)
                             .order_by(col(RecusalRequest.id))).all())


@router.post("/recusal-requests/{request_id}/decision", response_model=RecusalRead)
def decide_recusal(request_id: int, data: RecusalDecisionIn, session: SessionDep, user: StaffUser) -> RecusalRequest:
    req = assignment.get_recusal_for_update(session, request_id)
    case = get_visible_case_or_404(session, user=user, case_id=req.case_id, for_update=True)
    return assignment.decide_recusal(session, req=req, case=case, decision=data.decision, reason=data.reason,
                                     reassign=data.reassign, mediator_id=data.mediator_id, actor=user,
                                     actor_ref=actor_of(user))


# --- fairness -----------------------------------------------------------------------------------------

@router.get("/rosters/fairness", response_model=FairnessRead)
def fairness(session: SessionDep, user: StaffUser, start: date, end: date, pool_id: int | None = None) -> FairnessRead:
    return FairnessRead.model_validate(assignment.fairness_report(session, start=start, end=end, pool_id=pool_id))


# --- experts on cases ---------------------------------------------------------------------------------

@router.post("/cases/{case_id}/expert-invitations", status_code=201, response_model=InvitationRead)
def invite_expert(case_id: int, data: InvitationIn, session: SessionDep, user: StaffUser) -> ExpertInvitation:
    case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    expert = service.get_expert_or_404(session, data.expert_id)
    return invitations.invite_expert(session, case=case, expert=expert, purpose=data.purpose,
                                     question=data.question, actor=user, actor_ref=actor_of(user))


@router.get("/cases/{case_id}/expert-invitations", response_model=list[InvitationRead])
def case_invitations(case_id: int, session: SessionDep, user: CurrentUser) -> list[ExpertInvitation]:
    if user.role in (Role.PARTY, Role.COURT):
        raise Forbidden("expert invitations are visible to staff, the mediator and the invited experts")
    if user.role == Role.EXPERT:
        # An expert who has not accepted yet sees their own invitation (purpose, question), not the case.
        own = invitations.invitations_for_case(session, case_id, expert_user_id=user.id)
        if not own:
            raise NotFound(f"case {case_id} not found")
        return own
    get_visible_case_or_404(session, user=user, case_id=case_id)
    return invitations.invitations_for_case(session, case_id)


@router.post("/expert-invitations/{invitation_id}/response", response_model=InvitationRead)
def answer_invitation(invitation_id: int, data: InvitationResponseIn, session: SessionDep,
                      user: ExpertUser) -> ExpertInvitation:
    invitation = invitations.get_own_invitation_for_update(session, invitation_id=invitation_id, user=user)
    return invitations.respond(session, invitation=invitation, accept=data.accept, note=data.note,
                               actor_ref=actor_of(user))


@router.post("/expert-invitations/{invitation_id}/opinion", response_model=InvitationRead)
def submit_opinion(invitation_id: int, data: OpinionIn, session: SessionDep, user: ExpertUser) -> ExpertInvitation:
    invitation = invitations.get_own_invitation_for_update(session, invitation_id=invitation_id, user=user)
    return invitations.submit_opinion(session, invitation=invitation, opinion=data.opinion, actor_ref=actor_of(user))
