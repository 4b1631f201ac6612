from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ..deps import SessionDep, StaffUser, actor_of
from . import service
from .models import Channel, OutboxMessage, OutboxStatus

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


class NotificationRead(BaseModel):
    id: int
    kind: str
    channel: Channel
    recipient: str
    recipient_name: str | None
    subject: str | None
    case_id: int | None
    ref: str | None
    status: OutboxStatus
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class RetryIn(BaseModel):
    recipient: str | None = Field(default=None, max_length=200)


@router.get("", response_model=list[NotificationRead])
def list_notifications(session: SessionDep, user: StaffUser, status: OutboxStatus | None = None,
                       case_id: int | None = None, ref: str | None = None,
                       limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)) -> list[OutboxMessage]:
    """The outbox for officers; ``?status=failed`` lists deliveries that gave up."""
    return service.list_messages(session, status=status, case_id=case_id, ref=ref, limit=limit, offset=offset)


@router.post("/{message_id}/retry", response_model=NotificationRead)
def retry(message_id: int, session: SessionDep, user: StaffUser, data: RetryIn | None = None) -> OutboxMessage:
    return service.retry_message(session, message_id=message_id, actor=actor_of(user),
                                 recipient=data.recipient if data else None)
