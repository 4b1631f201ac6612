"""The dispatcher under faults: it waits out a database outage, gives its leases back on SIGTERM, sends
one-time codes ahead of bulk notices, and names each message the same way on every attempt (issue 16: it
exited for good after 5 s without PostgreSQL, sent an SMS twice when killed, held its batch 5 minutes)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import ThreadingHTTPServer

import pytest
from sqlmodel import select

from mediation_svc.db import make_engine, unit_of_work, utcnow
from mediation_svc.notifications.dispatcher import Transports, dispatch_due, run_loop
from mediation_svc.notifications.email import build_email
from mediation_svc.notifications.models import Channel, OutboxMessage
from mediation_svc.notifications.outbox import enqueue
from mediation_svc.notifications.sms import HttpSmsGateway
from tests.notifications.conftest import GatewayHandler, gateway, sms_gateway_server  # noqa: F401
from tests.scheduling.helpers import fetch

from ..conftest import TEST_PASSPHRASE
from .conftest import free_port, through_proxy


def messages(engine) -> list[OutboxMessage]:
    return fetch(engine, select(OutboxMessage).order_by(OutboxMessage.id))


def queue(engine, count: int, *, confidential: bool = False, kind: str = "session.reminder_1h") -> list[int]:
    with unit_of_work(engine) as session:
        rows = [enqueue(session, kind=kind, channel=Channel.SMS, recipient=f"1390000{i:04d}",
                        body=f"{kind} {i}", confidential=confidential) for i in range(count)]
        session.flush()
        return [m.id for m in rows]


def test_one_time_codes_go_ahead_of_bulk_notices(engine, settings, gateway):  # noqa: F811
    queue(engine, 5)
    (code,) = queue(engine, 1, confidential=True, kind="signing.otp")
    transports = Transports(email=None, sms=HttpSmsGateway(gateway.url, timeout=5))
    report = dispatch_due(engine, settings, transports=transports, now=utcnow() + timedelta(seconds=1),
                          batch_size=1)
    assert report.sent == [code]
    assert gateway.state.requests[0].json["text"].startswith("signing.otp")


def test_every_attempt_carries_the_same_idempotency_key_and_message_id(engine, settings, gateway):  # noqa: F811
    (message_id,) = queue(engine, 1)
    gateway.state.statuses.extend([502])
    transports = Transports(email=None, sms=HttpSmsGateway(gateway.url, timeout=5))
    now = utcnow() + timedelta(seconds=1)
    dispatch_due(engine, settings, transports=transports, now=now)
    dispatch_due(engine, settings, transports=transports, now=now + timedelta(hours=1))
    first, second = gateway.state.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert f"outbox-{message_id}-" in first.headers["Idempotency-Key"]
    (row,) = messages(engine)
    assert row.status == "sent"
    one = build_email(row, sender="noreply@example.org", sender_name="中心")
    again = build_email(row, sender="noreply@example.org", sender_name="中心")
    assert one["Message-ID"] == again["Message-ID"] and one["Message-ID"].startswith(f"<outbox-{message_id}.")


class _Saw(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.event = text, threading.Event()

    def emit(self, record):
        if self.text in record.getMessage():
            self.event.set()


@pytest.mark.postgresql_only
def test_the_dispatcher_waits_out_a_database_outage(engine, settings, db_proxy, gateway):  # noqa: F811
    proxied = make_engine(through_proxy(settings, db_proxy))
    transports = Transports(email=None, sms=HttpSmsGateway(gateway.url, timeout=5))
    stop, failures = threading.Event(), []
    saw_outage = _Saw("the dispatcher retries")
    logging.getLogger("mediation_svc.notifications").addHandler(saw_outage)

    def loop():
        try:
            run_loop(proxied, settings, transports=transports, interval_seconds=0.2, stop=stop)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            failures.append(exc)

    thread = threading.Thread(target=loop, daemon=True)
    try:
        db_proxy.stop()
        thread.start()
        assert saw_outage.event.wait(60), "the dispatcher should have met the outage"
        (message_id,) = queue(engine, 1, confidential=True, kind="signing.otp")  # written while it is away
        time.sleep(1)  # a few more failed rounds, each a reason the old dispatcher would have exited for
        assert thread.is_alive() and not failures
        db_proxy.start()
        for _ in range(600):
            if messages(engine)[0].status == "sent":
                break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(30)
        logging.getLogger("mediation_svc.notifications").removeHandler(saw_outage)
        proxied.dispose()
    assert not failures and not thread.is_alive()
    assert messages(engine)[0].status == "sent"
    assert [r.json["text"] for r in gateway.state.requests] == ["signing.otp 0"]


class SlowGateway(GatewayHandler):
    def do_POST(self):  # noqa: N802
        self.server.state.arrived.set()
        time.sleep(1.5)
        super().do_POST()


def test_sigterm_mid_batch_finishes_one_message_and_gives_the_rest_back(engine, settings, keys_dir, tmp_path):
    from types import SimpleNamespace

    ids = queue(engine, 6)
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), SlowGateway)
    server.state = SimpleNamespace(requests=[], statuses=[], arrived=threading.Event())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "MEDIATION_DATABASE_URL": settings.database_url, "MEDIATION_KEY_DIR": str(keys_dir),
           "MEDIATION_KEY_PASSPHRASE": TEST_PASSPHRASE, "MEDIATION_SMS_GATEWAY": "http",
           "MEDIATION_SMS_GATEWAY_URL": f"http://127.0.0.1:{server.server_address[1]}/sms", "MEDIATION_LOG_JSON": "false"}
    command = os.path.join(os.path.dirname(sys.executable), "mediation-svc")
    process = subprocess.Popen([command, "notifications", "dispatch", "--loop",
                                "--interval", "0.5"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        assert server.state.arrived.wait(120), "the dispatcher never sent anything"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        server.shutdown()
        server.server_close()
    assert process.returncode == 0, output
    rows = {m.id: m for m in messages(engine)}
    sent = [i for i in ids if rows[i].status == "sent"]
    assert len(sent) == 1 and len(server.state.requests) == 1  # the one in hand was finished, nothing twice
    rest = [rows[i] for i in ids if i not in sent]
    assert all(m.status == "pending" and m.attempts == 0 and m.next_attempt_at <= utcnow() for m in rest)
