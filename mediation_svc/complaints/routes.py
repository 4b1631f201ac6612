from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ..accounts.models import User
from ..db import id_of
from ..deps import AdminUser, CurrentUser, SessionDep, SettingsDep, StaffUser, actor_of, require
from ..security.roles import Role
from . import attachments, institutions, service, statistics
from . import board as complaint_board
from .schemas import (AttachmentRead, ComplaintStatistics, ConsumerAnswerIn, ConsumerAnswerRead, ContactIn, ContactRead,
                      ConversionRead, ConvertIn, ExtensionIn, ExtensionRead, ForwardIn, InstitutionAccountIn,
                      InstitutionAccountRead, InstitutionFigures, MessageIn, MessageRead, PeriodTotals, ReasonIn,
                      ReplyIn)

router = APIRouter(prefix="/api/v1", tags=["complaints"])
HandlerUser = Annotated[User, require(Role.ADMIN, Role.CASE_OFFICER, Role.INSTITUTION)]
MAX_ID = 2**31 - 1  # an id beyond the column's range is simply not found, never a database error
ContactId = Annotated[int, Path(ge=1, le=MAX_ID)]
AttachmentId = Annotated[int, Path(ge=1, le=MAX_ID)]


def read(session, settings, contact) -> ContactRead:
    from ..cases.service import workday_calendar

    return service.to_read(contact, calendar=workday_calendar(session), settings=settings,
                           institution_names=service.institution_names(session))


@router.post("/contacts", status_code=201, response_model=ContactRead)
def record_contact(data: ContactIn, session: SessionDep, settings: SettingsDep, user: StaffUser) -> ContactRead:
    return read(session, settings, service.record_contact(session, settings, data=data, actor=user))


@router.get("/complaints", response_model=list[ContactRead])
def board(session: SessionDep, settings: SettingsDep, user: CurrentUser, status: str | None = None,
          institution_id: int | None = Query(None, ge=1, le=MAX_ID), attention: str | None = Query(None, pattern="^(overdue|urgent)$"),
          limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000)) -> list[ContactRead]:
    from ..cases.service import workday_calendar

    calendar, names = workday_calendar(session), service.institution_names(session)
    rows = complaint_board.board(session, user=user, status=status, institution_id=institution_id, attention=attention,
                                 limit=limit, offset=offset)
    return [service.to_read(c, calendar=calendar, settings=settings, institution_names=names) for c in rows]


@router.get("/complaints/{contact_id}", response_model=ContactRead)
def get_complaint(contact_id: ContactId, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> ContactRead:
    return read(session, settings, service.get_visible_or_404(session, user=user, contact_id=contact_id))


@router.post("/complaints/{contact_id}/forward", response_model=ContactRead)
def forward(contact_id: ContactId, data: ForwardIn, session: SessionDep, settings: SettingsDep, user: StaffUser) -> ContactRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    return read(session, settings, service.forward(session, settings, contact=contact, actor=user, note=data.note))


@router.post("/complaints/{contact_id}/extensions", status_code=201, response_model=ExtensionRead)
def extend(contact_id: ContactId, data: ExtensionIn, session: SessionDep, settings: SettingsDep,
           user: HandlerUser) -> ExtensionRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    return ExtensionRead(**service.extend(session, settings, contact=contact, data=data, actor=user).model_dump())


@router.get("/complaints/{contact_id}/extensions", response_model=list[ExtensionRead])
def list_extensions(contact_id: ContactId, session: SessionDep, user: HandlerUser) -> list[ExtensionRead]:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id)
    return [ExtensionRead(**e.model_dump()) for e in service.extensions(session, contact)]


@router.post("/complaints/{contact_id}/reply", response_model=ContactRead)
def reply(contact_id: ContactId, data: ReplyIn, session: SessionDep, settings: SettingsDep, user: HandlerUser) -> ContactRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    return read(session, settings, service.reply(session, settings, contact=contact, data=data, actor=user))


@router.get("/complaints/{contact_id}/messages", response_model=list[MessageRead])
def list_messages(contact_id: ContactId, session: SessionDep, user: HandlerUser) -> list[MessageRead]:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id)
    return [MessageRead(id=id_of(m), side=m.side, author=u.display_name, body=m.body, created_at=m.created_at)
            for m, u in service.messages(session, contact)]


@router.post("/complaints/{contact_id}/messages", status_code=201, response_model=MessageRead)
def add_message(contact_id: ContactId, data: MessageIn, session: SessionDep, user: HandlerUser) -> MessageRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    m = service.add_message(session, contact=contact, actor=user, body=data.body)
    return MessageRead(id=id_of(m), side=m.side, author=user.display_name, body=m.body, created_at=m.created_at)


async def request_body(request: Request) -> bytes:
    # Read in the event loop (the app's middleware bounds the size); the endpoint itself is a plain def.
    return await request.body()


