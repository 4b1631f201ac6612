from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from ..accounts.models import User
from ..audit.chain import case_trail
from ..db import id_of
from ..deps import CurrentUser, SessionDep, SettingsDep, StaffUser, actor_of
from ..errors import NotFound
from ..idempotency import IdempotencyDep
from ..reliability import intake_bulkhead
from ..security import access
from . import moves, service
from .models import CaseCategory
from .schemas import (AuditEntryRead, AuditSummaryRead, CaseIntake, CaseRead, CategoryIn, ShareIn, ShareRead,
                      TransitionIn)
from .states import CaseStatus

router = APIRouter(prefix="/api/v1", tags=["cases"])


@router.post("/cases", status_code=201, response_model=CaseRead, dependencies=[Depends(intake_bulkhead)],
             summary="Take in a dispute (send an Idempotency-Key header to retry safely)")
def intake(data: CaseIntake, session: SessionDep, settings: SettingsDep, user: StaffUser,
           idempotency: IdempotencyDep) -> CaseRead:
    return idempotency.run(lambda: service.to_read(session, service.intake_case(session, settings, data=data,
                                                                                actor=user)),
                           owner=actor_of(user), body=data, status_code=201)


@router.get("/cases", response_model=list[CaseRead])
def list_cases(session: SessionDep, user: CurrentUser, status: CaseStatus | None = None,
               overdue: bool = False, limit: int = Query(100, ge=1, le=500),
               offset: int = Query(0, ge=0)) -> list[CaseRead]:
    calendar = service.workday_calendar(session)
    cases = service.list_cases(session, user=user, status=status, overdue_only=overdue, limit=limit, offset=offset)
    return [service.to_read(session, c, calendar) for c in cases]


@router.get("/cases/overdue", response_model=list[CaseRead])
def overdue_cases(session: SessionDep, user: CurrentUser) -> list[CaseRead]:
    calendar = service.workday_calendar(session)
    return [service.to_read(session, c, calendar)
            for c in service.list_cases(session, user=user, overdue_only=True, limit=500)]


@router.get("/cases/{case_id}", response_model=CaseRead)
def get_case(case_id: int, session: SessionDep, user: CurrentUser) -> CaseRead:
    return service.to_read(session, service.get_visible_case_or_404(session, user=user, case_id=case_id))


@router.post("/cases/{case_id}/transitions", response_model=CaseRead)
def change_status(case_id: int, data: TransitionIn, session: SessionDep, settings: SettingsDep,
                  user: StaffUser) -> CaseRead:
    case = service.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    moves.move_by_hand(session, settings, case=case, target=data.status, actor=user, reason=data.reason)
    return service.to_read(session, case)


@router.post("/cases/{case_id}/parties/{party_id}/account", response_model=CaseRead)
def link_party_account(case_id: int, party_id: int, user_id: int, session: SessionDep, user: StaffUser) -> CaseRead:
    case = service.get_visible_case_or_404(session, user=user, case_id=case_id)
    party_user = session.get(User, user_id)
    if party_user is None:
        raise NotFound("user not found")
    service.link_party_user(session, case=case, party_id=party_id, user=party_user, actor=actor_of(user))
    return service.to_read(session, case)


@router.post("/cases/{case_id}/shares", status_code=201, response_model=ShareRead)
def share_case(case_id: int, data: ShareIn, session: SessionDep, user: StaffUser) -> ShareRead:
    case = service.get_visible_case_or_404(session, user=user, case_id=case_id)
    court = session.get(User, data.court_user_id)
    if court is None:
        raise NotFound("court account not found")
    share = service.share_with_court(session, case=case, court_user=court, days=data.days, actor=actor_of(user))
    return ShareRead(id=id_of(share), case_id=id_of(case), court_user_id=id_of(court), expires_at=share.expires_at)


@router.get("/cases/{case_id}/audit", response_model=list[AuditEntryRead] | list[AuditSummaryRead])
def case_audit_trail(case_id: int, session: SessionDep,
                     user: CurrentUser) -> list[AuditEntryRead] | list[AuditSummaryRead]:
    service.get_visible_case_or_404(session, user=user, case_id=case_id)
    if access.require(user, access.Obj.AUDIT_TRAIL) == access.View.SUMMARY:
        # Parties see that their case moved, not staff-internal detail.
        return [AuditSummaryRead.model_validate(e, from_attributes=True) for e in case_trail(session, case_id)]
    return [AuditEntryRead.model_validate(e, from_attributes=True) for e in case_trail(session, case_id)]


@router.get("/case-categories", response_model=list[CaseCategory])
def list_categories(session: SessionDep, user: CurrentUser) -> list[CaseCategory]:
    from sqlmodel import select

    return list(session.exec(select(CaseCategory).order_by(CaseCategory.code)).all())


@router.put("/case-categories/{code}", response_model=CaseCategory)
def upsert_category(code: str, data: CategoryIn, session: SessionDep, user: StaffUser) -> CaseCategory:
    from ..audit.chain import record

    category = session.get(CaseCategory, code) or CaseCategory(code=code, name_zh=data.name_zh, name_en=data.name_en)
    category.name_zh, category.name_en, category.active = data.name_zh, data.name_en, data.active
    session.add(category)
    session.flush()
    record(session, actor=actor_of(user), action="category.saved", subject=f"category:{code}",
           payload=data.model_dump())
    return category
