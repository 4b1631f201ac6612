"""One-time codes and signing links are stored hashed where they are checked; the outbox must not keep
them in clear once the text message has left the queue."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.notifications.dispatcher import Transports, dispatch_due
from mediation_svc.notifications.models import REDACTED_BODY, Channel, OutboxMessage, OutboxStatus
from mediation_svc.notifications.outbox import cancel_pending, enqueue
from mediation_svc.notifications.sms import LogSmsGateway
from tests.scheduling.helpers import fetch



def _enqueue(engine, *, body: str, confidential: bool, ref: str, expires_in: timedelta | None = None) -> int:
    with unit_of_work(engine) as session:
        message = enqueue(session, kind="signing.otp", channel=Channel.SMS, recipient="13800138000", body=body,
                          ref=ref, confidential=confidential,
                          expires_at=utcnow() + expires_in if expires_in is not None else None)
        session.flush()
        return message.id


def _body(engine, message_id: int) -> tuple[str, str]:
    message = fetch(engine, select(OutboxMessage).where(OutboxMessage.id == message_id))[0]
    return message.status, message.body



def test_a_sent_code_is_delivered_in_full_then_redacted(engine, settings):
    secret = _enqueue(engine, body="签署验证码 493817，5分钟内有效。", confidential=True, ref="p:1")
    plain = _enqueue(engine, body="调解会议通知：明天 09:30", confidential=False, ref="s:1")
    assert _body(engine, secret)[1].endswith("493817，5分钟内有效。")  # readable until it is sent
    sms = LogSmsGateway()
    report = dispatch_due(engine, settings, transports=Transports(email=None, sms=sms))
    assert sorted(report.sent) == sorted([secret, plain])
    assert ("13800138000", "签署验证码 493817，5分钟内有效。") in sms.sent
    assert _body(engine, secret) == (OutboxStatus.SENT, REDACTED_BODY)
    assert _body(engine, plain) == (OutboxStatus.SENT, "调解会议通知：明天 09:30")


def test_an_expired_or_withdrawn_code_is_redacted_unsent(engine, settings):
    expired = _enqueue(engine, body="签署验证码 111111", confidential=True, ref="p:2", expires_in=timedelta(minutes=5))
    withdrawn = _enqueue(engine, body="签署验证码 222222", confidential=True, ref="p:3")
    with unit_of_work(engine) as session:
        assert cancel_pending(session, ref="p:3") == 1
    sms = LogSmsGateway()
    report = dispatch_due(engine, settings, transports=Transports(email=None, sms=sms),
                          now=utcnow() + timedelta(minutes=6))
    assert report.expired == [expired] and sms.sent == []
    assert _body(engine, expired) == (OutboxStatus.CANCELLED, REDACTED_BODY)
    assert _body(engine, withdrawn) == (OutboxStatus.CANCELLED, REDACTED_BODY)
