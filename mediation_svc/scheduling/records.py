"""The session record (调解笔录): attendance, minutes and outcome written during or after the session, and the
mediator's confirmation that fixes it (the session becomes held, the case moves into mediation). Its PDF and
its signing are ``record_document``'s and the signing flow's."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlmodel import Session, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..cases.models import Case
from ..cases.service import transition
from ..cases.states import CaseStatus
from ..db import id_of, utcnow
from ..errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from ..security.roles import is_staff
from .models import (ACTIVE_STATUSES, MediationSession, ParticipantRole, SessionChange, SessionParticipant,
                     SessionRecord, SessionStatus)
from .schemas import RecordIn
from .service import participants_of


def _mediator_ids(rows: Sequence[SessionParticipant]) -> set[int]:
    return {r.user_id for r in rows if r.role == ParticipantRole.MEDIATOR and r.user_id is not None}


def save_record(session: Session, *, ms: MediationSession, data: RecordIn, actor: User) -> SessionRecord:
    rows = participants_of(session, id_of(ms))
    if not is_staff(actor.role) and actor.id not in _mediator_ids(rows):
        raise Forbidden("only the session's mediator or an officer may write the record")
    if SessionStatus(ms.status) not in ACTIVE_STATUSES:
        raise InvalidTransition(f"session {ms.id} is '{ms.status}'; its record can no longer change")
    if ms.starts_at > utcnow():
        raise Conflict("the session has not started yet; its record is written during or after it")
    existing = session.exec(select(SessionRecord).where(SessionRecord.session_id == ms.id)).first()
    if existing is not None and existing.confirmed_at is not None:
        raise Conflict("the record has been confirmed by the mediator and no longer changes")
    by_id = {r.id: r for r in rows}
    unknown = [a.participant_id for a in data.attendance if a.participant_id not in by_id]
    if unknown:
        raise InvalidInput("unknown participants in attendance",
                           errors=[{"loc": ["attendance"], "msg": f"not participants of this session: {unknown}"}])
    for item in data.attendance:
        by_id[item.participant_id].attendance = item.attendance
        session.add(by_id[item.participant_id])
    rec = existing or SessionRecord(session_id=id_of(ms), minutes=data.minutes, outcome=data.outcome)
    rec.minutes, rec.outcome, rec.drafted_by_user_id, rec.updated_at = data.minutes, data.outcome, actor.id, utcnow()
    session.add(rec)
    session.flush()
    record(session, actor=actor_of(actor), action="session.record_saved",
           subject=f"session:{ms.id}", case_id=ms.case_id,
           payload={"outcome": data.outcome, "attendance": [a.model_dump() for a in data.attendance],
                    "minutes_sha256": hashlib.sha256(data.minutes.encode()).hexdigest()})
    return rec


def confirm_record(session: Session, *, ms: MediationSession, case: Case, actor: User) -> SessionRecord:
    """The mediator's confirmation: the record is fixed and the session becomes held (or no-show)."""
    rows = participants_of(session, id_of(ms))
    if actor.id not in _mediator_ids(rows):
        raise Forbidden("only the session's mediator confirms its record")
    rec = session.exec(select(SessionRecord).where(SessionRecord.session_id == ms.id)).first()
    if rec is None:
        raise Conflict("there is no record to confirm yet")
    if rec.confirmed_at is not None:
        raise Conflict("the record is already confirmed")
    missing = [r.name for r in rows if r.attendance is None]
    if missing:
        raise InvalidInput(f"attendance is not recorded for: {'、'.join(missing)}",
                           errors=[{"loc": ["attendance"], "msg": "every participant's attendance is needed"}])
    rec.confirmed_by_user_id, rec.confirmed_at = actor.id, utcnow()
    ms.status = SessionStatus.NO_SHOW if rec.outcome == "no_show" else SessionStatus.HELD
    ms.updated_at = utcnow()
    session.add_all([rec, ms])
    actor_ref = actor_of(actor)
    session.add(SessionChange(session_id=id_of(ms), actor=actor_ref, kind=str(ms.status)))
    session.flush()
    record(session, actor=actor_ref, action="session.record_confirmed", subject=f"session:{ms.id}",
           case_id=ms.case_id, payload={"outcome": rec.outcome, "status": ms.status})
    if ms.status == SessionStatus.HELD and CaseStatus(case.status) == CaseStatus.MEDIATOR_ASSIGNED:
        transition(session, case=case, target=CaseStatus.IN_MEDIATION, actor=actor_ref,
                   payload={"session_id": ms.id})
    from ..notifications.outbox import cancel_pending  # noqa: PLC0415

    cancel_pending(session, ref=f"session:{ms.id}")
    return rec


def record_of(session: Session, *, session_id: int) -> SessionRecord:
    rec = session.exec(select(SessionRecord).where(SessionRecord.session_id == session_id)).first()
    if rec is None:
        raise NotFound("this session has no record yet")
    return rec
