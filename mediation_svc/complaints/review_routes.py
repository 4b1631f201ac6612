"""The officer's check of a consumer's own application: POST /api/v1/complaints/{id}/review."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, model_validator

from ..deps import SessionDep, SettingsDep, StaffUser
from ..errors import InvalidInput
from . import review, service
from .routes import read
from .schemas import ContactRead

router = APIRouter(prefix="/api/v1", tags=["complaints"])
ContactId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ReviewIn(BaseModel):
    decision: Literal["accept", "ask", "reject"]
    text: str | None = Field(default=None, max_length=1000)  # the question (ask) or the reason (reject)
    category_code: str | None = Field(default=None, max_length=40)  # for a mediation case, if the consumer gave none

    @model_validator(mode="after")
    def _text_when_needed(self) -> ReviewIn:
        if self.decision in ("ask", "reject") and not (self.text or "").strip():
            raise ValueError("请写明需要补充的内容或不予受理的原因 (say what is missing, or why it is declined)")
        return self


class ReviewOut(BaseModel):
    complaint: ContactRead
    case_id: int | None = None
    case_number: str | None = None


@router.post("/complaints/{contact_id}/review", response_model=ReviewOut)
def review_application(contact_id: ContactId, data: ReviewIn, session: SessionDep, settings: SettingsDep,
                       user: StaffUser) -> ReviewOut:
    contact = service.get_visible_or_404(session, user=user, contact_id=contact_id, for_update=True)
    text = (data.text or "").strip()
    if data.decision == "accept":
        case = review.accept(session, settings, contact=contact, actor=user, category_code=data.category_code)
        return ReviewOut(complaint=read(session, settings, contact), case_id=case.id if case else None,
                         case_number=case.number if case else None)
    if data.decision == "ask":
        review.ask_for_more(session, settings, contact=contact, actor=user, question=text)
    elif data.decision == "reject":
        review.reject(session, settings, contact=contact, actor=user, reason=text)
    else:  # pragma: no cover - Literal above
        raise InvalidInput("unknown decision")
    return ReviewOut(complaint=read(session, settings, contact))
