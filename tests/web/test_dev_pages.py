"""Development set-up: /dev/outbox lists what was sent, with its links; off outside development; the public
base URL follows PORT unless it is set."""

from __future__ import annotations

import pytest

from mediation_svc.config import Settings
from mediation_svc.db import unit_of_work
from mediation_svc.notifications.dispatcher import Transports, dispatch_due
from mediation_svc.notifications.email import mailer_from_settings
from mediation_svc.notifications.models import Channel
from mediation_svc.notifications.outbox import enqueue
from mediation_svc.notifications.sms import gateway_from_settings


@pytest.fixture
def settings(settings, tmp_path):
    return settings.model_copy(update={"environment": "development", "sms_gateway": "log", "mail_transport": "log",
                                       "dev_outbox_path": tmp_path / "dev-outbox.jsonl"})


def test_the_development_outbox_shows_each_message_with_its_link_and_code(client, engine, settings):
    link = "http://testserver/sign/AbCdEf123"
    with unit_of_work(engine) as session:
        enqueue(session, kind="signing.link", channel=Channel.SMS, recipient="13800138000", confidential=True,
                body=f"【调解中心】请点击 {link} 签署调解协议书，验证码 482913。")
        enqueue(session, kind="session.notice", channel=Channel.EMAIL, recipient="wu@bank.example",
                subject="调解会议通知（第0001号）", body="附件为调解通知书。")
    transports = Transports(email=mailer_from_settings(settings), sms=gateway_from_settings(settings))
    assert len(dispatch_due(engine, settings, transports=transports).sent) == 2
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert f'<a href="{link}" class="dev-link"' in page.text and '<code class="dev-code">482913</code>' in page.text
    assert "wu@bank.example" in page.text and "调解会议通知（第0001号）" in page.text
    assert page.text.index("wu@bank.example") < page.text.index("13800138000")  # newest first


def test_the_development_outbox_is_off_unless_the_settings_say_development(engine, settings):
    from fastapi.testclient import TestClient

    from mediation_svc.app import create_app

    production = settings.model_copy(update={"environment": "production"})
    with TestClient(create_app(production, engine)) as c:
        page = c.get("/dev/outbox")
        assert page.status_code == 404 and "页面不存在" in page.text


def test_the_public_base_url_follows_port_unless_set(monkeypatch):
    monkeypatch.setenv("PORT", "8105")
    monkeypatch.delenv("MEDIATION_PUBLIC_BASE_URL", raising=False)
    assert Settings(_env_file=None).public_base_url == "http://127.0.0.1:8105"
    monkeypatch.setenv("MEDIATION_PUBLIC_BASE_URL", "https://mediation.example.org")
    assert Settings(_env_file=None).public_base_url == "https://mediation.example.org"
    monkeypatch.delenv("PORT")
    monkeypatch.delenv("MEDIATION_PUBLIC_BASE_URL")
    assert Settings(_env_file=None).public_base_url == "http://127.0.0.1:8000"


def test_without_a_set_path_the_development_outbox_lies_beside_the_sqlite_database(tmp_path):
    from mediation_svc.notifications.devbox import path_for

    settings = Settings(database_url=f"sqlite:///{tmp_path}/demo.db", dev_outbox_path=None)
    assert path_for(settings) == tmp_path / "dev-outbox.jsonl"
