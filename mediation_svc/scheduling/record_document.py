"""The session record (调解笔录) as a PDF, through the documents domain's template ``session_record``.

When the mediator confirms a session's record, the record is fixed; ``issue`` then makes it a finalised document
(one per record, in the same transaction as the confirmation): who attended (from the session's attendance), the
minutes and the outcome, the parties' blocks, the mediator's block and the center's seal block. The parties and
the mediator sign it through the signing flow like any signed document (``signing.service.open_request`` with its
``document_id``), and the center seals it; what they sign is exactly the confirmed record, since a confirmed
record no longer changes.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..accounts.models import User
from ..cases.models import Case, CaseParty
from ..cases.service import parties_of
from ..config import Settings
from ..documents import service as documents
from ..db import id_of
from ..documents.models import Document
from ..errors import Conflict
from .models import (MediationSession, ParticipantRole, SessionMode, SessionParticipant, SessionRecord,
                     SessionStatus)
from .notify import place_of
from .participants import participants_of

TEMPLATE = "session_record"
MODE = {SessionMode.ONSITE: "onsite", SessionMode.REMOTE: "online", SessionMode.HYBRID: "hybrid"}
CAPACITY = {ParticipantRole.MEDIATOR: "调解员", ParticipantRole.APPLICANT: "申请人",
            ParticipantRole.RESPONDENT: "被申请人", ParticipantRole.EXPERT: "专家", ParticipantRole.INTERPRETER: "翻译"}


def _capacity(row: SessionParticipant, parties: dict[int, CaseParty]) -> str:
    if row.role == ParticipantRole.REPRESENTATIVE:
        party = parties.get(row.party_id) if row.party_id is not None else None
        side = "申请人" if party is not None and party.role == "applicant" else "被申请人"
        return f"{side}委托代理人" if party is not None else "代理人"
    return CAPACITY.get(ParticipantRole(row.role), str(row.role))


def session_number(session: Session, *, ms: MediationSession) -> int:
    """Which of the case's sessions this is (first, second ...), counting those not cancelled."""
    earlier = session.exec(select(MediationSession.id).where(
        MediationSession.case_id == ms.case_id, MediationSession.status != SessionStatus.CANCELLED,
        MediationSession.starts_at <= ms.starts_at)).all()
    return max(1, len(earlier))


def record_inputs(session: Session, settings: Settings, *, ms: MediationSession, case: Case,
                  rec: SessionRecord) -> dict:
    """The template's inputs, from the session, its attendance and the confirmed record."""
    if rec.confirmed_at is None:
        raise Conflict("the record becomes a document once the mediator has confirmed it")
    rows = participants_of(session, id_of(ms))
    parties = {id_of(p): p for p in parties_of(session, id_of(case))}
    recorder = session.get(User, rec.drafted_by_user_id) if rec.drafted_by_user_id else None
    place, _, _ = place_of(session, ms)
    defaults = documents.case_defaults(session, settings, case=case, language="zh-CN")
    agents = {r.party_id: r.name for r in rows if r.role == ParticipantRole.REPRESENTATIVE and r.party_id}
    listed = []
    for party, source in zip(defaults["parties"], parties.values(), strict=True):
        listed.append({**party, "agent": {"name": agents[source.id]}} if source.id in agents else party)
    mediators = [{"name": r.name, "title": "调解员"} for r in rows if r.role == ParticipantRole.MEDIATOR]
    return {
        "case_number": case.number, "center_name": settings.center_name,
        "organisation_kind": settings.organisation_kind, "parties": listed,
        "session_number": session_number(session, ms=ms),
        "starts_at": ms.starts_at.isoformat(), "ends_at": ms.ends_at.isoformat(), "mode": MODE[SessionMode(ms.mode)],
        "venue": place if SessionMode(ms.mode) != SessionMode.REMOTE else None,
        "mediators": mediators,
        "recorder": recorder.display_name if recorder is not None else mediators[0]["name"],
        "attendees": [{"name": r.name, "capacity": _capacity(r, parties), "attendance": r.attendance or "absent"}
                      for r in rows],
        "minutes": rec.minutes, "outcome": rec.outcome, "confirmed_at": rec.confirmed_at.isoformat(),
    }


def issue(session: Session, settings: Settings, *, ms: MediationSession, case: Case, rec: SessionRecord,
          actor: User) -> Document:
    """The confirmed record's document, finalised now if it was not yet (one per record)."""
    if rec.document_id is not None:
        document = session.get(Document, rec.document_id)
        if document is None:
            raise RuntimeError(f"session record {rec.id} refers to document {rec.document_id}, which does not exist")
        return document
    if rec.confirmed_at is None:
        raise Conflict("the record becomes a document once the mediator has confirmed it")
    inputs = record_inputs(session, settings, ms=ms, case=case, rec=rec)
    draft, version = documents.create_draft(session, settings, case=case, template_id=TEMPLATE, language="zh-CN",
                                            inputs=inputs, note=f"调解会议 {ms.id} 的调解笔录", actor=actor)
    document = documents.finalise(session, settings, case=case, draft=draft, version=version.version, actor=actor)
    rec.document_id = document.id
    session.add(rec)
    session.flush()
    return document
