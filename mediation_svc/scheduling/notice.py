"""The session notice (调解通知书) as a PDF, through the documents domain's template ``session_notice``.

A notice is issued once for each arrangement of a session (its RFC 5545 SEQUENCE) and each recipient, and
kept as a finalised document: the verification code printed on it (and in its QR code) then resolves, and
downloading it again gives the same bytes. A moved session gets a new notice; the old one stays on file.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..accounts.models import User
from ..cases.models import Case, CaseParty
from ..config import Settings
from ..db import id_of
from ..documents import service as documents
from ..documents.models import Document
from ..errors import InvalidTransition
from ..timeutil import today_in_shanghai
from .models import ACTIVE_STATUSES, MediationSession, ParticipantRole, SessionMode, SessionNotice, SessionStatus
from .notify import place_of
from .participants import participants_of

TEMPLATE = "session_notice"
ALL_PARTIES = "各方当事人"
_IN_PERSON = {"zh-CN": ["本人身份证件原件及复印件", "与纠纷有关的合同、凭证等证据材料",
                         "委托他人参加的，须提交授权委托书及受托人身份证件"],
              "en": ["Your identity document (original and a copy)",
                     "Contracts, receipts and other evidence about the dispute",
                     "An agent attending for you brings your letter of authorisation and their identity document"]}
BRING = {
    SessionMode.ONSITE: _IN_PERSON,
    SessionMode.HYBRID: _IN_PERSON,
    SessionMode.REMOTE: {"zh-CN": ["本人身份证件（供视频核验）", "与纠纷有关的证据材料（请提前上传）"],
                         "en": ["Your identity document (to be shown on video)",
                                "Evidence about the dispute (please upload it beforehand)"]},
}
MEDIATOR_TITLE = {"zh-CN": "调解员", "en": "Mediator"}


def recipient_for(session: Session, *, case: Case, user: User, ms: MediationSession | None = None) -> tuple[str, str]:
    """Who the notice is addressed to and in which language: a party sees the notice addressed to them, in the
    language of their notices for this session; staff get the Chinese copy addressed to every party."""
    party = session.exec(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.user_id == user.id)).first()
    if party is None:
        return ALL_PARTIES, "zh-CN"
    language = "zh-CN"
    if ms is not None:
        language = next((p.language for p in participants_of(session, id_of(ms)) if p.party_id == party.id), "zh-CN")
    return party.name, language


def notice_inputs(session: Session, settings: Settings, *, ms: MediationSession, case: Case,
                  recipient: str, language: str = "zh-CN") -> dict:
    mode = SessionMode(ms.mode)
    place, _, _ = place_of(session, ms)
    mediators = [{"name": p.name, "title": MEDIATOR_TITLE[language]} for p in participants_of(session, id_of(ms))
                 if p.role == ParticipantRole.MEDIATOR]
    return {
        "recipient": recipient, "starts_at": ms.starts_at.isoformat(), "ends_at": ms.ends_at.isoformat(),
        "mode": "online" if mode == SessionMode.REMOTE else "onsite", "venue": place,
        "meeting_link": ms.meeting_url, "mediators": mediators, "bring": BRING[mode][language],
        "contact_phone": settings.center_phone, "issued_on": today_in_shanghai().isoformat(),
    }


def _issued(session: Session, ms: MediationSession, recipient: str) -> Document | None:
    row = session.exec(select(SessionNotice).where(SessionNotice.session_id == ms.id,
                                                   SessionNotice.sequence == ms.sequence,
                                                   SessionNotice.recipient == recipient)).first()
    return session.get(Document, row.document_id) if row is not None else None


def notice_document(session: Session, settings: Settings, *, ms: MediationSession, case: Case,
                    user: User) -> Document:
    """The notice of the session's current arrangement for this user, issued now if it was not yet."""
    recipient, language = recipient_for(session, case=case, user=user, ms=ms)
    existing = _issued(session, ms, recipient)
    if existing is not None:
        return existing
    if SessionStatus(ms.status) not in ACTIVE_STATUSES:
        raise InvalidTransition(f"session {ms.id} is '{ms.status}': no notice is issued for it")
    inputs = notice_inputs(session, settings, ms=ms, case=case, recipient=recipient, language=language)
    try:
        with session.begin_nested():
            draft, version = documents.create_draft(session, settings, case=case, template_id=TEMPLATE,
                                                    language=language, inputs=inputs,
                                                    note=f"session {ms.id}, arrangement {ms.sequence}", actor=user)
            document = documents.finalise(session, settings, case=case, draft=draft, version=version.version,
                                          actor=user)
            session.add(SessionNotice(session_id=id_of(ms), sequence=ms.sequence, recipient=recipient,
                                      document_id=document.id))
            session.flush()
    except IntegrityError:
        # Someone issued the same notice at the same moment: theirs is the one on file.
        existing = _issued(session, ms, recipient)
        if existing is None:
            raise
        return existing
    return document
