"""The dispatcher: retries with exponential backoff, failures shown to officers, reminders sent exactly once
at 24 h and 1 h before a session, all driven by explicit "now" values (no sleeping)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.notifications.dispatcher import Transports, backoff, dispatch_due
from mediation_svc.notifications.email import SmtpMailer
from mediation_svc.notifications.models import Channel, OutboxMessage
from mediation_svc.notifications.outbox import enqueue
from mediation_svc.notifications.sms import LogSmsGateway
from tests.scheduling.helpers import at, fetch, iso, workday_ahead

from .conftest import free_port


def mailer(port, settings) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, sender=settings.mail_from, sender_name=settings.center_name,
                      timeout=5)


def row(engine, message_id) -> OutboxMessage:
    return fetch(engine, select(OutboxMessage).where(OutboxMessage.id == message_id))[0]


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, base_seconds=60, max_seconds=600).total_seconds() for n in range(1, 7)] == \
        [60, 120, 240, 480, 600, 600]


def test_retries_with_backoff_then_fails_and_officers_see_it(client, auth, engine, settings, make_user,
                                                            smtp_server, mailbox):
    with unit_of_work(engine) as session:
        message = enqueue(session, kind="session.scheduled", channel=Channel.EMAIL, recipient="chen@example.com",
                          recipient_name="陈秀兰", subject="调解会议通知", body="您好！", max_attempts=3)
        session.flush()
        message_id = message.id
    dead = Transports(email=mailer(free_port(), settings), sms=LogSmsGateway())  # nobody listens there
    t0 = utcnow() + timedelta(seconds=1)

    first = dispatch_due(engine, settings, transports=dead, now=t0)
    assert first.retrying == [message_id]
    stored = row(engine, message_id)
    assert stored.status == "pending" and stored.attempts == 1 and "Connection" in stored.last_error
    assert stored.next_attempt_at == t0 + timedelta(seconds=60)
    assert dispatch_due(engine, settings, transports=dead, now=t0 + timedelta(seconds=59)).as_dict()["retrying"] == 0

    dispatch_due(engine, settings, transports=dead, now=t0 + timedelta(seconds=60))
    assert row(engine, message_id).next_attempt_at == t0 + timedelta(seconds=60 + 120)
    last = dispatch_due(engine, settings, transports=dead, now=t0 + timedelta(seconds=180))
    assert last.failed == [message_id]
    assert row(engine, message_id).status == "failed" and row(engine, message_id).attempts == 3

    officer = make_user("case_officer")
    listed = client.get("/api/v1/notifications", params={"status": "failed"}, headers=auth(officer))
    assert listed.status_code == 200
    assert [(m["id"], m["attempts"]) for m in listed.json()] == [(message_id, 3)]
    assert "Connection" in listed.json()[0]["last_error"]
    assert client.get("/api/v1/notifications", headers=auth(make_user("party"))).status_code == 403

    # The officer corrects the address and sends it again; this time the server is there.
    retried = client.post(f"/api/v1/notifications/{message_id}/retry", json={"recipient": "xiulan@example.com"},
                          headers=auth(officer))
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    live = Transports(email=mailer(smtp_server.port, settings), sms=LogSmsGateway())
    assert dispatch_due(engine, settings, transports=live).sent == [message_id]
    assert [m.rcpt_tos for m in mailbox.messages] == [["xiulan@example.com"]]
    again = client.post(f"/api/v1/notifications/{message_id}/retry", headers=auth(officer))
    assert again.status_code == 409


def test_outbox_rows_live_and_die_with_their_transaction(engine):
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as session:
            enqueue(session, kind="session.scheduled", channel=Channel.SMS, recipient="13800138000", body="x")
            session.flush()
            raise RuntimeError("the change failed")
    assert fetch(engine, select(OutboxMessage)) == []


def _kinds(report_ids, engine):
    return sorted(row(engine, i).kind + ":" + row(engine, i).channel for i in report_ids)


def test_reminders_24h_and_1h_before_are_sent_exactly_once(client, auth, world, engine, settings):
    day = workday_ahead()
    r = client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                    json={"mode": "remote", "starts_at": iso(day, 10), "duration_minutes": 60})
    assert r.status_code == 201, r.text
    start = at(day, 10)
    sms = LogSmsGateway()
    # The mediator has e-mail and phone; the applicant a phone (the respondent neither).
    transports = Transports(email=_RecordingMailer(), sms=sms)

    notices = dispatch_due(engine, settings, transports=transports, now=start - timedelta(hours=25))
    assert _kinds(notices.sent, engine) == ["session.scheduled:email", "session.scheduled:sms",
                                            "session.scheduled:sms"]
    day_before = dispatch_due(engine, settings, transports=transports, now=start - timedelta(hours=24))
    assert _kinds(day_before.sent, engine) == ["session.reminder_24h:email", "session.reminder_24h:sms",
                                               "session.reminder_24h:sms"]
    assert dispatch_due(engine, settings, transports=transports, now=start - timedelta(hours=2)).sent == []
    hour_before = dispatch_due(engine, settings, transports=transports, now=start - timedelta(hours=1))
    assert _kinds(hour_before.sent, engine) == ["session.reminder_1h:email", "session.reminder_1h:sms",
                                                "session.reminder_1h:sms"]
    assert dispatch_due(engine, settings, transports=transports, now=start + timedelta(minutes=5)).sent == []
    reminders = [text for _, text in sms.sent if "提醒" in text]
    assert len(reminders) == 4 and sum("明天" in t for t in reminders) == 2
    assert sum("1小时后" in t for t in reminders) == 2
    assert all(f"{day.month}月{day.day}日 10:00" in t or f"{day:%m}月{day:%d}日 10:00" in t for t in reminders)
    assert [m.subject for m in transports.email.sent].count(f"调解会议提醒（{world.case.number}）") == 2


def test_a_reminder_not_sent_before_the_session_expires(client, auth, world, engine, settings):
    day = workday_ahead()
    client.post(f"/api/v1/cases/{world.case.id}/sessions", headers=auth(world.officer),
                json={"mode": "remote", "starts_at": iso(day, 10), "duration_minutes": 60})
    transports = Transports(email=_RecordingMailer(), sms=LogSmsGateway())
    # The dispatcher was down until the session had started: the notices still go, the reminders do not.
    late = dispatch_due(engine, settings, transports=transports, now=at(day, 10, 5))
    assert len(late.sent) == 3 and len(late.expired) == 6
    assert {row(engine, i).status for i in late.expired} == {"cancelled"}
    assert all(m.kind == "session.scheduled" for m in transports.email.sent)


class _RecordingMailer:
    """An e-mail transport for tests that are about timing, not SMTP (the SMTP path has its own tests)."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)


def test_two_dispatchers_at_once_send_each_message_once(engine, settings):
    """Two dispatcher processes (threads on separate connections, released together) share the queue: each
    claims a batch in its own transaction (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    import threading

    with unit_of_work(engine) as session:
        for i in range(30):
            enqueue(session, kind="session.reminder_1h", channel=Channel.SMS, recipient=f"1380013{i:04d}",
                    body=f"提醒 {i}")
    now = utcnow() + timedelta(seconds=1)
    sent: list[str] = []
    lock = threading.Lock()

    class Gateway:
        def send(self, *, phone: str, text: str, idempotency_key: str | None = None) -> None:
            with lock:
                sent.append(phone)

    barrier = threading.Barrier(2)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(dispatch_due(engine, settings, transports=Transports(email=None, sms=Gateway()), now=now,
                                    batch_size=20))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reports) == 2
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 30  # nobody twice, nobody forgotten
    assert sorted(i for r in reports for i in r.sent) == sorted(m.id for m in fetch(engine, select(OutboxMessage)))
