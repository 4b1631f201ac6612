"""The staff side of a case's thread with the consumer: GET/POST /api/v1/cases/{case_id}/messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from ..db import id_of
from ..deps import CurrentUser, SessionDep, SettingsDep
from ..errors import NotFound
from . import messages
from .models import CaseMessage
from .service import get_visible_case_or_404

router = APIRouter(prefix="/api/v1", tags=["cases"])
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=messages.MAX_LENGTH)


class CaseMessageRead(BaseModel):
    id: int
    side: str
    author: str
    text: str
    at: datetime


def to_read(message: CaseMessage) -> CaseMessageRead:
    """The consumer's side is named by its masked phone (as the author reference holds it), never the number."""
    return CaseMessageRead(id=id_of(message), side=message.side, author=message.author, text=message.body,
                           at=message.created_at)


def _case_for(session, user, case_id: int):
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    if not messages.may_talk(role=user.role, is_case_mediator=case.mediator_user_id == user.id):
        raise NotFound(f"case {case_id} not found")
    return case


@router.get("/cases/{case_id}/messages", response_model=list[CaseMessageRead])
def list_messages(case_id: CaseId, session: SessionDep, user: CurrentUser) -> list[CaseMessageRead]:
    return [to_read(m) for m in messages.thread(session, case=_case_for(session, user, case_id))]


@router.post("/cases/{case_id}/messages", response_model=CaseMessageRead, status_code=201)
def reply(case_id: CaseId, data: MessageIn, session: SessionDep, settings: SettingsDep,
          user: CurrentUser) -> CaseMessageRead:
    case = _case_for(session, user, case_id)
    return to_read(messages.from_center(session, settings, case=case, user=user, text=data.text))
