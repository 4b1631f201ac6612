"""Writing to the outbox, always in the caller's transaction: a change and its notices commit together."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, case, update
from sqlmodel import Session, col

from ..db import utcnow
from .models import REDACTED_BODY, Channel, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    content: bytes


def encode_attachments(attachments: Sequence[Attachment]) -> str | None:
    if not attachments:
        return None
    return json.dumps([{"filename": a.filename, "content_type": a.content_type,
                        "content_b64": base64.b64encode(a.content).decode("ascii")} for a in attachments],
                      ensure_ascii=False)


def decode_attachments(text: str | None) -> list[Attachment]:
    if not text:
        return []
    return [Attachment(item["filename"], item["content_type"], base64.b64decode(item["content_b64"]))
            for item in json.loads(text)]


def enqueue(session: Session, *, kind: str, channel: Channel, recipient: str, body: str,
            subject: str | None = None, recipient_name: str | None = None, recipient_user_id: int | None = None,
            attachments: Sequence[Attachment] = (), case_id: int | None = None, ref: str | None = None,
            send_at: datetime | None = None, expires_at: datetime | None = None,
            max_attempts: int = 6, confidential: bool = False) -> OutboxMessage:
    """Add one message; it is sent by the dispatcher once the transaction commits and ``send_at`` is due, and
    withdrawn unsent if it is still waiting at ``expires_at``. A ``confidential`` body (a one-time code, a
    signing link) is kept only until the message leaves the queue."""
    message = OutboxMessage(kind=kind, channel=channel, recipient=recipient, recipient_name=recipient_name,
                            recipient_user_id=recipient_user_id, subject=subject, body=body,
                            attachments=encode_attachments(attachments), case_id=case_id, ref=ref,
                            next_attempt_at=send_at or utcnow(), expires_at=expires_at, max_attempts=max_attempts,
                            confidential=confidential)
    session.add(message)
    return message


def cancel_pending(session: Session, *, ref: str, kinds: Iterable[str] | None = None) -> int:
    """Withdraw messages not yet sent about ``ref`` (e.g. reminders for a session that moved)."""
    statement = (update(OutboxMessage)
                 .where(col(OutboxMessage.ref) == ref, col(OutboxMessage.status) == OutboxStatus.PENDING.value)
                 .values(status=OutboxStatus.CANCELLED.value, last_error="superseded",
                         body=case((col(OutboxMessage.confidential), REDACTED_BODY),
                                   else_=col(OutboxMessage.body))))
    if kinds is not None:
        statement = statement.where(col(OutboxMessage.kind).in_(list(kinds)))
    result = session.execute(statement)
    if not isinstance(result, CursorResult):  # Session.execute is typed Result; an UPDATE's is a CursorResult
        raise RuntimeError("an UPDATE did not return a cursor result")
    return result.rowcount or 0
