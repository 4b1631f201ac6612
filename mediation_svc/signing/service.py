"""Signing requests (电子签署): who signs what, in which order, how they prove who they are, and the PDF.

Life of a request::

    open_request                  awaiting_authorisation (a representative's 授权委托书 to check) or open
    upload_authorisation / approve_authorisation        -> open, stage 1 (the parties) gets its links
    the SMS carries a short link (/s/<12 characters>, 60 bits, stored hashed), valid until the deadline
    request_code -> verify_identity (link + SMS code + last 4 of the ID)   -> a signer-session token
                   (again from any browser: the new session continues where the signer stopped)
    the mediator: console_code -> console_verify (logged in + SMS code)   -> a signer-session token
    signer_document / accept_consent / save_drawing
    prepare_browser_key (public key + proof) -> finish_browser_key (the browser's signature over the CMS
    signed attributes)                                                    -> one PAdES B-T signature
    (on site, a tablet without WebCrypto: confirm with a one-time key made by the center, said so)
    (all parties signed) -> stage 2, the mediator's link; (mediator signed) -> stage 3
    apply_seal (an officer)       the center's seal, then B-LTA (DSS + document timestamp): completed
    decline (a signer) / void (an officer) / expire_due (the job, and before a new request on the document) /
    close_for_document (the document was superseded) / remind (officer or mediator): the signers are told by SMS
    (the seal) -> every signer gets an SMS that it took effect, with a short link to download the final PDF

On-site signing (``start_onsite``): the mediator's tablet gets a link for a signer who is present; the
code still goes to the signer's own phone and the last four characters of the ID are typed after the
mediator has looked at the ID card, so the mediator cannot sign for anyone. The evidence names the host.
An institution with its own certificate (``SigningMode.EXTERNAL``) proves identity the same way, then
``prepare_external`` hands out the ByteRange digest and ``finish_external`` takes the CMS back.

Signing serialises per request: every step that changes the PDF first locks the request row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), then
reads the latest revision, so two parties confirming at once both end up in the file.

For other domains:
- ``signed_pdf(session, document_id=)``: the newest revision of a *completed* request (B-LTA, or a later
  archive timestamp); None until the request completes. Partial signatures stay evidence only.
- ``signing_events(session, document_id=)``: every signed revision with its evidence record (and its request's
  status), oldest first.
- ``open_request(...)``: also for a judicial application document (kind ``judicial_application``); the
  document goes final -> signing -> signed either way, only an agreement moves the case (signing -> signed).
- The signer page flow (web): ``open_link`` / ``signer_home`` / ``signer_view`` and the functions listed
  above taking ``link_code`` / ``session_token``; ``signer_state`` names the page's state (SIGNER_STATES).

Services flush, never commit; every state change is audited in the same transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ..accounts.models import User
from ..audit.chain import canonical_json, record
from ..phones import normalise_mobile
from ..security.pipl import mask_id_number
from ..cases.models import Case, CaseParty
from ..cases.service import get_visible_case_or_404, parties_of, transition
from ..cases.states import CaseStatus
from ..config import Settings
from ..coroutines import run_sync
from ..db import after_transaction, is_postgresql, unit_of_work, utcnow
from ..documents.models import Document, DocumentStatus
from ..documents.service import mark_status
from ..errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthenticated
from ..notifications.models import Channel
from ..notifications.outbox import cancel_pending, enqueue
from ..pki.keystore import KeyStore
from ..security.roles import Role
from ..security.tokens import TokenService
from . import appearance, credentials, identity, pades, seal_images, uploads
from .models import (STAGE_MEDIATOR, STAGE_PARTIES, STAGE_SEAL, RequestStatus, SignedRevision, SignerKind,
                     SignerStatus, SigningLink, SigningMode, SigningParticipant, SigningRequest)

SESSION_PURPOSE = "signing-session"
SESSION_LIFETIME = timedelta(minutes=30)
SMS_LIMIT = 134  # two concatenated UCS-2 segments (2 x 67 characters), the center's signature included
LINK_LOOKUP_LIMIT, LINK_LOOKUP_WINDOW = 20, timedelta(minutes=15)  # unknown link codes per address
SIGNABLE_KINDS = {"agreement", "judicial_application", "session_record"}
ACTIVE = (RequestStatus.AWAITING_AUTHORISATION.value, RequestStatus.OPEN.value)
REMINDER_GAP = timedelta(hours=12)
# Two plain sentences, true for the way the key is made (the page links to the full legal text).
KEY_SIGNER_DEVICE, KEY_CENTER_SERVER, KEY_INSTITUTION = "signer_device", "center_server", "institution"
CONSENT_TEXTS = {
    KEY_SIGNER_DEVICE: {
        "zh-CN": "我已读完这份协议，同意按协议内容签署。签名用的密钥在我这台手机或电脑上生成，只由我掌握，调解中心拿不到。",
        "en": "I have read this agreement and agree to sign it as it stands. The signing key is made on this phone "
              "or computer and stays in my hands; the center never has it.",
    },
    KEY_CENTER_SERVER: {
        "zh-CN": "我已读完这份协议，同意按协议内容签署。签名用的密钥由调解中心的系统在我确认时为这一次签署生成，用后即销毁。",
        "en": "I have read this agreement and agree to sign it as it stands. The signing key is made by the center's "
              "system for this one signature when I confirm, and destroyed right after.",
    },
    KEY_INSTITUTION: {
        "zh-CN": "我已读完这份协议，同意按协议内容签署。签名用本机构自己的数字证书和密钥完成。",
        "en": "I have read this agreement and agree to sign it as it stands. The signature is made with our "
              "institution's own certificate and key.",
    },
}
CONSENT_TEXT = CONSENT_TEXTS[KEY_SIGNER_DEVICE]
# The first sentence names what is signed: CONSENT_TEXTS say it of an agreement; the other signed documents.
_READ = {"zh-CN": "我已读完这份协议，同意按协议内容签署。", "en": "I have read this agreement and agree to sign it as it stands."}
READ_SENTENCES = {
    "agreement": _READ,
    "judicial_application": {"zh-CN": "我已读完这份司法确认申请书，同意按申请书内容签署。",
                             "en": "I have read this application for judicial confirmation and agree to sign it "
                                   "as it stands."},
    "session_record": {"zh-CN": "我已读完这份调解笔录，确认笔录内容与调解情况一致，同意签署。",
                       "en": "I have read this session record, confirm that it is what happened at the session, "
                             "and agree to sign it."},
}


def consent_texts(key_origin: str, document_kind: str) -> dict[str, str]:
    """The consent a signer reads, per language: what they sign (the document's kind) and how their key is made."""
    read = READ_SENTENCES.get(document_kind, _READ)
    return {language: text.replace(_READ[language], read[language], 1)
            for language, text in CONSENT_TEXTS[key_origin].items()}
ROLE_LABELS = {"applicant": "申请人", "respondent": "被申请人"}


class SigningRequestExpired(Conflict):
    slug, title = "signing-request-expired", "The signing request has expired"


class NotYourTurn(Conflict):
    slug, title = "signing-not-your-turn", "An earlier signer has not signed yet"


class CodeLocked(DomainError):
    status, slug, title = 423, "signing-code-locked", "Too many wrong codes"


class DocumentChanged(Conflict):
    slug, title = "signing-document-changed", "The document changed since it was prepared"


@dataclass(frozen=True)
class RepresentativeSpec:
    """Who signs for an institution party: their details, and whether they use their own certificate."""

    party_id: int
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    mode: SigningMode = SigningMode.REMOTE
    certificate_der: bytes | None = None
    # An institution on the platform signs through one of its accounts, or a person one of them named
    # (complaints.service.institution_signer); the name and phone then come from there.
    account_user_id: int | None = None
    nomination_id: int | None = None
    user_id: int | None = None  # set when resolved: the account that signs

    @property
    def chosen_on_platform(self) -> bool:
        """An account or a nomination: its phone is the one given there, not one typed for this request."""
        return self.account_user_id is not None or self.nomination_id is not None


@dataclass(frozen=True)
class Client:
    address: str
    user_agent: str


def _actor(user: User) -> str:
    return f"user:{user.id}:{user.username}"


def _signer_actor(p: SigningParticipant) -> str:
    return f"signer:{p.id}:{p.name}"


def _audit(session: Session, request: SigningRequest, *, actor: str, action: str,
           payload: dict[str, Any] | None = None) -> None:
    record(session, actor=actor, action=action, subject=f"signing_request:{request.id}", case_id=request.case_id,
           payload={"request_id": request.id, "document_id": request.document_id, **(payload or {})})


# -- loading -------------------------------------------------------------------------------------------------

def lock_request(session: Session, request_id: int) -> SigningRequest:
    """The request row, locked until commit (PostgreSQL FOR UPDATE; SQLite holds the write lock already)."""
    query = select(SigningRequest).where(SigningRequest.id == request_id)
    if is_postgresql(session):
        query = query.with_for_update()
    request = session.exec(query.execution_options(populate_existing=True)).first()
    if request is None:
        raise NotFound(f"signing request {request_id} not found")
    return request


def get_visible_request_or_404(session: Session, *, user: User, request_id: int,
                               for_update: bool = False) -> tuple[SigningRequest, Case]:
    request = session.get(SigningRequest, request_id)
    if request is None:
        raise NotFound(f"signing request {request_id} not found")
    try:
        case = get_visible_case_or_404(session, user=user, case_id=request.case_id)
    except NotFound:
        raise NotFound(f"signing request {request_id} not found") from None
    if for_update:
        request = lock_request(session, request_id)
    return request, case


def participants_of(session: Session, request_id: int) -> list[SigningParticipant]:
    return list(session.exec(select(SigningParticipant).where(SigningParticipant.request_id == request_id)
                             .order_by(SigningParticipant.stage, SigningParticipant.id)
                             .execution_options(populate_existing=True)).all())


def get_participant_or_404(session: Session, *, request: SigningRequest, participant_id: int) -> SigningParticipant:
    participant = session.get(SigningParticipant, participant_id, populate_existing=True)
    if participant is None or participant.request_id != request.id:
        raise NotFound(f"signer {participant_id} not found on signing request {request.id}")
    return participant


def latest_revision(session: Session, document_id: str) -> SignedRevision | None:
    return session.exec(select(SignedRevision).where(SignedRevision.document_id == document_id)
                        .order_by(SignedRevision.sequence.desc()).limit(1)).first()


def current_pdf(session: Session, request: SigningRequest) -> bytes:
    revision = latest_revision(session, request.document_id)
    if revision is not None and revision.request_id == request.id:
        return revision.pdf
    return session.get(Document, request.document_id).pdf


def signed_pdf(session: Session, *, document_id: str) -> bytes | None:
    """The newest revision from a completed request (B-LTA, or a later archive timestamp); None until then.

    Revisions of a request that was declined, voided or expired part-way are kept as evidence but are not
    "the signed agreement"."""
    revision = session.exec(
        select(SignedRevision).join(SigningRequest, SigningRequest.id == SignedRevision.request_id)
        .where(SignedRevision.document_id == document_id, SigningRequest.status == RequestStatus.COMPLETED.value)
        .order_by(SignedRevision.sequence.desc()).limit(1)).first()
    return revision.pdf if revision is not None else None


def signing_events(session: Session, *, document_id: str) -> list[dict[str, Any]]:
    """Every signed revision of a document, oldest first, with its evidence (as stored, and its hash)."""
    rows = session.exec(select(SignedRevision).where(SignedRevision.document_id == document_id)
                        .order_by(SignedRevision.sequence)).all()
    events = []
    for row in rows:
        participant = session.get(SigningParticipant, row.participant_id) if row.participant_id else None
        request = session.get(SigningRequest, row.request_id)
        events.append({
            "sequence": row.sequence, "kind": row.kind, "request_id": row.request_id,
            "request_status": request.status,
            "participant_id": row.participant_id, "signer": participant.name if participant else None,
            "role": participant.role_label if participant else None, "at": row.created_at,
            "sha256_before": row.sha256_before, "sha256_after": row.sha256_after, "cert_serial": row.cert_serial,
            "evidence": json.loads(row.evidence) if row.evidence else None, "evidence_sha256": row.evidence_sha256,
            "timestamp_expires_at": row.timestamp_expires_at})
    return events


# -- opening -------------------------------------------------------------------------------------------------

def open_request(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *, case: Case,
                 document_id: str, deadline_at: datetime, representatives: list[RepresentativeSpec],
                 actor: User) -> SigningRequest:
    """Open a request on a finalised document: the parties, then the mediator, then the center's seal."""
    if actor.role not in (Role.ADMIN, Role.CASE_OFFICER) and not (
            actor.role == Role.MEDIATOR and case.mediator_user_id == actor.id):
        raise Forbidden("only a case officer or the case's mediator may open a signing request")
    document = session.get(Document, document_id)
    if document is None or document.case_id != case.id:
        raise NotFound(f"document {document_id} not found on this case")
    if document.kind not in SIGNABLE_KINDS:
        raise InvalidInput(f"documents of kind '{document.kind}' are not signed")
    if document.status not in (DocumentStatus.FINAL, DocumentStatus.SIGNING):
        raise Conflict(f"document {document.id} is '{document.status}'; only a finalised document is signed",
                       document_status=str(document.status))
    expire_due(session, settings, document_id=document.id)  # a request past its deadline no longer blocks
    active = session.exec(select(SigningRequest).where(SigningRequest.document_id == document.id,
                                                       SigningRequest.status.in_(ACTIVE))).first()
    if active is not None:
        raise Conflict(f"signing request {active.id} is already open on this document", request_id=active.id)
    if deadline_at.tzinfo is None or deadline_at <= utcnow() + timedelta(minutes=10):
        raise InvalidInput("the deadline must be a time (with its UTC offset) in the future",
                           errors=[{"loc": ["deadline_at"], "msg": "in the past or without offset"}])
    mediator = session.get(User, case.mediator_user_id) if case.mediator_user_id else None
    if mediator is None or not mediator.phone:
        raise InvalidInput("the case needs a mediator with a phone number on record before signing")
    mediator_phone = _mobile(mediator.phone, loc=["mediator", "phone"], who=f"the mediator {mediator.display_name}")
    secret = identity.secret_from_keystore(keystore)
    for rep in representatives:
        if rep.mode == SigningMode.EXTERNAL and rep.certificate_der:
            credentials.check_institution_certificate(settings, keystore, rep.certificate_der)
    by_party = {r.party_id: r for r in representatives}
    request = SigningRequest(case_id=case.id, document_id=document.id, deadline_at=deadline_at,
                             current_sha256=document.sha256, created_by_user_id=actor.id)
    session.add(request)
    session.flush()
    signers: list[SigningParticipant] = []
    for party in parties_of(session, case.id):
        rep = by_party.pop(party.id, None)
        if rep is not None and party.kind == "institution":
            rep = _institution_representative(session, case, party, rep)
        signers.append(_party_signer(request, party, rep, secret))
    if by_party:
        raise InvalidInput(f"representatives given for parties not on this case: {sorted(by_party)}")
    signers.append(SigningParticipant(request_id=request.id, stage=STAGE_MEDIATOR, kind=SignerKind.MEDIATOR.value,
                                      role_label="调解员", name=mediator.display_name, user_id=mediator.id,
                                      phone=mediator_phone, field_name="mediator"))
    signers.append(SigningParticipant(request_id=request.id, stage=STAGE_SEAL, kind=SignerKind.SEAL.value,
                                      role_label="调解组织", name=settings.center_name, field_name="seal"))
    listed = json.loads(document.inputs_json or "{}")
    for index, signer in enumerate(signers):
        if signer.kind != SignerKind.MEDIATOR.value and signer.kind != SignerKind.SEAL.value:
            party = session.get(CaseParty, signer.party_id)
            signer.field_name = appearance.party_field_name(listed, role=party.role, name=party.name,
                                                            position=index + 1)
        session.add(signer)
    needs_letter = any(s.kind == SignerKind.REPRESENTATIVE.value for s in signers)
    request.status = (RequestStatus.AWAITING_AUTHORISATION if needs_letter else RequestStatus.OPEN).value
    session.add(request)
    session.flush()
    if document.status == DocumentStatus.FINAL:
        mark_status(session, document=document, status=DocumentStatus.SIGNING, actor=_actor(actor),
                    payload={"signing_request_id": request.id})
    _audit(session, request, actor=_actor(actor), action="signing.request_opened",
           payload={"status": request.status, "deadline_at": deadline_at, "sha256": document.sha256,
                    "signers": [{"id": s.id, "stage": s.stage, "kind": s.kind, "role": s.role_label,
                                 "name": s.name, "mode": s.mode} for s in signers]})
    if request.status == RequestStatus.OPEN:
        _activate_next_stage(session, settings, tokens, request, actor=_actor(actor))
    return request


def _institution_representative(session: Session, case: Case, party: CaseParty,
                                rep: RepresentativeSpec) -> RepresentativeSpec:
    """The representative as the institution chose them: its account, or the person an account named."""
    from ..complaints.service import institution_signer  # noqa: PLC0415 (complaints imports signing's callers)

    chosen = institution_signer(session, case=case, institution_id=party.institution_id,
                                account_user_id=rep.account_user_id, nomination_id=rep.nomination_id)
    if chosen is None:
        if not rep.name or not rep.phone:
            raise InvalidInput(f"name the representative who signs for {party.name}, with a phone number",
                               errors=[{"loc": ["representatives", party.id], "msg": "name and phone required"}])
        return rep
    name, phone, id_number, user_id = chosen
    return replace(rep, name=name, phone=phone, id_number=id_number or rep.id_number, user_id=user_id)


def _party_signer(request: SigningRequest, party: CaseParty, rep: RepresentativeSpec | None,
                  secret: bytes) -> SigningParticipant:
    role = ROLE_LABELS.get(party.role, party.role)
    if party.kind == "person":
        if rep is not None:
            raise InvalidInput(f"party {party.id} is a person and signs in person; no representative is taken")
        if not party.phone:
            raise InvalidInput(f"party {party.name} has no phone on record to receive the signing code")
        last4 = _id_on_file(party.id_number, loc=["parties", party.id, "id_number"], who=party.name)
        return SigningParticipant(request_id=request.id, stage=STAGE_PARTIES, kind=SignerKind.PERSON.value,
                                  role_label=role, name=party.name, party_id=party.id, user_id=party.user_id,
                                  phone=_mobile(party.phone, loc=["parties", party.id, "phone"], who=party.name),
                                  id_masked=mask_id_number(party.id_number),
                                  id_last4_hash=identity.hash_id_last4(secret, last4), field_name="party")
    if rep is None:
        raise InvalidInput(f"name the representative who signs for {party.name}",
                           errors=[{"loc": ["representatives"], "msg": f"missing for party {party.id}"}])
    if rep.mode == SigningMode.EXTERNAL and not rep.certificate_der:
        raise InvalidInput("an institution signing with its own certificate must give that certificate")
    if rep.mode == SigningMode.ONSITE:
        raise InvalidInput("on-site signing is chosen at the center (start_onsite), not when opening")
    last4 = _id_on_file(rep.id_number, loc=["representatives", party.id, "id_number"], who=rep.name)
    return SigningParticipant(request_id=request.id, stage=STAGE_PARTIES, kind=SignerKind.REPRESENTATIVE.value,
                              role_label=f"{role}代理人", name=rep.name, on_behalf_of=party.name,
                              party_id=party.id, user_id=rep.user_id,
                              phone=_mobile(rep.phone, loc=["representatives", party.id, "phone"], who=rep.name),
                              id_masked=mask_id_number(rep.id_number),
                              id_last4_hash=identity.hash_id_last4(secret, last4),
                              mode=rep.mode.value, external_cert_der=rep.certificate_der, field_name="party")


def _mobile(phone: str | None, *, loc: list, who: str) -> str:
    try:
        return normalise_mobile(phone)
    except ValueError as exc:
        raise InvalidInput(f"the phone number of {who} ({phone or 'none'}) cannot receive the signing code: {exc}",
                           errors=[{"loc": loc, "msg": str(exc)}]) from None


def _id_on_file(id_number: str | None, *, loc: list, who: str) -> str:
    """The last four characters a signer proves, which must exist before the request opens."""
    value = (id_number or "").strip().upper()
    if len(value) < 8:
        raise InvalidInput(f"{who} has no ID number on file; the signer proves who they are with its last four "
                           "characters, so record it before opening the request",
                           errors=[{"loc": loc, "msg": "an ID number of at least 8 characters is required"}])
    if len(value) == 18 and value[:17].isdigit():
        from ..cases.identity import normalise_resident_id

        try:
            normalise_resident_id(value)
        except ValueError as exc:
            raise InvalidInput(f"the ID number of {who} is not valid: {exc}",
                               errors=[{"loc": loc, "msg": str(exc)}]) from None
    return identity.id_last4(value)


def _activate_next_stage(session: Session, settings: Settings, tokens: TokenService, request: SigningRequest,
                         *, actor: str) -> int | None:
    """Move the first unfinished stage from waiting to pending and send its links; returns that stage."""
    participants = participants_of(session, request.id)
    unfinished = [p for p in participants if p.status != SignerStatus.SIGNED.value]
    if not unfinished:
        return None
    stage = min(p.stage for p in unfinished)
    for p in unfinished:
        if p.stage == stage and p.status == SignerStatus.WAITING.value:
            p.status = SignerStatus.PENDING.value
            session.add(p)
            if p.kind == SignerKind.MEDIATOR.value:
                _notify_mediator(session, settings, request, p)
            elif p.kind != SignerKind.SEAL.value:
                issue_link(session, settings, tokens, request=request, participant=p, actor=actor, send=True)
    session.flush()
    _audit(session, request, actor=actor, action="signing.stage_started", payload={"stage": stage})
    return stage


def _sms(settings: Settings, text: str) -> str:
    hotline = f"咨询电话{settings.center_phone}" if settings.center_phone else ""
    return f"【{settings.center_name}】{text}{hotline}"


def _fit_sms(settings: Settings, *texts: str) -> str:
    """The first wording (longest first) whose SMS fits two segments, the center's signature included."""
    for text in texts:
        if len(_sms(settings, text)) <= SMS_LIMIT:
            return _sms(settings, text)
    return _sms(settings, texts[-1])


def link_url(settings: Settings, code: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/s/{code}"


def _new_link(session: Session, keystore_or_tokens, participant: SigningParticipant, purpose: str) -> str:
    """A fresh short link for the signer; earlier links of the same purpose only say they were replaced."""
    secret = _secret(keystore_or_tokens)
    now = utcnow()
    for old in session.exec(select(SigningLink).where(SigningLink.participant_id == participant.id,
                                                      SigningLink.purpose == purpose,
                                                      SigningLink.replaced_at.is_(None))).all():
        old.replaced_at = now
        session.add(old)
    code = identity.new_link_code()
    session.add(SigningLink(code_hash=identity.hash_link_code(secret, code), participant_id=participant.id,
                            purpose=purpose, created_at=now))
    session.flush()
    return code


def _secret(keystore_or_tokens) -> bytes:
    keystore = getattr(keystore_or_tokens, "keystore", keystore_or_tokens)
    return identity.secret_from_keystore(keystore)


def issue_link(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
               participant: SigningParticipant, actor: str, send: bool) -> str:
    """A fresh short link for one signer, valid until the request's deadline; returns its code.

    Earlier links of this signer stop working (they say so), the code count and the lock start afresh."""
    document = session.get(Document, request.document_id)
    if request.deadline_at <= utcnow():
        raise SigningRequestExpired("the signing deadline has passed")
    code = _new_link(session, tokens, participant, "sign")
    participant.link_jti = None
    participant.session_jti = None
    participant.otp_hash, participant.otp_expires_at, participant.otp_sent_at = None, None, None
    participant.otp_failures, participant.otp_locked, participant.otp_sends = 0, False, 0
    session.add(participant)
    if send:
        due, url = chinese_deadline(request.deadline_at), link_url(settings, code)
        enqueue(session, kind="signing.link", channel=Channel.SMS, recipient=participant.phone,
                recipient_name=participant.name, recipient_user_id=participant.user_id,
                body=_fit_sms(settings, f"{participant.name}您好，请于{due}前签署《{document.title}》：{url} ",
                              f"请于{due}前签署《{document.title}》：{url} ", f"请于{due}前签署：{url} "),
                case_id=request.case_id, ref=f"signing_request:{request.id}",
                expires_at=request.deadline_at, confidential=True)
    session.flush()
    _audit(session, request, actor=actor, action="signing.link_issued",
           payload={"participant_id": participant.id, "sent_by_sms": send, "expires_at": request.deadline_at})
    return code


def _notify_mediator(session: Session, settings: Settings, request: SigningRequest, p: SigningParticipant) -> None:
    """The mediator signs from their console (logged in, then an SMS code): the SMS only says it is their turn."""
    document = session.get(Document, request.document_id)
    case = session.get(Case, request.case_id)
    due = chinese_deadline(request.deadline_at)
    enqueue(session, kind="signing.mediator_turn", channel=Channel.SMS, recipient=p.phone, recipient_name=p.name,
            recipient_user_id=p.user_id,
            body=_fit_sms(settings, f"{case.number}《{document.title}》各方已签署，请于{due}前登录调解平台，"
                                    f"在案件页点“签署”完成调解员签名。",
                          f"各方已签署，请于{due}前登录调解平台，在案件页点“签署”完成调解员签名。"),
            case_id=request.case_id, ref=f"signing_request:{request.id}", expires_at=request.deadline_at)
    _audit(session, request, actor="system:signing", action="signing.link_issued",
           payload={"participant_id": p.id, "sent_by_sms": True, "console": True, "expires_at": request.deadline_at})


def resend_link(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
                participant: SigningParticipant, actor: User) -> str:
    """An officer sends a signer a fresh link (a lost SMS, a locked code); the old link stops working."""
    if actor.role not in (Role.ADMIN, Role.CASE_OFFICER):
        raise Forbidden("a new signing link is sent by a case officer")
    request = lock_request(session, request.id)
    _check_open(request)
    if participant.status != SignerStatus.PENDING.value or participant.kind in (SignerKind.SEAL.value,
                                                                                 SignerKind.MEDIATOR.value):
        raise Conflict(f"this signer is '{participant.status}' and has no link to renew")
    return issue_link(session, settings, tokens, request=request, participant=participant, actor=_actor(actor),
                      send=True)


def chinese_deadline(value: datetime) -> str:
    """12月9日 18:00 (Beijing time), as the SMS states it."""
    from ..timeutil import SHANGHAI

    local = value.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


# -- authorisation letters (授权委托书) ----------------------------------------------------------------------

def upload_authorisation(session: Session, *, request: SigningRequest, participant: SigningParticipant,
                         pdf: bytes, actor: User) -> SigningParticipant:
    seal_images.check_may_file(request=request, participant=participant, actor=actor, what="an authorisation letter")
    uploads.check_letter(pdf)
    participant.authorisation_doc = pdf
    participant.authorisation_content_type = "application/pdf"
    participant.authorisation_sha256 = hashlib.sha256(pdf).hexdigest()
    participant.authorisation_checked_by, participant.authorisation_checked_at = None, None
    session.add(participant)
    session.flush()
    _audit(session, request, actor=_actor(actor), action="signing.authorisation_uploaded",
           payload={"participant_id": participant.id, "sha256": participant.authorisation_sha256, "size": len(pdf)})
    return participant


def approve_authorisation(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
                          participant: SigningParticipant, actor: User) -> SigningRequest:
    """An officer has read the letter and accepts it; once every letter is accepted the request opens."""
    if actor.role not in (Role.ADMIN, Role.CASE_OFFICER):
        raise Forbidden("an authorisation letter is checked by a case officer")
    if request.status != RequestStatus.AWAITING_AUTHORISATION.value:
        raise Conflict(f"the request is '{request.status}'")
    if participant.authorisation_doc is None:
        raise Conflict("no authorisation letter has been uploaded for this representative")
    participant.authorisation_checked_by = actor.id
    participant.authorisation_checked_at = utcnow()
    session.add(participant)
    session.flush()
    _audit(session, request, actor=_actor(actor), action="signing.authorisation_approved",
           payload={"participant_id": participant.id, "sha256": participant.authorisation_sha256})
    pending = [p for p in participants_of(session, request.id)
               if p.kind == SignerKind.REPRESENTATIVE.value and p.authorisation_checked_at is None]
    if not pending:
        request.status = RequestStatus.OPEN.value
        request.updated_at = utcnow()
        session.add(request)
        session.flush()
        _audit(session, request, actor=_actor(actor), action="signing.request_opened_for_signing")
        _activate_next_stage(session, settings, tokens, request, actor=_actor(actor))
    return request


# -- the signer: link, code, session -------------------------------------------------------------------------

class LinkUnknown(NotFound):
    slug, title = "signing-link-unknown", "This signing link does not exist"


class SignerStateError(Conflict):
    """The signer's page cannot do this in the request's or signer's present state (``signer_state``)."""

    slug, title = "signing-state", "Signing is not possible in this state"


# What a signer's page says; only "open" signs, "open" and "completed" (the download) send codes.
SIGNER_STATES = ("open", "waiting", "not_open", "signed", "completed", "declined", "declined_other", "voided",
                 "expired", "locked", "replaced")


def _check_open(request: SigningRequest) -> None:
    if request.status == RequestStatus.OPEN.value and request.deadline_at <= utcnow():
        raise SigningRequestExpired("the signing deadline has passed", deadline_at=request.deadline_at.isoformat(),
                                    signer_state="expired")
    if request.status != RequestStatus.OPEN.value:
        raise Conflict(f"the signing request is '{request.status}'", request_status=request.status)


def signer_state(request: SigningRequest, participant: SigningParticipant, link: SigningLink | None = None,
                 *, now: datetime | None = None) -> str:
    """Where this signer stands, in the terms of their page (one of SIGNER_STATES)."""
    now = now or utcnow()
    if request.status == RequestStatus.COMPLETED.value:
        return "completed"
    if participant.status == SignerStatus.SIGNED.value:
        return "signed"
    if participant.status == SignerStatus.DECLINED.value:
        return "declined"
    if request.status == RequestStatus.DECLINED.value:
        return "declined_other"
    if request.status == RequestStatus.VOIDED.value:
        return "voided"
    if request.status == RequestStatus.EXPIRED.value or request.deadline_at <= now:
        return "expired"
    if request.status == RequestStatus.AWAITING_AUTHORISATION.value:
        return "not_open"
    if link is not None and link.replaced_at is not None:
        return "replaced"
    if participant.status == SignerStatus.WAITING.value:
        return "waiting"
    if participant.otp_locked:
        return "locked"
    return "open"


def _require_state(state: str, *allowed: str) -> None:
    if state in allowed:
        return
    if state == "expired":
        raise SigningRequestExpired("the signing deadline has passed", signer_state=state)
    if state == "locked":
        raise CodeLocked("too many wrong codes; ask the center for a new signing link", signer_state=state)
    if state == "waiting":
        raise NotYourTurn("signers of an earlier stage have not signed yet", signer_state=state)
    raise SignerStateError(f"this signer's page is '{state}'", signer_state=state)


def find_link(session: Session, keystore, *, code: str) -> tuple[SigningRequest, SigningParticipant, SigningLink]:
    """The signer a short link belongs to (any state); LinkUnknown for a code the service never sent."""
    normalised = identity.normalise_link_code(code)
    link = None
    if normalised is not None:
        link = session.exec(select(SigningLink).where(
            SigningLink.code_hash == identity.hash_link_code(_secret(keystore), normalised))).first()
    if link is None:
        raise LinkUnknown("this signing link does not exist; check the address in the text message")
    participant = session.get(SigningParticipant, link.participant_id, populate_existing=True)
    request = session.get(SigningRequest, participant.request_id, populate_existing=True)
    return request, participant, link


def lookup_link(session: Session, keystore, *, code: str, address: str) -> tuple[SigningRequest,
                                                                               SigningParticipant, SigningLink]:
    """``find_link`` for a visitor: unknown codes are counted per address, and too many are refused."""
    from ..security import throttle

    throttle.ensure_allowed(session, bucket="signing-link", key=address, limit=LINK_LOOKUP_LIMIT,
                            window=LINK_LOOKUP_WINDOW, message="too many unknown signing links from this address; "
                                                               "try again in 15 minutes")
    try:
        return find_link(session, keystore, code=code)
    except LinkUnknown:
        throttle.count_attempt(session, bucket="signing-link", key=address)
        raise


def open_link(session: Session, keystore, *, code: str, address: str) -> dict[str, Any]:
    """What the link's page shows; the first opening is recorded for the officers' timeline."""
    request, participant, link = lookup_link(session, keystore, code=code, address=address)
    state = signer_state(request, participant, link)
    if participant.link_opened_at is None and state == "open":
        participant.link_opened_at = utcnow()
        session.add(participant)
        session.flush()
        _audit(session, request, actor=_signer_actor(participant), action="signing.link_opened",
               payload={"participant_id": participant.id})
    return _page_facts(session, request, participant, state)


def _page_facts(session: Session, request: SigningRequest, participant: SigningParticipant,
                state: str) -> dict[str, Any]:
    document = session.get(Document, request.document_id)
    case = session.get(Case, request.case_id)
    return {"state": state, "request_id": request.id, "participant_id": participant.id, "name": participant.name,
            "role": participant.role_label, "on_behalf_of": participant.on_behalf_of, "mode": participant.mode,
            "kind": participant.kind, "case_number": case.number, "document_id": document.id,
            "document_title": document.title, "document_kind": document.kind, "document_sha256": document.sha256,
            "deadline_at": request.deadline_at, "deadline_cn": chinese_deadline(request.deadline_at),
            "phone": identity.mask_phone(participant.phone),
            "signed_at": participant.signed_at, "completed_at": request.completed_at,
            "declined_reason": participant.declined_reason if state == "declined" else None,
            "closed_at": request.updated_at if state in ("declined", "declined_other", "voided") else None}


def _send_code(session: Session, settings: Settings, keystore: KeyStore, request: SigningRequest,
               participant: SigningParticipant) -> dict[str, Any]:
    """A one-time code to the signer's phone on record (throttled: one a minute, five per link)."""
    now = utcnow()
    if participant.otp_sent_at is not None and now - participant.otp_sent_at < identity.OTP_RESEND_GAP:
        wait = identity.OTP_RESEND_GAP - (now - participant.otp_sent_at)
        raise TooManyRequests("a code was sent a moment ago; wait before asking again",
                              retry_after_seconds=max(1, int(wait.total_seconds()) + 1))
    if participant.otp_sends >= identity.OTP_MAX_SENDS:
        raise TooManyRequests("no more codes for this link; ask the center for a new signing link",
                              retry_after_seconds=3600)
    code = identity.new_code()
    participant.otp_hash = identity.hash_code(identity.secret_from_keystore(keystore), participant_id=participant.id,
                                              code=code)
    participant.otp_expires_at = now + identity.OTP_LIFETIME
    participant.otp_sent_at = now
    participant.otp_sends += 1  # wrong tries are not reset by a new code: 5 per link, whatever was resent
    session.add(participant)
    enqueue(session, kind="signing.otp", channel=Channel.SMS, recipient=participant.phone,
            recipient_name=participant.name, recipient_user_id=participant.user_id,
            body=f"【{settings.center_name}】签署验证码 {code}，5分钟内有效。请勿告诉他人，包括调解中心工作人员。",
            case_id=request.case_id, ref=f"signing_participant:{participant.id}",
            expires_at=participant.otp_expires_at, confidential=True)
    session.flush()
    _audit(session, request, actor=_signer_actor(participant), action="signing.code_sent",
           payload={"participant_id": participant.id, "sends": participant.otp_sends})
    return {"phone": identity.mask_phone(participant.phone), "expires_at": participant.otp_expires_at,
            "resend_after_seconds": int(identity.OTP_RESEND_GAP.total_seconds())}


def request_code(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                 link_code: str, address: str = "") -> dict[str, Any]:
    """Send a one-time code to the signer's phone on record: to sign, or (after the seal) to download."""
    request, participant, link = lookup_link(session, keystore, code=link_code, address=address)
    request = lock_request(session, request.id)
    _require_state(signer_state(request, participant, link), "open", "completed")
    if participant.kind == SignerKind.MEDIATOR.value:
        raise SignerStateError("the mediator signs from the case page, logged in", signer_state="console")
    return _send_code(session, settings, keystore, request, participant)


def _count_failure(session: Session, participant_id: int, request_id: int, case_id: int, reason: str) -> None:
    engine = session.get_bind()

    def write() -> None:
        with unit_of_work(engine) as s:
            row = s.get(SigningParticipant, participant_id)
            row.otp_failures += 1
            row.otp_locked = row.otp_failures >= identity.OTP_MAX_FAILURES
            s.add(row)
            s.flush()
            record(s, actor=f"signer:{row.id}:{row.name}", action="signing.identity_failed",
                   subject=f"signing_request:{request_id}", case_id=case_id,
                   payload={"participant_id": row.id, "reason": reason, "failures": row.otp_failures,
                            "locked": row.otp_locked})

    after_transaction(session, write)


def _check_code(session: Session, keystore: KeyStore, request: SigningRequest, participant: SigningParticipant, *,
                code: str, id_last4: str | None, check_id: bool) -> None:
    """The SMS code (and the ID's last four characters); a failure counts towards the lock."""
    now = utcnow()
    if participant.otp_locked:
        raise CodeLocked("too many wrong codes; ask the center for a new signing link", signer_state="locked")
    if participant.otp_hash is None or participant.otp_expires_at is None or participant.otp_expires_at <= now:
        raise Unauthenticated("the code has expired or was never sent; ask for a new code", code_expired=True)
    secret = identity.secret_from_keystore(keystore)
    code_ok = identity.code_matches(secret, participant_id=participant.id, code=code, stored=participant.otp_hash)
    id_ok = not check_id or identity.id_last4_matches(secret, typed=id_last4, stored=participant.id_last4_hash)
    if not (code_ok and id_ok):
        _count_failure(session, participant.id, request.id, request.case_id,
                       "wrong code" if not code_ok else "wrong ID number")
        left = identity.OTP_MAX_FAILURES - participant.otp_failures - 1
        if left <= 0:
            raise CodeLocked("too many wrong attempts; ask the center for a new signing link", signer_state="locked")
        raise Unauthenticated("the code or the last four characters of the ID number are wrong",
                              attempts_left=left)


def _start_session(session: Session, tokens: TokenService, request: SigningRequest, participant: SigningParticipant,
                   *, checks: list[str], state: str, client: Client) -> dict[str, Any]:
    """A signer-session token; any earlier session (another browser) stops, the progress on the row stays."""
    now = utcnow()
    reentry = participant.otp_verified_at is not None
    if state == "open":
        participant.otp_verified_at = now
        participant.id_verified_at = now if "id_last4" in checks else None
    else:
        participant.otp_sends = 0  # the final copy stays downloadable for the life of the case
    participant.otp_hash = None
    lifetime = SESSION_LIFETIME if state != "open" else min(SESSION_LIFETIME, request.deadline_at - now)
    token, claims = tokens.issue(subject=f"signer:{participant.id}", purpose=SESSION_PURPOSE, lifetime=lifetime,
                                 claims={"req": request.id, "doc": claims_doc(session, request)})
    participant.session_jti = claims["jti"]
    session.add(participant)
    session.flush()
    _audit(session, request, actor=_signer_actor(participant), action="signing.identity_verified",
           payload={"participant_id": participant.id, "mode": participant.mode, "checks": checks,
                    "for": "signing" if state == "open" else "download", "again": reentry,
                    "address": client.address, "user_agent": client.user_agent[:300]})
    return {"session_token": token, "expires_at": datetime.fromtimestamp(claims["exp"], tz=timezone.utc)}


def verify_identity(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                    link_code: str, code: str, id_last4: str | None, client: Client) -> dict[str, Any]:
    """Check the SMS code and the ID's last four characters; returns a signer-session token.

    The link stays valid until the deadline: proving again (in another browser) continues where they stopped."""
    request, participant, link = lookup_link(session, keystore, code=link_code, address=client.address)
    request = lock_request(session, request.id)
    state = signer_state(request, participant, link)
    _require_state(state, "open", "completed")
    if participant.kind == SignerKind.MEDIATOR.value:
        raise SignerStateError("the mediator signs from the case page, logged in", signer_state="console")
    _check_code(session, keystore, request, participant, code=code, id_last4=id_last4, check_id=True)
    return _start_session(session, tokens, request, participant, checks=["sms_code", "id_last4"], state=state,
                          client=client)


def _console_signer(session: Session, request: SigningRequest, user: User) -> SigningParticipant:
    participant = next((p for p in participants_of(session, request.id)
                        if p.kind == SignerKind.MEDIATOR.value and p.user_id == user.id), None)
    if participant is None:
        raise Forbidden("only the case's mediator signs here, logged in with their own account")
    return participant


def console_code(session: Session, settings: Settings, keystore: KeyStore, *, request: SigningRequest,
                 user: User) -> dict[str, Any]:
    """The mediator, logged in, asks for the SMS code to sign from their console."""
    request = lock_request(session, request.id)
    participant = _console_signer(session, request, user)
    _require_state(signer_state(request, participant), "open")
    return _send_code(session, settings, keystore, request, participant)


def console_verify(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                   request: SigningRequest, user: User, code: str, client: Client) -> dict[str, Any]:
    """Logged in (the account) + the SMS code to the phone on record: a signer session for the mediator."""
    request = lock_request(session, request.id)
    participant = _console_signer(session, request, user)
    state = signer_state(request, participant)
    _require_state(state, "open")
    _check_code(session, keystore, request, participant, code=code, id_last4=None, check_id=False)
    return _start_session(session, tokens, request, participant, checks=["account_login", "sms_code"], state=state,
                          client=client)


def claims_doc(session: Session, request: SigningRequest) -> str:
    return session.get(Document, request.document_id).sha256


def _from_session(session: Session, tokens: TokenService, token: str, *,
                  lock: bool) -> tuple[SigningRequest, SigningParticipant]:
    claims = tokens.decode(token, purpose=SESSION_PURPOSE)
    subject = str(claims.get("sub", ""))
    if not subject.startswith("signer:") or not isinstance(claims.get("req"), int):
        raise Unauthenticated("not a signing session")
    request = lock_request(session, claims["req"]) if lock else session.get(SigningRequest, claims["req"],
                                                                             populate_existing=True)
    participant = session.get(SigningParticipant, int(subject.split(":", 1)[1]), populate_existing=True)
    if request is None or participant is None or participant.request_id != request.id:
        raise Unauthenticated("this signing session is not valid")
    if not participant.session_jti or participant.session_jti != claims["jti"]:
        raise Unauthenticated("this signing session continues in another browser; prove who you are again here",
                              signer_state="session_replaced")
    if claims.get("doc") != claims_doc(session, request):
        raise Unauthenticated("the document this session was opened for is no longer the one being signed")
    return request, participant


def signer_session(session: Session, tokens: TokenService, *, session_token: str,
                   lock: bool = False) -> tuple[SigningRequest, SigningParticipant]:
    """The session of a signer who may sign now (open request, their turn)."""
    request, participant = _from_session(session, tokens, session_token, lock=lock)
    _require_state(signer_state(request, participant), "open")
    _check_open(request)
    return request, participant


def signer_home(session: Session, tokens: TokenService, *, session_token: str) -> dict[str, Any]:
    """What the signer's page shows for this session, in any state (signed, sealed, voided ...)."""
    request, participant = _from_session(session, tokens, session_token, lock=False)
    return _page_facts(session, request, participant, signer_state(request, participant))


def signer_view(session: Session, tokens: TokenService, *, session_token: str,
                language: str = "zh-CN") -> dict[str, Any]:
    request, participant = signer_session(session, tokens, session_token=session_token)
    origins = allowed_key_origins(participant)
    kind = session.get(Document, request.document_id).kind
    texts = {origin: (words := consent_texts(origin, kind)).get(language, words["zh-CN"]) for origin in origins}
    return {**_page_facts(session, request, participant, "open"), "key_origin": origins[0],
            "consent_text": texts[origins[0]], "consent_texts": texts,
            "document_viewed": participant.document_viewed_at is not None,
            "consent_given": participant.consent_at is not None,
            "drawing_saved": participant.drawing_png is not None}


def allowed_key_origins(participant: SigningParticipant) -> tuple[str, ...]:
    """Where this signer's key may be made: their own device (everyone but an institution with its own
    certificate); the center's system only on site, when the center's tablet cannot make a key itself."""
    if participant.mode == SigningMode.EXTERNAL.value:
        return (KEY_INSTITUTION,)
    if participant.mode == SigningMode.ONSITE.value:
        return (KEY_SIGNER_DEVICE, KEY_CENTER_SERVER)
    return (KEY_SIGNER_DEVICE,)


def signer_document(session: Session, tokens: TokenService, *, session_token: str) -> bytes:
    """The whole document as it stands now; reading it is recorded (a signer must read before signing)."""
    request, participant = signer_session(session, tokens, session_token=session_token)
    pdf = current_pdf(session, request)
    participant.document_viewed_at = utcnow()
    session.add(participant)
    session.flush()
    _audit(session, request, actor=_signer_actor(participant), action="signing.document_viewed",
           payload={"participant_id": participant.id, "sha256": hashlib.sha256(pdf).hexdigest()})
    return pdf


def accept_consent(session: Session, tokens: TokenService, *, session_token: str, consent_text: str,
                   key_origin: str | None = None) -> str:
    """The signer's consent, in the words that are true for where their key is made (CONSENT_TEXTS)."""
    request, participant = signer_session(session, tokens, session_token=session_token)
    if participant.document_viewed_at is None:
        raise Conflict("read the whole document before accepting")
    origins = allowed_key_origins(participant)
    key_origin = key_origin or origins[0]
    if key_origin not in origins:
        raise InvalidInput(f"this signer's key is not made by '{key_origin}'")
    if consent_text.strip() not in consent_texts(key_origin, session.get(Document, request.document_id).kind).values():
        raise InvalidInput("the consent text does not match the one shown to the signer")
    participant.key_origin = key_origin
    participant.consent_sha256 = hashlib.sha256(consent_text.strip().encode()).hexdigest()
    participant.consent_at = utcnow()
    session.add(participant)
    session.flush()
    _audit(session, request, actor=_signer_actor(participant), action="signing.consent_given",
           payload={"participant_id": participant.id, "consent_sha256": participant.consent_sha256,
                    "key_origin": key_origin})
    return participant.consent_sha256


def save_drawing(session: Session, tokens: TokenService, *, session_token: str, png: bytes) -> str:
    request, participant = signer_session(session, tokens, session_token=session_token)
    uploads.check_drawing(png)
    participant.drawing_png = png
    session.add(participant)
    session.flush()
    digest = hashlib.sha256(png).hexdigest()
    _audit(session, request, actor=_signer_actor(participant), action="signing.drawing_saved",
           payload={"participant_id": participant.id, "sha256": digest, "size": len(png)})
    return digest


def _check_ready(session: Session, request: SigningRequest, participant: SigningParticipant) -> None:
    if participant.kind == SignerKind.SEAL.value:
        raise Conflict("the center's seal is applied by an officer")
    earlier = [p for p in participants_of(session, request.id)
               if p.stage < participant.stage and p.status != SignerStatus.SIGNED.value]
    if earlier:
        raise NotYourTurn("signers of an earlier stage have not signed yet", waiting_for=[p.id for p in earlier])
    missing = [name for name, value in (("identity", participant.otp_verified_at),
                                        ("document_viewed", participant.document_viewed_at),
                                        ("consent", participant.consent_at)) if value is None]
    if participant.mode != SigningMode.EXTERNAL.value and participant.drawing_png is None:
        missing.append("drawing")
    if missing:
        raise Conflict(f"not ready to sign: {', '.join(missing)} missing", missing=missing)


def _evidence(session: Session, request: SigningRequest, participant: SigningParticipant, *, sha_before: str,
              client: Client) -> dict[str, Any]:
    case = session.get(Case, request.case_id)
    document = session.get(Document, request.document_id)
    host = session.get(User, participant.onsite_host_user_id) if participant.onsite_host_user_id else None
    checked_by = session.get(User, participant.authorisation_checked_by) if participant.authorisation_checked_by else None
    return {
        "version": 1,
        "case_number": case.number, "request_id": request.id, "participant_id": participant.id,
        "document": {"id": document.id, "title": document.title, "finalised_sha256": document.sha256,
                     "sha256_before": sha_before},
        "signer": {"name": participant.name, "role": participant.role_label, "kind": participant.kind,
                   "id_masked": participant.id_masked, "on_behalf_of": participant.on_behalf_of},
        "mode": participant.mode,
        "identity": {"sms_code_verified_at": participant.otp_verified_at,
                     "phone": identity.mask_phone(participant.phone),
                     "id_last4_verified_at": participant.id_verified_at},
        "onsite_host": {"user_id": host.id, "name": host.display_name} if host else None,
        "document_viewed_at": participant.document_viewed_at,
        "consent": {"sha256": participant.consent_sha256, "at": participant.consent_at},
        "drawing_sha256": hashlib.sha256(participant.drawing_png).hexdigest() if participant.drawing_png else None,
        "authorisation_letter": {"sha256": participant.authorisation_sha256,
                                 "institution_seal_sha256": participant.institution_seal_sha256,
                                 "checked_by": checked_by.display_name if checked_by else None,
                                 "checked_at": participant.authorisation_checked_at}
        if participant.kind == SignerKind.REPRESENTATIVE.value else None,
        "client": {"address": client.address, "user_agent": client.user_agent[:300]},
        "confirmed_at": utcnow(),
        "key": None,  # where the signing key was made (set by each signing path)
    }


def _store_revision(session: Session, *, request: SigningRequest, kind: str, pdf: bytes, sha_before: str,
                    participant: SigningParticipant | None = None, cert_serial: str | None = None,
                    evidence: str | None = None) -> SignedRevision:
    """Add the new revision and move the request's pointer to it (the last step before commit)."""
    sequence = (session.execute(select(func.max(SignedRevision.sequence))
                                .where(SignedRevision.document_id == request.document_id)).scalar() or 0) + 1
    revision = SignedRevision(document_id=request.document_id, request_id=request.id, sequence=sequence, kind=kind,
                              participant_id=participant.id if participant else None, pdf=pdf,
                              sha256_before=sha_before, sha256_after=hashlib.sha256(pdf).hexdigest(),
                              cert_serial=cert_serial, evidence=evidence,
                              evidence_sha256=hashlib.sha256(evidence.encode()).hexdigest() if evidence else None,
                              timestamp_expires_at=pades.last_timestamp_expiry(pdf) if kind == "lta" else None)
    session.add(revision)
    request.current_sha256 = revision.sha256_after
    request.revision += 1
    request.updated_at = utcnow()
    session.add(request)
    session.flush()
    return revision


def confirm(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, timestamper, *,
            session_token: str, client: Client) -> SignedRevision:
    """Sign: issue a one-time certificate carrying the evidence hash, sign PAdES B-T, destroy the key."""
    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.mode == SigningMode.EXTERNAL.value:
        raise Conflict("this signer signs with their own certificate (prepare_external / finish_external)")
    if participant.key_origin != KEY_CENTER_SERVER:
        raise Conflict("this signer signs with a key made in their own browser (session/key/prepare, then "
                       "session/key/finish); the center's key is only the on-site fallback", key_origin="signer_device")
    _check_ready(session, request, participant)
    case = session.get(Case, request.case_id)
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    record_ = _evidence(session, request, participant, sha_before=sha_before, client=client)
    record_["key"] = {"origin": KEY_CENTER_SERVER,
                      "generated": "by the center's system for this one signature, on site, destroyed after use"}
    evidence = canonical_json(record_)
    credential = credentials.issue_for(
        session, settings, keystore, case_id=case.id,
        identity=pades.SignerIdentity(participant.name, participant.id_masked, case.number, participant.role_label),
        evidence_sha256=hashlib.sha256(evidence.encode()).digest())
    mark = _signer_mark(session, request, participant)
    try:
        signed = credentials.timestamped(lambda: pades.sign(
            pdf, signer=credential.pyhanko_signer(), timestamper=timestamper,
            field=_field_of(participant),
            appearance_png=participant.drawing_png, reason=f"{participant.role_label}签署",
            location=settings.center_name if participant.mode == SigningMode.ONSITE.value else None,
            validation_context=lambda: credentials.lta_context(session, keystore), stamp_style=mark))
    finally:
        credential.destroy()
    serial = f"{credential.cert.serial_number:x}"
    revision = _store_revision(session, request=request, kind="signature", pdf=signed, sha_before=sha_before,
                               participant=participant, cert_serial=serial, evidence=evidence)
    return _signed(session, settings, tokens, request, participant, revision)


def _signer_mark(session: Session, request: SigningRequest, participant: SigningParticipant):
    """The visible mark in the signer's block: drawn signature, name (授权代表 for a representative), time."""
    document = session.get(Document, request.document_id)
    representative = participant.kind == SignerKind.REPRESENTATIVE.value
    return appearance.signer_mark(
        drawing_png=participant.drawing_png, name=participant.name, signed_at=utcnow(),
        institution_seal_png=seal_images.checked_seal_image(participant),
        capacity=("授权代表" if document.language == "zh-CN" else "authorised representative") if representative else None,
        language=document.language)


def _field_of(participant: SigningParticipant) -> pades.FieldPlacement:
    """The signer's field, with no box of our own: a document rendered from a template has an empty field in
    each signer's block (from its layout) and the signature fills it; a PDF without one (made elsewhere) gets an
    invisible signature, never a mark over its text or page footer."""
    return pades.FieldPlacement(participant.field_name, -1, None)


def _signed(session: Session, settings: Settings, tokens: TokenService, request: SigningRequest,
            participant: SigningParticipant, revision: SignedRevision) -> SignedRevision:
    participant.status = SignerStatus.SIGNED.value
    participant.signed_at = utcnow()
    # the session stays: a refresh or the back button shows "signed", not an invalid link
    participant.prepared_pdf = participant.prepared_attrs = participant.prepared_evidence = None
    session.add(participant)
    session.flush()
    _audit(session, request, actor=_signer_actor(participant), action="signing.signed",
           payload={"participant_id": participant.id, "sequence": revision.sequence, "kind": revision.kind,
                    "sha256_before": revision.sha256_before, "sha256_after": revision.sha256_after,
                    "cert_serial": revision.cert_serial, "evidence_sha256": revision.evidence_sha256})
    stage_left = [p for p in participants_of(session, request.id)
                  if p.stage == participant.stage and p.status != SignerStatus.SIGNED.value]
    if not stage_left:
        _activate_next_stage(session, settings, tokens, request, actor="system:signing")
    return revision


# -- the key in the signer's browser (WebCrypto; pyHanko interrupted signing) ---------------------------------

def possession_challenge(tokens: TokenService, participant: SigningParticipant) -> str:
    """What the browser signs to show it holds the key: bound to this signer's current session."""
    import hmac

    mac = hmac.new(_secret(tokens), f"possession\x1f{participant.id}\x1f{participant.session_jti}".encode(),
                   hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def signer_challenge(session: Session, tokens: TokenService, *, session_token: str) -> str:
    _request, participant = signer_session(session, tokens, session_token=session_token)
    return possession_challenge(tokens, participant)


def prepare_browser_key(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                        session_token: str, public_key_der: bytes, possession_signature: bytes,
                        client: Client) -> dict[str, Any]:
    """The browser's public key (with its proof of possession) -> the one-time certificate for it and the CMS
    signed attributes for the browser to sign. Nothing of the private key ever reaches the service."""
    from . import remote_key

    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    _check_ready(session, request, participant)
    if participant.key_origin != KEY_SIGNER_DEVICE:
        raise Conflict("the consent given is for another kind of key; give it again for a key made on this device",
                       missing=["consent"])
    try:
        public_key = remote_key.verify_possession(public_key_der, challenge=possession_challenge(tokens, participant),
                                                  raw_signature=possession_signature)
    except remote_key.KeyRefused as exc:
        raise InvalidInput(f"the browser's key was refused: {exc}") from None
    case = session.get(Case, request.case_id)
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    record_ = _evidence(session, request, participant, sha_before=sha_before, client=client)
    record_["key"] = {"origin": KEY_SIGNER_DEVICE,
                      "generated": "in the signer's browser (WebCrypto, ECDSA P-256, not extractable)",
                      "public_key_sha256": hashlib.sha256(public_key_der).hexdigest(),
                      "possession_verified_at": utcnow()}
    evidence = canonical_json(record_)
    cert, chain = credentials.issue_for_public_key(
        session, settings, keystore, case_id=case.id, public_key=public_key,
        identity=pades.SignerIdentity(participant.name, participant.id_masked, case.number, participant.role_label),
        evidence_sha256=hashlib.sha256(evidence.encode()).digest())
    prepared = remote_key.prepare(pdf, cert=cert, chain=chain,
                                  field=_field_of(participant),
                                  appearance_png=participant.drawing_png, reason=f"{participant.role_label}签署",
                                  stamp_style=_signer_mark(session, request, participant))
    from cryptography.hazmat.primitives.serialization import Encoding

    participant.public_key_der = public_key_der
    participant.prepared_pdf = prepared.prepared.pdf_with_placeholder
    participant.prepared_digest = prepared.prepared.document_digest.hex()
    participant.prepared_region = f"{prepared.prepared.reserved_region_start}-{prepared.prepared.reserved_region_end}"
    participant.prepared_base_sha256 = sha_before
    participant.prepared_attrs = prepared.signed_attrs_der
    participant.prepared_cert_der = cert.public_bytes(Encoding.DER)
    participant.prepared_evidence = evidence
    session.add(participant)
    session.flush()
    serial = f"{cert.serial_number:x}"
    _audit(session, request, actor=_signer_actor(participant), action="signing.key_certified",
           payload={"participant_id": participant.id, "cert_serial": serial, "key_origin": KEY_SIGNER_DEVICE,
                    "public_key_sha256": record_["key"]["public_key_sha256"], "sha256_before": sha_before})
    return {"signed_attributes_b64": base64.b64encode(prepared.signed_attrs_der).decode(),
            "certificate_serial": serial, "sha256_before": sha_before}


def finish_browser_key(session: Session, settings: Settings, tokens: TokenService, timestamper, *,
                       session_token: str, signature: bytes) -> SignedRevision:
    """The browser's ECDSA signature over the signed attributes: checked, timestamped, embedded (PAdES B-T)."""
    from cryptography import x509

    from . import remote_key

    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.prepared_attrs is None or participant.prepared_cert_der is None:
        raise Conflict("prepare the signature with the browser's key first")
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    if sha_before != participant.prepared_base_sha256:
        raise DocumentChanged("another signature was added since this was prepared; prepare again")
    cert = x509.load_der_x509_certificate(participant.prepared_cert_der)
    start, end = (int(x) for x in participant.prepared_region.split("-"))
    prepared = remote_key.PreparedForBrowser(
        pades.PreparedExternal(participant.prepared_pdf, bytes.fromhex(participant.prepared_digest), start, end),
        participant.prepared_attrs)
    try:
        signed = credentials.timestamped(lambda: remote_key.finish(
            prepared, cert=cert, chain=credentials.signer_chain(tokens.keystore),
            raw_signature=signature, timestamper=timestamper,
            validation_context=lambda: credentials.lta_context(session, tokens.keystore)))
    except remote_key.KeyRefused as exc:
        raise InvalidInput(f"the browser's signature was refused: {exc}") from None
    revision = _store_revision(session, request=request, kind="signature", pdf=signed, sha_before=sha_before,
                               participant=participant, cert_serial=f"{cert.serial_number:x}",
                               evidence=participant.prepared_evidence)
    return _signed(session, settings, tokens, request, participant, revision)


# -- the center's seal and B-LTA -----------------------------------------------------------------------------

def apply_seal(session: Session, settings: Settings, keystore: KeyStore, timestamper, *, request: SigningRequest,
               actor: User) -> SignedRevision:
    """The center's seal (last signer), then DSS + document timestamp (B-LTA); completes the request."""
    if actor.role not in (Role.ADMIN, Role.CASE_OFFICER):
        raise Forbidden("the center's seal is applied by a case officer")
    request = lock_request(session, request.id)
    _check_open(request)
    seal = next(p for p in participants_of(session, request.id) if p.kind == SignerKind.SEAL.value)
    if seal.status != SignerStatus.PENDING.value:
        raise NotYourTurn("the parties and the mediator sign before the seal is applied")
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    signer = credentials.seal_signer(keystore, settings)
    sealed = credentials.validated(lambda: credentials.timestamped(lambda: pades.sign(
        pdf, signer=signer, timestamper=timestamper,
        field=_field_of(seal),
        appearance_png=None, reason="调解组织盖章", location=settings.center_name,
        validation_context=lambda: credentials.lta_context(session, keystore),
        stamp_style=appearance.seal_mark(center_name=settings.center_name, purpose=settings.seal_purpose,
                                         signed_at=utcnow(), language=session.get(Document, request.document_id).language))))
    evidence = canonical_json({"version": 1, "kind": "seal", "request_id": request.id,
                               "sha256_before": sha_before, "applied_by": _actor(actor), "at": utcnow()})
    seal_serial = f"{signer.signing_cert.serial_number:x}"
    seal_revision = _store_revision(session, request=request, kind="seal", pdf=sealed, sha_before=sha_before,
                                    participant=seal, cert_serial=seal_serial, evidence=evidence)
    seal.status, seal.signed_at = SignerStatus.SIGNED.value, utcnow()
    session.add(seal)
    _audit(session, request, actor=_actor(actor), action="signing.sealed",
           payload={"sequence": seal_revision.sequence, "sha256_after": seal_revision.sha256_after,
                    "cert_serial": seal_serial})
    revision = close_to_lta(session, keystore, timestamper, request=request, actor=_actor(actor), settings=settings)
    _announce_effect(session, settings, keystore, request)
    return revision


def _announce_effect(session: Session, settings: Settings, keystore: KeyStore, request: SigningRequest) -> None:
    """Every signer is told the agreement took effect, with a link to download the final signed PDF (after an
    SMS code, for the life of the case); the mediator downloads it from the case page."""
    document = session.get(Document, request.document_id)
    told = []
    for p in participants_of(session, request.id):
        if p.kind == SignerKind.SEAL.value or not p.phone:
            continue
        effect = "已生效" if document.kind == "agreement" else "已签署完成"
        if p.kind == SignerKind.MEDIATOR.value:
            text = f"《{document.title}》已由各方签署并加盖调解中心印章，{effect}。请登录调解平台在案件页下载。"
        else:
            url = link_url(settings, _new_link(session, keystore, p, "download"))
            p.otp_sends, p.otp_failures, p.otp_locked = 0, 0, False  # the download starts with fresh codes
            text = f"《{document.title}》已由各方签署并加盖调解中心印章，{effect}。下载签署文件：{url} "
        enqueue(session, kind="signing.completed", channel=Channel.SMS, recipient=p.phone, recipient_name=p.name,
                recipient_user_id=p.user_id, body=_fit_sms(settings, text), case_id=request.case_id,
                ref=f"signing_completed:{request.id}")
        told.append(p.id)
    session.flush()
    _audit(session, request, actor="system:signing", action="signing.effect_announced", payload={"told": told})


def close_to_lta(session: Session, keystore: KeyStore, timestamper, *, request: SigningRequest,
                 actor: str, settings: Settings | None = None) -> SignedRevision:
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    context = credentials.lta_context(session, keystore, settings)
    closed = credentials.validated(lambda: credentials.timestamped(
        lambda: pades.close_lta(pdf, timestamper=timestamper, context=context)))
    revision = _store_revision(session, request=request, kind="lta", pdf=closed, sha_before=sha_before)
    request.status = RequestStatus.COMPLETED.value
    request.completed_at = utcnow()
    session.add(request)
    session.flush()
    _audit(session, request, actor=actor, action="signing.completed",
           payload={"sequence": revision.sequence, "sha256": revision.sha256_after,
                    "timestamp_expires_at": revision.timestamp_expires_at})
    document = session.get(Document, request.document_id)
    if document.status == DocumentStatus.SIGNING:
        mark_status(session, document=document, status=DocumentStatus.SIGNED, actor=actor,
                    payload={"signing_request_id": request.id, "signed_sha256": revision.sha256_after})
    if document.kind == "agreement":
        case = session.get(Case, request.case_id)
        if CaseStatus(case.status) == CaseStatus.SIGNING:
            # What the parties agreed to pay is what the center reports as settled (statistics).
            case.settled_amount = _agreed_amount(document)
            transition(session, case=case, target=CaseStatus.SIGNED, actor=actor,
                       payload={"document_id": document.id, "signing_request_id": request.id,
                                "settled_amount": None if case.settled_amount is None else str(case.settled_amount)})
    return revision


def _agreed_amount(document: Document) -> Decimal | None:
    payments = json.loads(document.inputs_json).get("payments") or []
    return sum((Decimal(str(p["amount"])) for p in payments), Decimal("0.00")) if payments else None


# -- institutions with their own certificate (pyHanko interrupted signing) -------------------------------------

def prepare_external(session: Session, tokens: TokenService, *, session_token: str) -> dict[str, Any]:
    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.mode != SigningMode.EXTERNAL.value or participant.external_cert_der is None:
        raise Conflict("this signer does not sign with their own certificate")
    _check_ready(session, request, participant)
    from cryptography import x509

    cert = x509.load_der_x509_certificate(participant.external_cert_der)
    pdf = current_pdf(session, request)
    prepared = pades.prepare_external(pdf, signer_cert=cert, chain=(),
                                      field=_field_of(participant),
                                      appearance_png=participant.drawing_png,
                                      reason=f"{participant.role_label}签署",
                                      stamp_style=_signer_mark(session, request, participant))
    participant.prepared_pdf = prepared.pdf_with_placeholder
    participant.prepared_digest = prepared.document_digest.hex()
    participant.prepared_region = f"{prepared.reserved_region_start}-{prepared.reserved_region_end}"
    participant.prepared_base_sha256 = hashlib.sha256(pdf).hexdigest()
    session.add(participant)
    session.flush()
    _audit(session, request, actor=_signer_actor(participant), action="signing.external_prepared",
           payload={"participant_id": participant.id, "digest": participant.prepared_digest,
                    "sha256_before": participant.prepared_base_sha256})
    return {"digest_algorithm": "sha256", "document_digest_hex": participant.prepared_digest,
            "document_digest_b64": base64.b64encode(prepared.document_digest).decode(),
            "certificate_serial": f"{cert.serial_number:x}"}


def finish_external(session: Session, settings: Settings, tokens: TokenService, timestamper, *,
                    session_token: str, cms_der: bytes, client: Client) -> SignedRevision:
    """Embed the institution's CMS if it is by the certificate on record and verifies over the prepared bytes."""
    from asn1crypto import cms
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature

    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    if participant.prepared_pdf is None or participant.mode != SigningMode.EXTERNAL.value:
        raise Conflict("prepare the document first")
    pdf = current_pdf(session, request)
    sha_before = hashlib.sha256(pdf).hexdigest()
    if sha_before != participant.prepared_base_sha256:
        raise DocumentChanged("another signature was added since this was prepared; prepare again")
    try:
        content = cms.ContentInfo.load(cms_der)
        signed_data = content["content"]
        sid = signed_data["signer_infos"][0]["sid"].chosen
        certs = [c.chosen for c in signed_data["certificates"] or []]
        signer_cert = next(c for c in certs if c.issuer == sid["issuer"]
                           and c.serial_number == sid["serial_number"].native)
    except (ValueError, TypeError, KeyError, StopIteration, AttributeError):
        raise InvalidInput("the signature is not a CMS SignedData carrying its signer's certificate") from None
    if signer_cert.dump() != participant.external_cert_der:
        raise InvalidInput("the CMS is signed with a certificate other than the one on record for this signer")
    start, end = (int(x) for x in participant.prepared_region.split("-"))
    prepared = pades.PreparedExternal(participant.prepared_pdf, bytes.fromhex(participant.prepared_digest), start, end)
    try:
        signed = credentials.timestamped(lambda: pades.finish_external(
            prepared, cms_der=cms_der, timestamper=timestamper,
            validation_context=lambda: credentials.lta_context(session, tokens.keystore, settings)))
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"the signature could not be embedded: {exc}") from None
    embedded = PdfFileReader(__import__("io").BytesIO(signed), strict=False).embedded_regular_signatures[-1]
    status = run_sync(async_validate_pdf_signature(embedded))
    if not (status.intact and status.valid):
        raise InvalidInput("the signature does not verify over the prepared document")
    evidence = _evidence(session, request, participant, sha_before=sha_before, client=client)
    evidence["external_certificate"] = {"serial": f"{signer_cert.serial_number:x}",
                                        "issuer": signer_cert.issuer.human_friendly,
                                        "subject": signer_cert.subject.human_friendly}
    evidence_json = canonical_json(evidence)
    participant.prepared_pdf = None
    revision = _store_revision(session, request=request, kind="signature", pdf=signed, sha_before=sha_before,
                               participant=participant, cert_serial=f"{signer_cert.serial_number:x}",
                               evidence=evidence_json)
    return _signed(session, settings, tokens, request, participant, revision)


# -- on-site signing at the center --------------------------------------------------------------------------

def start_onsite(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
                 participant: SigningParticipant, host: User) -> str:
    """A link for the mediator's tablet (not sent by SMS); the code still goes to the signer's own phone."""
    case = session.get(Case, request.case_id)
    if not (host.role == Role.MEDIATOR and case.mediator_user_id == host.id):
        raise Forbidden("on-site signing is hosted by the case's mediator")
    _check_open(request)
    if participant.kind in (SignerKind.SEAL.value, SignerKind.MEDIATOR.value):
        raise Conflict("the mediator and the seal do not sign through an on-site session")
    if participant.status != SignerStatus.PENDING.value:
        raise Conflict(f"this signer is '{participant.status}'")
    if participant.mode == SigningMode.EXTERNAL.value:
        raise Conflict("this signer signs with their own certificate")
    participant.mode = SigningMode.ONSITE.value
    participant.onsite_host_user_id = host.id
    session.add(participant)
    return issue_link(session, settings, tokens, request=request, participant=participant, actor=_actor(host),
                      send=False)


# -- declining, voiding, expiry, reminders -------------------------------------------------------------------

CLOSED_SMS = {
    RequestStatus.DECLINED: "{who}拒绝签署，《{title}》的本次签署已结束，您的签署链接不再可用。调解中心会与您联系。",
    RequestStatus.VOIDED: "《{title}》的本次签署已取消（{reason}），您的签署链接不再可用。调解中心会与您联系。",
    RequestStatus.EXPIRED: "《{title}》的签署已过截止时间，您的签署链接不再可用。如仍需签署，调解中心会重新发送。",
}


def _close(session: Session, settings: Settings, request: SigningRequest, status: RequestStatus, reason: str, *,
           who: str = "", skip: int | None = None) -> None:
    """Close the request: codes and sessions stop, unsent texts are withdrawn, and every signer who was sent
    a link (or has signed) is told by SMS, except ``skip`` (the signer who declined)."""
    request.status = status.value
    request.closed_reason = reason
    request.updated_at = utcnow()
    session.add(request)
    cancel_pending(session, ref=f"signing_request:{request.id}")
    document = session.get(Document, request.document_id)
    told = []
    for p in participants_of(session, request.id):
        p.link_jti, p.otp_hash = None, None
        if p.id != skip:  # the decliner's page keeps saying what they did on a refresh
            p.session_jti = None
        p.prepared_pdf = p.prepared_attrs = p.prepared_evidence = None
        session.add(p)
        reached = p.status in (SignerStatus.PENDING.value, SignerStatus.SIGNED.value)
        if reached and p.kind != SignerKind.SEAL.value and p.phone and p.id != skip:
            text = CLOSED_SMS[status].format(who=who, title=document.title, reason=reason[:30])
            enqueue(session, kind="signing.closed", channel=Channel.SMS, recipient=p.phone, recipient_name=p.name,
                    recipient_user_id=p.user_id, body=_fit_sms(settings, text), case_id=request.case_id,
                    ref=f"signing_closed:{request.id}")
            told.append(p.id)
    session.flush()
    return told


def decline(session: Session, settings: Settings, tokens: TokenService, *, session_token: str,
            reason: str | None = None) -> SigningRequest:
    """A signer whose turn it is refuses to sign (the reason is theirs to give or not): they become declined,
    the request closes, and every other signer who was sent a link is told by SMS. The decliner's session stays
    valid for their own page, which can only show that they declined."""
    reason = (reason or "").strip()[:1000] or None
    request, participant = signer_session(session, tokens, session_token=session_token, lock=True)
    participant.status = SignerStatus.DECLINED.value
    participant.declined_reason = reason
    session.add(participant)
    told = _close(session, settings, request, RequestStatus.DECLINED,
                  f"declined by {participant.name}" + (f": {reason}" if reason else " (no reason given)"),
                  who=f"{participant.role_label}{participant.name}", skip=participant.id)
    _audit(session, request, actor=_signer_actor(participant), action="signing.declined",
           payload={"participant_id": participant.id, "reason": reason, "told": told})
    return request


def void(session: Session, settings: Settings, *, request: SigningRequest, reason: str,
         actor: User) -> SigningRequest:
    if actor.role not in (Role.ADMIN, Role.CASE_OFFICER):
        raise Forbidden("a signing request is voided by a case officer")
    if not reason or not reason.strip():
        raise InvalidInput("give a reason for voiding", errors=[{"loc": ["reason"], "msg": "required"}])
    request = lock_request(session, request.id)
    if request.status not in ACTIVE:
        raise Conflict(f"the request is '{request.status}' and cannot be voided")
    told = _close(session, settings, request, RequestStatus.VOIDED, reason.strip())
    _audit(session, request, actor=_actor(actor), action="signing.voided",
           payload={"reason": reason.strip(), "told": told})
    return request


def close_for_document(session: Session, settings: Settings, *, document_id: str, reason: str, actor: str) -> list[int]:
    """The document was superseded or voided: its active request closes (voided) and its signers are told."""
    closed = []
    for request_id in session.exec(select(SigningRequest.id).where(SigningRequest.document_id == document_id,
                                                                   SigningRequest.status.in_(ACTIVE))).all():
        request = lock_request(session, request_id)
        if request.status not in ACTIVE:
            continue
        told = _close(session, settings, request, RequestStatus.VOIDED, f"document superseded: {reason}"[:1000])
        _audit(session, request, actor=actor, action="signing.voided",
               payload={"reason": reason, "document_superseded": True, "told": told})
        closed.append(request.id)
    return closed


def expire_due(session: Session, settings: Settings, *, now: datetime | None = None,
               document_id: str | None = None) -> list[int]:
    """Requests past their deadline expire (the job; also on the spot before a new request is opened)."""
    now = now or utcnow()
    query = select(SigningRequest.id).where(SigningRequest.status.in_(ACTIVE), SigningRequest.deadline_at <= now)
    if document_id is not None:
        query = query.where(SigningRequest.document_id == document_id)
    expired = []
    for request_id in session.exec(query).all():
        request = lock_request(session, request_id)
        if request.status not in ACTIVE:
            continue
        told = _close(session, settings, request, RequestStatus.EXPIRED, "deadline passed")
        _audit(session, request, actor="system:signing", action="signing.expired",
               payload={"deadline_at": request.deadline_at, "told": told})
        expired.append(request.id)
    return expired


def check_may_remind(session: Session, *, request: SigningRequest, user: User) -> None:
    case = session.get(Case, request.case_id)
    if user.role not in (Role.ADMIN, Role.CASE_OFFICER) and not (
            user.role == Role.MEDIATOR and case.mediator_user_id == user.id):
        raise Forbidden("reminders are sent by a case officer or the case's mediator")


def remind(session: Session, settings: Settings, *, request: SigningRequest, actor: str,
           now: datetime | None = None) -> list[int]:
    """An SMS reminder to each pending signer not reminded in the last 12 hours (their link stays valid)."""
    now = now or utcnow()
    _check_open(request)
    document = session.get(Document, request.document_id)
    reminded = []
    for p in participants_of(session, request.id):
        if p.status != SignerStatus.PENDING.value or p.kind == SignerKind.SEAL.value or not p.phone:
            continue
        if p.last_reminded_at is not None and now - p.last_reminded_at < REMINDER_GAP:
            continue
        due = chinese_deadline(request.deadline_at)
        where = "登录调解平台在案件页签署" if p.kind == SignerKind.MEDIATOR.value else "请用此前短信中的链接签署"
        enqueue(session, kind="signing.reminder", channel=Channel.SMS, recipient=p.phone, recipient_name=p.name,
                recipient_user_id=p.user_id,
                body=_fit_sms(settings, f"提醒：《{document.title}》尚待您签署，请于{due}前{where}。"),
                case_id=request.case_id, ref=f"signing_request:{request.id}")
        p.last_reminded_at = now
        session.add(p)
        reminded.append(p.id)
    session.flush()
    if reminded:
        _audit(session, request, actor=actor, action="signing.reminded", payload={"participant_ids": reminded})
    return reminded


def due_for_reminder(session: Session, *, within: timedelta = timedelta(hours=48),
                     now: datetime | None = None) -> list[int]:
    """Open requests whose deadline is within ``within``, in id order (the reminder job's lock order)."""
    now = now or utcnow()
    return list(session.exec(select(SigningRequest.id).where(SigningRequest.status == RequestStatus.OPEN.value,
                                                             SigningRequest.deadline_at > now,
                                                             SigningRequest.deadline_at <= now + within)
                             .order_by(SigningRequest.id)).all())
