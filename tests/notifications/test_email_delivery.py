"""Session notices through the outbox to a real SMTP server, with the .ics invitation parsed back."""

from __future__ import annotations

from datetime import timedelta, timezone

from icalendar import Calendar
from sqlmodel import Session, select

from mediation_svc.audit.chain import case_trail
from mediation_svc.cases.models import CaseParty
from mediation_svc.db import utcnow
from mediation_svc.notifications.dispatcher import Transports, dispatch_due
from mediation_svc.notifications.email import SmtpMailer
from mediation_svc.notifications.models import OutboxMessage
from mediation_svc.notifications.sms import LogSmsGateway
from tests.scheduling.helpers import at, fetch, iso, workday_ahead

APPLICANT_MAIL = "chenxiulan@example.com"
RESPONDENT_MAIL = "legal@insurer.example.com"


def transports(smtp_server, settings) -> Transports:
    return Transports(email=SmtpMailer(host=smtp_server.host, port=smtp_server.port, sender=settings.mail_from,
                                       sender_name=settings.center_name), sms=LogSmsGateway())


def parties(engine, case_id) -> dict[str, CaseParty]:
    return {p.role: p for p in fetch(engine, select(CaseParty).where(CaseParty.case_id == case_id))}


def schedule_with_mail(client, auth, world, engine, day, *, respondent_language=None, **body):
    by_role = parties(engine, world.case.id)
    respondent = {"role": "respondent", "party_id": by_role["respondent"].id, "email": RESPONDENT_MAIL}
    if respondent_language:
        respondent["language"] = respondent_language
    body = {"mode": "onsite", "starts_at": iso(day, 10), "duration_minutes": 60, "room_id": world.venue.rooms[0],
            "participants": [{"role": "applicant", "party_id": by_role["applicant"].id, "email": APPLICANT_MAIL},
                             respondent], **body}
    r = client.post(f"/api/v1/cases/{world.case.id}/sessions", json=body, headers=auth(world.officer))
    assert r.status_code == 201, r.text
    return r.json()


def mail_to(mailbox, address):
    found = [m.message for m in mailbox.messages if address in m.rcpt_tos]
    assert found, f"nothing delivered to {address}: {[m.rcpt_tos for m in mailbox.messages]}"
    return found


def invitation_of(message) -> Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.iter_attachments()]
    assert parts[0].get_filename() == "invite.ics"
    payload = parts[0].get_payload(decode=True)
    return Calendar.from_ical(payload)


def test_notice_reaches_the_smtp_server_with_an_ics_in_shanghai_time(client, auth, world, engine, settings,
                                                                     smtp_server, mailbox):
    day = workday_ahead()
    session = schedule_with_mail(client, auth, world, engine, day, agenda="核实理赔材料")
    report = dispatch_due(engine, settings, transports=transports(smtp_server, settings))
    assert report.failed == [] and report.retrying == []
    # Mediator, applicant and respondent by e-mail; reminders wait for their time.
    assert {a for m in mailbox.messages for a in m.rcpt_tos} == {"wangmin@example.org", APPLICANT_MAIL,
                                                                  RESPONDENT_MAIL}
    message = mail_to(mailbox, APPLICANT_MAIL)[0]
    assert message["Subject"] == f"调解会议通知（{world.case.number}）"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("陈秀兰：") and f"就{world.case.number}纠纷举行调解会议" in text  # 第0001号, not 第0001号号
    assert f"{day.year}年{day.month}月{day.day}日" in text and "10:00–11:00（北京时间）" in text
    assert "301室" in text and "议程：核实理赔材料" in text

    calendar = invitation_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    zones = [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    assert zones == ["Asia/Shanghai"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == session["uid"] and int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start.hour, start.minute, end.hour) == (10, 0, 11)  # the wall clock in Guangzhou
    assert start.astimezone(timezone.utc) == at(day, 2).replace(tzinfo=timezone.utc)  # 10:00 +08:00 = 02:00Z
    assert world.case.number in str(event["SUMMARY"]) and "301室" in str(event["LOCATION"])

    rows = fetch(engine, select(OutboxMessage).where(OutboxMessage.ref == f"session:{session['id']}",
                                                     OutboxMessage.kind == "session.scheduled"))
    assert rows and all(r.status == "sent" and r.sent_at is not None and r.attempts == 1 for r in rows)
    with Session(engine) as db:
        assert "notification.sent" in {e.action for e in case_trail(db, world.case.id)}


def test_texts_are_in_english_for_an_english_reader(client, auth, world, engine, settings, smtp_server, mailbox):
    day = workday_ahead()
    schedule_with_mail(client, auth, world, engine, day, respondent_language="en")
    dispatch_due(engine, settings, transports=transports(smtp_server, settings))
    english = mail_to(mailbox, RESPONDENT_MAIL)[0]
    assert english["Subject"] == f"Mediation session notice ({world.case.number})"
    text = english.get_body(("plain",)).get_content()
    assert text.startswith("Dear ") and "10:00–11:00 (Beijing time, UTC+8)" in text
    assert settings.center_name_en in text
    chinese = mail_to(mailbox, APPLICANT_MAIL)[0]
    assert chinese["Subject"].startswith("调解会议通知")


def test_reschedule_and_cancel_notify_everyone_with_updated_invitations(client, auth, world, engine, settings,
                                                                        smtp_server, mailbox):
    day = workday_ahead()
    created = schedule_with_mail(client, auth, world, engine, day)
    mail = transports(smtp_server, settings)
    dispatch_due(engine, settings, transports=mail)
    mailbox.messages.clear()

    moved = client.post(f"/api/v1/sessions/{created['id']}/reschedule", headers=auth(world.officer),
                        json={"starts_at": iso(day, 14), "reason": "调解员另有庭审"})
    assert moved.status_code == 200, moved.text
    dispatch_due(engine, settings, transports=mail)
    everyone = {"wangmin@example.org", APPLICANT_MAIL, RESPONDENT_MAIL}
    assert {a for m in mailbox.messages for a in m.rcpt_tos} == everyone
    message = mail_to(mailbox, APPLICANT_MAIL)[0]
    assert message["Subject"] == f"调解会议改期通知（{world.case.number}）"
    text = message.get_body(("plain",)).get_content()
    assert "10:00–11:00" in text and "14:00–15:00" in text and "调解员另有庭审" in text
    (event,) = invitation_of(message).walk("VEVENT")
    assert str(event["UID"]) == created["uid"] and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART").hour == 14
    mailbox.messages.clear()

    cancelled = client.post(f"/api/v1/sessions/{created['id']}/cancel", headers=auth(world.officer),
                            json={"reason": "双方已自行和解"})
    assert cancelled.status_code == 200
    dispatch_due(engine, settings, transports=mail)
    assert {a for m in mailbox.messages for a in m.rcpt_tos} == everyone
    calendar = invitation_of(mail_to(mailbox, RESPONDENT_MAIL)[0])
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    # Nothing about the old arrangement is left to send: its reminders were withdrawn.
    pending = fetch(engine, select(OutboxMessage).where(OutboxMessage.ref == f"session:{created['id']}",
                                                        OutboxMessage.status == "pending"))
    assert pending == []
    assert utcnow() < at(day, 10) - timedelta(days=1)
