"""E-mail over SMTP (RFC 5321) with MIME attachments; invitations go as ``text/calendar`` parts (RFC 6047)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Protocol

from ..config import Settings
from ..errors import InvalidInput
from .models import OutboxMessage
from .outbox import decode_attachments

log = logging.getLogger("mediation_svc.email")


class EmailTransport(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID on every attempt (RFC 5322 §3.6.4), so a resent message is recognisably the same
    one: mail systems and clients drop the duplicate."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<outbox-{message.id}.{int(message.created_at.timestamp())}@{domain}>"


def build_email(message: OutboxMessage, *, sender: str, sender_name: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = formataddr((sender_name, sender))
    email["To"] = formataddr((message.recipient_name or "", message.recipient))
    email["Subject"] = message.subject or ""
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(message, sender)
    email.set_content(message.body, charset="utf-8")
    for attachment in decode_attachments(message.attachments):
        main, _, rest = attachment.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        email.add_attachment(attachment.content, maintype=main, subtype=subtype,
                             filename=attachment.filename, params=extra)
    return email


class SmtpMailer:
    def __init__(self, *, host: str, port: int, sender: str, sender_name: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.sender_name = host, port, sender, sender_name
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpMailer":
        return cls(host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from,
                   sender_name=settings.center_name, username=settings.smtp_username,
                   password=settings.smtp_password, starttls=settings.smtp_starttls,
                   timeout=settings.smtp_timeout_seconds)

    def send(self, message: OutboxMessage) -> None:
        email = build_email(message, sender=self.sender, sender_name=self.sender_name)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email)


class LogMailer:
    """Development: the e-mail (subject, recipient, body, attachment names) goes to the log."""

    def __init__(self, devbox=None) -> None:
        self.sent: list[OutboxMessage] = []
        self.devbox = devbox  # development: a copy for /dev/outbox (notifications.devbox)

    def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)
        log.info("email to %s: %s\n%s", message.recipient, message.subject or "", message.body)
        if self.devbox is not None:
            self.devbox.keep(channel="email", recipient=message.recipient, subject=message.subject,
                             body=message.body, attachments=[a.filename for a in decode_attachments(message.attachments)])


def mailer_from_settings(settings: Settings) -> EmailTransport:
    if settings.mail_transport == "log":
        from .devbox import for_settings

        return LogMailer(for_settings(settings))
    if settings.mail_transport == "smtp":
        return SmtpMailer.from_settings(settings)
    raise InvalidInput(f"unknown mail transport '{settings.mail_transport}' (smtp or log)")
