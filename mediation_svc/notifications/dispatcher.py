"""The dispatcher: sends due outbox messages, retrying failures with exponential backoff.

Each round claims a batch in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
dispatchers share the work; SQLite serialises writers anyway) by pushing ``next_attempt_at`` a lease into
the future and counting the attempt. Sending happens outside any transaction; the result is written in a
second one. A dispatcher that dies mid-send leaves the lease to expire and the message is tried again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..audit.chain import record
from ..config import Settings
from ..db import is_postgresql, unit_of_work, utcnow
from .email import EmailTransport, mailer_from_settings
from .models import Channel, OutboxMessage, OutboxStatus
from .sms import SmsGateway, gateway_from_settings

log = logging.getLogger("mediation_svc.notifications")

ACTOR = "system:notifications"
LEASE = timedelta(minutes=5)


@dataclass
class Transports:
    email: EmailTransport
    sms: SmsGateway

    @classmethod
    def from_settings(cls, settings: Settings) -> "Transports":
        return cls(email=mailer_from_settings(settings), sms=gateway_from_settings(settings))


@dataclass
class DispatchReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": len(self.sent), "retrying": len(self.retrying), "failed": len(self.failed),
                "expired": len(self.expired)}


def backoff(attempts: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: base, 2 x base, 4 x base ... capped."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def claim_due(session: Session, *, now: datetime, limit: int,
              expired: list[int] | None = None) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages; due ones past their ``expires_at`` are withdrawn (ids to ``expired``)."""
    query = (select(OutboxMessage)
             .where(OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    messages = []
    for message in session.exec(query).all():
        if message.expires_at is not None and message.expires_at <= now:
            message.settle(OutboxStatus.CANCELLED, error="expired before it could be sent")
            session.add(message)
            if expired is not None:
                expired.append(message.id)
            continue
        messages.append(message)
    for message in messages:
        message.attempts += 1
        message.next_attempt_at = now + LEASE
        session.add(message)
    session.flush()
    return messages


def deliver(message: OutboxMessage, transports: Transports) -> None:
    if message.channel == Channel.EMAIL:
        transports.email.send(message)
    elif message.channel == Channel.SMS:
        transports.sms.send(phone=message.recipient, text=message.body)
    else:  # pragma: no cover - the column only holds the two channels
        raise ValueError(f"unknown channel {message.channel}")


def dispatch_due(engine: Engine, settings: Settings, *, transports: Transports, now: datetime | None = None,
                 batch_size: int = 50) -> DispatchReport:
    """One round: send every message due at ``now`` (at most ``batch_size``)."""
    now = now or utcnow()
    report = DispatchReport()
    with unit_of_work(engine) as session:
        claimed = claim_due(session, now=now, limit=batch_size, expired=report.expired)
    for message in claimed:
        try:
            deliver(message, transports)
            error = None
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried, and recorded
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("notification %s (%s) failed on attempt %s: %s", message.id, message.kind,
                        message.attempts, error)
        with unit_of_work(engine) as session:
            _store_result(session, settings, message_id=message.id, error=error, report=report, now=now)
    return report


def _store_result(session: Session, settings: Settings, *, message_id: int, error: str | None,
                  report: DispatchReport, now: datetime) -> None:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != OutboxStatus.PENDING:
        return  # cancelled while it was being sent: the send happened, nothing to record
    payload = {"outbox_id": message.id, "kind": message.kind, "channel": message.channel,
               "attempts": message.attempts, "ref": message.ref}
    if error is None:
        message.settle(OutboxStatus.SENT)
        message.sent_at = utcnow()
        report.sent.append(message.id)
        record(session, actor=ACTOR, action="notification.sent", subject=f"notification:{message.id}",
               case_id=message.case_id, payload=payload)
    elif message.attempts >= message.max_attempts:
        message.settle(OutboxStatus.FAILED, error=error)
        report.failed.append(message.id)
        record(session, actor=ACTOR, action="notification.failed", subject=f"notification:{message.id}",
               case_id=message.case_id, payload={**payload, "error": error})
    else:
        message.last_error = error
        message.next_attempt_at = now + backoff(message.attempts, base_seconds=settings.notification_backoff_seconds,
                                                     max_seconds=settings.notification_backoff_max_seconds)
        report.retrying.append(message.id)
    session.add(message)
    session.flush()


def run_loop(engine: Engine, settings: Settings, *, transports: Transports, interval_seconds: float = 10.0,
             rounds: int | None = None) -> None:
    """Dispatch forever (or for ``rounds`` rounds), sleeping between rounds that found nothing to send."""
    done = 0
    while rounds is None or done < rounds:
        report = dispatch_due(engine, settings, transports=transports)
        done += 1
        if report.sent or report.retrying or report.failed:
            log.info("dispatch round: %s", report.as_dict())
        else:
            time.sleep(interval_seconds)
