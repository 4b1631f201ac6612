"""Officers' view of the outbox: what failed, and sending it again."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..audit.chain import record
from ..db import utcnow
from ..errors import Conflict, NotFound
from .models import OutboxMessage, OutboxStatus


def list_messages(session: Session, *, status: OutboxStatus | None = None, case_id: int | None = None,
                  ref: str | None = None, limit: int = 100, offset: int = 0) -> list[OutboxMessage]:
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status.value)
    if case_id is not None:
        query = query.where(OutboxMessage.case_id == case_id)
    if ref is not None:
        query = query.where(OutboxMessage.ref == ref)
    return list(session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(limit).offset(offset)).all())


def retry_message(session: Session, *, message_id: int, actor: str, recipient: str | None = None) -> OutboxMessage:
    """Put a failed message back in the queue, now, with fresh attempts (optionally to a corrected address)."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"notification {message_id} not found")
    if message.status != OutboxStatus.FAILED:
        raise Conflict(f"only failed notifications can be retried (this one is '{message.status}')")
    previous = message.recipient
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    if recipient:
        message.recipient = recipient.strip()
    session.add(message)
    session.flush()
    record(session, actor=actor, action="notification.retried", subject=f"notification:{message.id}",
           case_id=message.case_id, payload={"outbox_id": message.id, "recipient_changed": previous != message.recipient})
    return message