@router.post("/complaints/{contact_id}/attachments", status_code=201, response_model=AttachmentRead,
             summary="Attach a PDF, PNG or JPEG (the raw file as the body; ?filename=)")
def upload(contact_id: ContactId, session: SessionDep, settings: SettingsDep, user: HandlerUser,
           data: Annotated[bytes, Depends(request_body)], filename: str | None = Query(None, max_length=200)) -> AttachmentRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    a = attachments.add(session, settings, contact=contact, actor=user, side=service.side_of(user), filename=filename,
                        data=data)
    return AttachmentRead(**a.model_dump(exclude={"data"}))


@router.get("/complaints/{contact_id}/attachments", response_model=list[AttachmentRead])
def list_attachments(contact_id: ContactId, session: SessionDep, user: HandlerUser) -> list[AttachmentRead]:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id)
    return [AttachmentRead(**a.model_dump(exclude={"data"})) for a in attachments.list_for(session, contact)]


@router.get("/complaints/{contact_id}/attachments/{attachment_id}")
def download(contact_id: ContactId, attachment_id: AttachmentId, session: SessionDep, user: HandlerUser) -> Response:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id)
    return attachments.download_response(attachments.get_or_404(session, contact=contact, attachment_id=attachment_id))


@router.post("/complaints/{contact_id}/offer-mediation", response_model=ContactRead)
def offer_mediation(contact_id: ContactId, data: ForwardIn, session: SessionDep, settings: SettingsDep,
                    user: StaffUser) -> ContactRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    return read(session, settings, service.offer_mediation(session, contact=contact, actor=user, note=data.note))


@router.post("/complaints/{contact_id}/convert", status_code=201, response_model=ConversionRead)
def convert(contact_id: ContactId, data: ConvertIn, session: SessionDep, settings: SettingsDep,
            user: StaffUser) -> ConversionRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    case = service.convert_to_case(session, settings, contact=contact, data=data, actor=user)
    return ConversionRead(complaint_id=id_of(contact), case_id=id_of(case), case_number=case.number)


@router.post("/complaints/{contact_id}/withdraw", response_model=ContactRead)
def withdraw(contact_id: ContactId, data: ReasonIn, session: SessionDep, settings: SettingsDep, user: StaffUser) -> ContactRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    return read(session, settings, service.withdraw(session, contact=contact, actor=user, reason=data.reason))


@router.post("/complaints/{contact_id}/close", response_model=ContactRead)
def close(contact_id: ContactId, data: ReasonIn, session: SessionDep, settings: SettingsDep, user: StaffUser) -> ContactRead:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    return read(session, settings, service.close(session, contact=contact, actor=user, reason=data.reason))


@router.post("/consumer-answers/{token}", response_model=ConsumerAnswerRead)
def consumer_answer(token: str, data: ConsumerAnswerIn, session: SessionDep) -> ConsumerAnswerRead:
    contact = service.consumer_answer(session, token=token, accept=data.accept, comment=data.comment)
    return ConsumerAnswerRead.model_validate(contact, from_attributes=True)


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    from ..errors import InvalidInput
    from ..timeutil import today_in_shanghai

    end = end or today_in_shanghai()
    start = start or end - timedelta(days=90)
    if start > end or (end - start).days > 731:
        raise InvalidInput("统计期间无效，最长两年 (the period is invalid; two years at most)",
                           errors=[{"loc": ["start"], "msg": "invalid period"}])
    return start, end


@router.get("/complaint-statistics", response_model=ComplaintStatistics,
            summary="Complaint figures for a period (default: the last 90 days)")
def complaint_statistics(session: SessionDep, user: StaffUser, start: date | None = None,
                         end: date | None = None) -> ComplaintStatistics:
    start, end = _period(start, end)
    report = statistics.build(session, start=start, end=end)
    return ComplaintStatistics(
        start=start, end=end, totals=PeriodTotals.model_validate(report.totals), by_channel=report.by_channel,
        institutions=[InstitutionFigures.model_validate(r, from_attributes=True) for r in report.institutions],
        distribution=report.distribution, steered_outcomes=report.steered_outcomes, risk_by_month=report.risk_by_month)


@router.get("/complaint-reports/{month}.{fmt}", summary="The monthly report (XLSX or CSV, in Chinese)")
def monthly_report(month: str, fmt: str, session: SessionDep, settings: SettingsDep, user: StaffUser) -> Response:
    return statistics.report_file(session, month=month, fmt=fmt, center_name=settings.center_name)


@router.post("/institution-accounts", status_code=201, response_model=InstitutionAccountRead)
def create_institution_account(data: InstitutionAccountIn, session: SessionDep,
                               user: AdminUser) -> InstitutionAccountRead:
    account_user, account = institutions.create_institution_account(session, data=data, actor=actor_of(user))
    return InstitutionAccountRead(user_id=id_of(account_user), username=account_user.username, role=account_user.role,
                                  institution_id=account.institution_id, branch=account.branch)
