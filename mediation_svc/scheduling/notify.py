"""Telling everyone: notices and reminders for a session, written to the outbox in the change's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from ..cases.models import Case
from ..cases.states import OPEN_STATES, CaseStatus
from ..config import Settings
from ..db import id_of, utcnow
from ..notifications.models import Channel
from ..notifications.outbox import Attachment, cancel_pending, enqueue
from . import messages
from .calendar import Attendee, EventData, invitation
from .models import MediationSession, ParticipantRole, Room, SessionParticipant, SessionStatus, Venue
from .participants import participants_of
from .resources import venue_of

REMINDER_HOURS = (24, 1)


def place_of(session: Session, ms: MediationSession) -> tuple[str | None, Room | None, Venue | None]:
    if ms.room_id is None:
        return None, None, None
    room = session.get(Room, ms.room_id)
    if room is None:
        raise RuntimeError(f"session {ms.id} refers to room {ms.room_id}, which does not exist")
    venue = venue_of(session, room)
    return f"{venue.name} {room.name}（{venue.address}）", room, venue


def facts_of(session: Session, settings: Settings, ms: MediationSession, case: Case) -> messages.SessionFacts:
    place, _, _ = place_of(session, ms)
    return messages.SessionFacts(center_name=settings.center_name, case_number=case.number, mode=str(ms.mode),
                                 starts_at=ms.starts_at, ends_at=ms.ends_at, place=place,
                                 meeting_url=ms.meeting_url, agenda=ms.agenda, center_name_en=settings.center_name_en,
                                 case_open=CaseStatus(case.status) in OPEN_STATES)


def event_of(session: Session, settings: Settings, ms: MediationSession, case: Case,
             participants: list[SessionParticipant] | None = None) -> EventData:
    place, _, _ = place_of(session, ms)
    rows = participants if participants is not None else participants_of(session, id_of(ms))
    description = [f"案件：{case.number}", f"方式：{messages.MODES.get(str(ms.mode), ms.mode)}"]
    if ms.meeting_url:
        description.append(f"视频会议链接：{ms.meeting_url}")
    if ms.agenda:
        description.append(f"议程：{ms.agenda}")
    if ms.status == SessionStatus.CANCELLED and ms.cancel_reason:
        description.append(f"已取消：{ms.cancel_reason}")
    return EventData(
        uid=ms.uid, sequence=ms.sequence, summary=f"调解会议：{case.number}", starts_at=ms.starts_at,
        ends_at=ms.ends_at, location=place or ("线上视频调解" if ms.meeting_url else None),
        description="\n".join(description), url=ms.meeting_url, cancelled=ms.status == SessionStatus.CANCELLED,
        organizer_name=settings.center_name, organizer_email=settings.mail_from,
        # Parties' addresses are not disclosed to each other: only the mediator is listed, by name.
        attendees=[Attendee(r.name, settings.mail_from, "CHAIR") for r in rows if r.role == ParticipantRole.MEDIATOR])


def notify_session(session: Session, settings: Settings, *, ms: MediationSession, case: Case, kind: str,
                   previous: tuple[datetime, datetime, int | None] | None = None, reason: str | None = None) -> int:
    """Queue the notice of a change (scheduled, rescheduled, cancelled) for every participant, by e-mail with
    the .ics invitation and by SMS, and (re)plan the reminders. Returns the number of messages queued."""
    ref = f"session:{ms.id}"
    cancel_pending(session, ref=ref)  # anything unsent about the old arrangement is now wrong
    rows = participants_of(session, id_of(ms))
    case_id = id_of(case)
    facts = facts_of(session, settings, ms, case)
    ics = invitation(event_of(session, settings, ms, case, rows))
    method = "CANCEL" if ms.status == SessionStatus.CANCELLED else "REQUEST"
    attachment = Attachment("invite.ics", f"text/calendar; method={method}", ics)
    queued = 0
    for row in rows:
        language = messages.language_of(row.language)
        if kind == "scheduled":
            subject, body, sms = messages.scheduled(row.name, facts, language)
        elif kind == "rescheduled":
            if previous is None:
                raise ValueError("a rescheduled notice needs the previous time of the session")
            subject, body, sms = messages.rescheduled(row.name, facts, previous_start=previous[0],
                                                      previous_end=previous[1], reason=reason or "",
                                                      language=language)
        else:
            subject, body, sms = messages.cancelled(row.name, facts, reason=reason or "", language=language)
        queued += _send(session, row, kind=f"session.{kind}", subject=subject, body=body, sms=sms,
                        attachments=[attachment], case_id=case_id, ref=ref,
                        max_attempts=settings.notification_max_attempts)
        if ms.status != SessionStatus.CANCELLED:
            queued += _plan_reminders(session, settings, row, facts=facts, ms=ms, case=case, ref=ref)
    return queued


def _plan_reminders(session: Session, settings: Settings, row: SessionParticipant, *,
                    facts: messages.SessionFacts, ms: MediationSession, case: Case, ref: str) -> int:
    queued = 0
    now = utcnow()
    for hours in REMINDER_HOURS:
        send_at = ms.starts_at - timedelta(hours=hours)
        if send_at <= now:
            continue  # a session booked at short notice gets no reminder that would arrive after the notice
        subject, body, sms = messages.reminder(row.name, facts, hours_before=hours,
                                               language=messages.language_of(row.language))
        # A reminder still unsent when the session starts is useless: it expires then.
        queued += _send(session, row, kind=f"session.reminder_{hours}h", subject=subject, body=body, sms=sms,
                        attachments=[], case_id=id_of(case), ref=ref, send_at=send_at, expires_at=ms.starts_at,
                        max_attempts=settings.notification_max_attempts)
    return queued


def _send(session: Session, row: SessionParticipant, *, kind: str, subject: str, body: str, sms: str,
          attachments: list[Attachment], case_id: int, ref: str, send_at: datetime | None = None,
          expires_at: datetime | None = None, max_attempts: int = 6) -> int:
    queued = 0
    if row.email:
        enqueue(session, kind=kind, channel=Channel.EMAIL, recipient=row.email, recipient_name=row.name,
                recipient_user_id=row.user_id, subject=subject, body=body, attachments=attachments,
                case_id=case_id, ref=ref, send_at=send_at, expires_at=expires_at, max_attempts=max_attempts)
        queued += 1
    if row.phone:
        enqueue(session, kind=kind, channel=Channel.SMS, recipient=row.phone, recipient_name=row.name,
                recipient_user_id=row.user_id, body=sms, case_id=case_id, ref=ref, send_at=send_at,
                expires_at=expires_at, max_attempts=max_attempts)
        queued += 1
    session.flush()
    return queued
