"""The notification outbox: messages written in the transaction of the change they announce.

A dispatcher sends due rows later (``next_attempt_at``), retrying with exponential backoff; rows that
exhaust their attempts stay ``failed`` and are listed to officers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from ..accounts import models as _accounts  # noqa: F401 - recipient_user_id refers to its table
from ..db import UTCDateTime, utcnow


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # superseded before it was due (a reminder for a session that moved), or expired


REDACTED_BODY = "（已删除：含一次性验证码或签署链接的短信内容在发出后不予保存）"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=60)  # session.scheduled | session.reminder_24h | ...
    channel: Channel = Field(sa_type=sa.String(10))
    recipient: str = Field(max_length=200)  # e-mail address or phone number
    recipient_name: str | None = Field(default=None, max_length=120)
    recipient_user_id: int | None = Field(default=None, foreign_key="users.id")
    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(max_length=20000)
    # The body carries a secret (one-time code, signing link): redacted once the message leaves the queue.
    confidential: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # JSON list of {"filename", "content_type", "content_b64"}
    attachments: str | None = Field(default=None, sa_type=sa.Text)
    case_id: int | None = Field(default=None, index=True)
    ref: str | None = Field(default=None, max_length=80, index=True)  # what it is about, e.g. "session:12"
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=sa.String(12))
    attempts: int = 0
    max_attempts: int = 6
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Not sent by then (a reminder when the session has started): withdrawn instead of arriving late.
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def settle(self, status: "OutboxStatus", *, error: str | None = None) -> None:
        """Take the message out of the queue for good; a confidential body goes with it."""
        self.status, self.last_error = status, error
        if self.confidential:
            self.body = REDACTED_BODY
