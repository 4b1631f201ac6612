"""The dispatcher: sends due outbox messages, retrying failures with exponential backoff.

Each round claims a batch in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
dispatchers share the work; SQLite serialises writers anyway) by pushing ``next_attempt_at`` a lease into
the future and counting the attempt; confidential messages (one-time codes, signing links) come first, ahead
of bulk notices. Sending happens outside any transaction; the result is written in a second one. The lease
is short and renewed while the batch is being sent; on SIGTERM the dispatcher finishes the message in hand
and gives the rest of its batch back at once. A dispatcher killed mid-send leaves at most one lease to
expire; the message is then tried again with the same ``Idempotency-Key`` (SMS) or ``Message-ID`` (e-mail),
so the gateway can drop the duplicate. A database outage never stops the loop: it waits with backoff and
carries on where it was.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ..audit.chain import record
from ..config import Settings
from ..db import id_of, is_postgresql, transient_failure, unit_of_work, utcnow
from .email import EmailTransport, mailer_from_settings
from .models import Channel, OutboxMessage, OutboxStatus
from .sms import SmsGateway, gateway_from_settings

log = logging.getLogger("mediation_svc.notifications")

ACTOR = "system:notifications"
LEASE = timedelta(seconds=60)
RENEW_AFTER = 20.0  # seconds of sending after which the rest of the batch's lease is renewed


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
             .where(col(OutboxMessage.status) == OutboxStatus.PENDING.value,
                    col(OutboxMessage.next_attempt_at) <= now)
             .order_by(col(OutboxMessage.confidential).desc(), col(OutboxMessage.next_attempt_at),
                       col(OutboxMessage.id))
             .limit(limit))
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    messages = []
    for message in session.exec(query).all():
        if message.expires_at is not None and message.expires_at <= now:
            message.settle(OutboxStatus.CANCELLED, error="expired before it could be sent")
            session.add(message)
            if expired is not None:
                expired.append(id_of(message))
            continue
        messages.append(message)
    for message in messages:
        message.attempts += 1
        message.next_attempt_at = now + LEASE
        session.add(message)
    session.flush()
    return messages


def idempotency_key(message: OutboxMessage) -> str:
    """The same on every attempt at this message."""
    return f"mediation-outbox-{message.id}-{int(message.created_at.timestamp())}"


def deliver(message: OutboxMessage, transports: Transports) -> None:
    if message.channel == Channel.EMAIL:
        transports.email.send(message)
    elif message.channel == Channel.SMS:
        transports.sms.send(phone=message.recipient, text=message.body, idempotency_key=idempotency_key(message))
    else:  # pragma: no cover - the column only holds the two channels
        raise ValueError(f"unknown channel {message.channel}")


def dispatch_due(engine: Engine, settings: Settings, *, transports: Transports, now: datetime | None = None,
                 batch_size: int = 50, stop: threading.Event | None = None) -> DispatchReport:
    """One round: send every message due at ``now`` (at most ``batch_size``); when ``stop`` is set, finish
    the message in hand and release the others."""
    now = now or utcnow()
    report = DispatchReport()
    with unit_of_work(engine) as session:
        claimed = claim_due(session, now=now, limit=batch_size, expired=report.expired)
    started = renewed = time.monotonic()
    for position, message in enumerate(claimed):
        rest = [m.id for m in claimed[position:]]
        if stop is not None and stop.is_set():
            _with_database(lambda rest=rest: _release(engine, rest), stop=None)
            log.info("dispatcher stopping: gave back %d leased message(s)", len(rest))
            break
        if time.monotonic() - renewed > RENEW_AFTER:
            elapsed = timedelta(seconds=time.monotonic() - started)
            _with_database(lambda rest=rest, until=now + elapsed + LEASE: _renew(engine, rest, until=until), stop=stop)
            renewed = time.monotonic()
        try:
            deliver(message, transports)
            error = None
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried, and recorded
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("notification %s (%s) failed on attempt %s: %s", message.id, message.kind,
                        message.attempts, error)

        def store(message_id=message.id, error=error):
            with unit_of_work(engine) as session:
                _store_result(session, settings, message_id=message_id, error=error, report=report, now=now)

        # Sent but not yet recorded: keep trying to record it (a lost result would send it again).
        _with_database(store, stop=None)
    return report


def _renew(engine: Engine, ids: list[int], *, until: datetime) -> None:
    with unit_of_work(engine) as session:
        session.execute(sa.update(OutboxMessage)
                        .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == OutboxStatus.PENDING.value)
                        .values(next_attempt_at=until))


def _release(engine: Engine, ids: list[int]) -> None:
    """Give leased messages back: due now, the attempt not counted (it was never made)."""
    with unit_of_work(engine) as session:
        session.execute(sa.update(OutboxMessage)
                        .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == OutboxStatus.PENDING.value)
                        .values(next_attempt_at=utcnow(), attempts=col(OutboxMessage.attempts) - 1))


def _with_database(work, *, stop: threading.Event | None, max_delay: float = 30.0):
    """Run ``work``; while the database is away (a transient failure), wait with backoff and try again."""
    delay = 0.5
    while True:
        try:
            return work()
        except (sa.exc.DBAPIError, sa.exc.TimeoutError) as exc:
            if transient_failure(exc) is None:
                raise
            log.warning("database %s; the dispatcher retries in %.1f s: %s", transient_failure(exc), delay,
                        str(exc).splitlines()[0][:200])
            if stop is not None and stop.wait(delay):
                return None
            if stop is None:
                time.sleep(delay)
            delay = min(max_delay, delay * 2)


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
        report.sent.append(message_id)
        record(session, actor=ACTOR, action="notification.sent", subject=f"notification:{message.id}",
               case_id=message.case_id, payload=payload)
    elif message.attempts >= message.max_attempts:
        message.settle(OutboxStatus.FAILED, error=error)
        report.failed.append(message_id)
        record(session, actor=ACTOR, action="notification.failed", subject=f"notification:{message.id}",
               case_id=message.case_id, payload={**payload, "error": error})
    else:
        message.last_error = error
        message.next_attempt_at = now + backoff(message.attempts, base_seconds=settings.notification_backoff_seconds,
                                                     max_seconds=settings.notification_backoff_max_seconds)
        report.retrying.append(message_id)
    session.add(message)
    session.flush()


def run_loop(engine: Engine, settings: Settings, *, transports: Transports, interval_seconds: float = 10.0,
             rounds: int | None = None, stop: threading.Event | None = None, batch_size: int = 50) -> None:
    """Dispatch until ``stop`` is set (or for ``rounds`` rounds), sleeping between rounds that found nothing
    to send; a database outage is waited out, never the end of the loop."""
    stop = stop or threading.Event()
    done = 0
    while (rounds is None or done < rounds) and not stop.is_set():
        report = _with_database(lambda: dispatch_due(engine, settings, transports=transports, stop=stop,
                                                     batch_size=batch_size), stop=stop)
        done += 1
        if report is not None and (report.sent or report.retrying or report.failed):
            log.info("dispatch round: %s", report.as_dict())
        else:
            stop.wait(interval_seconds)
