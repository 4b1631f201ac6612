"""``mediation-svc notifications dispatch`` and ``failed`` against the test database and a real SMTP server."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mediation_svc.cli import app
from mediation_svc.config import get_settings
from mediation_svc.db import unit_of_work
from mediation_svc.notifications.models import Channel
from mediation_svc.notifications.outbox import enqueue

from .conftest import free_port

runner = CliRunner()


def test_dispatch_and_failed_commands(engine, settings, smtp_server, mailbox, monkeypatch):
    with unit_of_work(engine) as session:
        enqueue(session, kind="session.scheduled", channel=Channel.EMAIL, recipient="chen@example.com",
                subject="调解会议通知", body="您好！")
        enqueue(session, kind="session.scheduled", channel=Channel.SMS, recipient="13800138000", body="您好！")
    monkeypatch.setenv("MEDIATION_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEDIATION_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("MEDIATION_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("MEDIATION_NOTIFICATION_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["notifications", "dispatch"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output.strip().splitlines()[-1]) == {"sent": 2, "retrying": 0, "failed": 0,
                                                                      "expired": 0}
        assert [m.rcpt_tos for m in mailbox.messages] == [["chen@example.com"]]

        with unit_of_work(engine) as session:
            enqueue(session, kind="session.reminder_1h", channel=Channel.EMAIL, recipient="li@example.com",
                    body="提醒", max_attempts=1)
        monkeypatch.setenv("MEDIATION_SMTP_PORT", str(free_port()))  # the mail server is gone
        get_settings.cache_clear()
        result = runner.invoke(app, ["notifications", "dispatch"])
        assert json.loads(result.output.strip().splitlines()[-1])["failed"] == 1
        listed = runner.invoke(app, ["notifications", "failed"])
        assert listed.exit_code == 0 and "li@example.com" in listed.output and "session.reminder_1h" in listed.output
    finally:
        get_settings.cache_clear()
