"""SMS through the pluggable gateway: the HTTP gateway against a real local HTTP server, the log in development."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from mediation_svc.config import Settings
from mediation_svc.db import unit_of_work, utcnow
from mediation_svc.errors import InvalidInput
from mediation_svc.notifications.dispatcher import Transports, dispatch_due
from mediation_svc.notifications.models import Channel, OutboxMessage
from mediation_svc.notifications.outbox import enqueue
from mediation_svc.notifications.sms import HttpSmsGateway, LogSmsGateway, gateway_from_settings
from tests.scheduling.helpers import fetch

TEXT = "【广东正和银行保险消费纠纷调解中心】陈秀兰您好，调解会议定于12月1日09:30，链接：https://meet.example.org/x"


def test_http_gateway_posts_json_with_the_token(gateway):
    HttpSmsGateway(gateway.url, token="s3cret").send(phone="13800138000", text=TEXT)
    (request,) = gateway.state.requests
    assert request.path == "/sms/send"
    assert request.json == {"to": "13800138000", "text": TEXT}  # Chinese text arrives intact (UTF-8 JSON)
    assert request.headers["Authorization"] == "Bearer s3cret"


def test_a_gateway_error_is_retried_by_the_dispatcher(gateway, engine, settings):
    with unit_of_work(engine) as session:
        message = enqueue(session, kind="session.reminder_1h", channel=Channel.SMS, recipient="13800138000",
                          body=TEXT)
        session.flush()
        message_id = message.id
    transports = Transports(email=None, sms=HttpSmsGateway(gateway.url, token="s3cret", timeout=5))
    gateway.state.statuses.extend([503])
    now = utcnow() + timedelta(seconds=1)
    first = dispatch_due(engine, settings, transports=transports, now=now)
    assert first.retrying == [message_id]
    stored = fetch(engine, select(OutboxMessage).where(OutboxMessage.id == message_id))[0]
    assert "503" in stored.last_error and stored.next_attempt_at == now + timedelta(seconds=60)
    second = dispatch_due(engine, settings, transports=transports, now=now + timedelta(seconds=60))
    assert second.sent == [message_id]
    assert len(gateway.state.requests) == 2


def test_unreachable_gateway_raises(gateway):
    from .conftest import free_port

    with pytest.raises(httpx.HTTPError):
        HttpSmsGateway(f"http://127.0.0.1:{free_port()}/sms", timeout=2).send(phone="13800138000", text="x")


def test_development_gateway_writes_to_the_log(caplog):
    gateway = LogSmsGateway()
    with caplog.at_level(logging.INFO, logger="mediation_svc.sms"):
        gateway.send(phone="13800138000", text=TEXT)
    assert TEXT in caplog.text and gateway.sent == [("13800138000", TEXT)]


def test_gateway_from_settings(gateway):
    assert isinstance(gateway_from_settings(Settings(_env_file=None)), LogSmsGateway)
    http = gateway_from_settings(Settings(sms_gateway="http", sms_gateway_url=gateway.url, _env_file=None))
    assert isinstance(http, HttpSmsGateway) and http.url == gateway.url
    with pytest.raises(InvalidInput):
        gateway_from_settings(Settings(sms_gateway="http", _env_file=None))
    with pytest.raises(InvalidInput):
        gateway_from_settings(Settings(sms_gateway="carrier-pigeon", _env_file=None))


def test_mail_transport_from_settings():
    from mediation_svc.notifications.email import LogMailer, SmtpMailer, mailer_from_settings

    assert isinstance(mailer_from_settings(Settings(_env_file=None)), SmtpMailer)
    assert isinstance(mailer_from_settings(Settings(mail_transport="log", _env_file=None)), LogMailer)
    with pytest.raises(InvalidInput):
        mailer_from_settings(Settings(mail_transport="fax", _env_file=None))
