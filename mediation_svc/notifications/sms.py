"""Text messages through a pluggable gateway: an HTTP gateway in production, the log in development."""

from __future__ import annotations

import logging
from typing import Protocol

import httpx

from ..config import Settings
from ..errors import InvalidInput

log = logging.getLogger("mediation_svc.sms")


class SmsGateway(Protocol):
    def send(self, *, phone: str, text: str, idempotency_key: str | None = None) -> None: ...


class LogSmsGateway:
    """Development: the message goes to the log instead of a phone."""

    def __init__(self, devbox=None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.devbox = devbox  # development: a copy for /dev/outbox (notifications.devbox)

    def send(self, *, phone: str, text: str, idempotency_key: str | None = None) -> None:
        self.sent.append((phone, text))
        log.info("sms to %s: %s", phone, text)
        if self.devbox is not None:
            self.devbox.keep(channel="sms", recipient=phone, body=text)


class HttpSmsGateway:
    """POSTs ``{"to": phone, "text": text}`` as JSON with a bearer token; any non-2xx answer is a failure
    (the dispatcher retries). Most Chinese SMS providers sit behind a small adapter speaking this shape.
    Each message carries an ``Idempotency-Key`` header, the same on every retry, so a gateway that got a
    message whose answer was lost (a dispatcher killed mid-send) sends it once."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, *, phone: str, text: str, idempotency_key: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = httpx.post(self.url, json={"to": phone, "text": text}, headers=headers, timeout=self.timeout)
        response.raise_for_status()


def gateway_from_settings(settings: Settings) -> SmsGateway:
    if settings.sms_gateway == "log":
        from .devbox import for_settings

        return LogSmsGateway(for_settings(settings))
    if settings.sms_gateway == "http":
        if not settings.sms_gateway_url:
            raise InvalidInput("MEDIATION_SMS_GATEWAY_URL is required for the http SMS gateway")
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_gateway_token)
    raise InvalidInput(f"unknown SMS gateway '{settings.sms_gateway}'")
