"""Proving a consumer's phone and reading what that phone may see. Keyword-only; never commits.

The rules (limits, lifetimes, what a status means next) are ``policy``'s; this module applies them to rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from sqlalchemy import update
from sqlmodel import Session, col, or_, select

from ..accounts.models import User
from ..audit.chain import record
from ..cases.models import Case, CaseParty
from ..cases.states import OPEN_STATES, CaseStatus
from ..complaints.models import Contact
from ..config import Settings
from ..db import id_of, locked, utcnow
from ..documents.models import Document, DocumentStatus
from ..judicial import service_address
from ..errors import InvalidInput, NotFound, TooManyRequests, Unauthenticated
from ..notifications.models import Channel
from ..notifications.outbox import enqueue
from ..pki.keystore import KeyStore
from ..scheduling.models import MediationSession, SessionStatus
from ..security import throttle
from ..security.pipl import mask_phone
from ..signing.identity import secret_from_keystore
from ..signing import service as signing
from ..signing.models import RequestStatus, SigningParticipant, SigningRequest
from ..signing.service import signed_pdf
from ..security.tokens import TokenService
from ..timeutil import today_in_shanghai
from ..workdays import WorkdayCalendar
from . import policy
from .models import PhoneProof

SEND_PHONE, SEND_CLIENT = "self.code.phone", "self.code.client"
FAIL_PHONE, FAIL_CLIENT = "self.fail.phone", "self.fail.client"
LOOKUP = "self.lookup"
SHOWN_DOCUMENTS = (DocumentStatus.FINAL, DocumentStatus.SIGNING, DocumentStatus.SIGNED, DocumentStatus.CONFIRMED)


class CodeRejected(InvalidInput):
    slug, title = "code-rejected", "The code is wrong, used or expired"


@dataclass(frozen=True)
class SentCode:
    phone_masked: str
    expires_at: datetime
    resend_after_seconds: int


@dataclass(frozen=True)
class Proof:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class ProvedPhone:
    proof_id: int
    phone: str


def _mac(secret: bytes, proof_id: int, nonce: str, code: str) -> str:
    message = "\x1f".join(("consumer-phone-proof", str(proof_id), nonce, code)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _state(proof: PhoneProof) -> policy.CodeState:
    return policy.CodeState(expires_at=proof.expires_at, proved_at=proof.proved_at, revoked_at=proof.revoked_at)


def send_code(session: Session, *, keystore: KeyStore, phone: str, client: str,
              now: datetime | None = None) -> SentCode:
    """Text a new code to ``phone`` (E.164), replacing any earlier code not yet used; bounded per phone and client.
    Two sends to one phone at once (a double tap) are one after the other: the second finds the first's code."""
    throttle.serialise(session, bucket=SEND_PHONE, key=phone)
    throttle.serialise(session, bucket=SEND_CLIENT, key=client)
    now = now or utcnow()
    latest = session.exec(select(PhoneProof).where(PhoneProof.phone == phone)
                          .order_by(col(PhoneProof.id).desc())).first()
    wait = policy.resend_wait(latest.sent_at if latest else None, now=now)
    if wait:
        raise TooManyRequests(f"验证码已发送，请 {wait} 秒后再试 (a code was just sent; try again in {wait} s)",
                              retry_after_seconds=wait)
    throttle.ensure_allowed(session, bucket=SEND_PHONE, key=phone, limit=policy.SENDS_PER_PHONE,
                            window=policy.SEND_WINDOW, message="这个手机号本小时收到的验证码已达上限，请一小时后再试。"
                            " (too many codes to this phone this hour)")
    throttle.ensure_allowed(session, bucket=SEND_CLIENT, key=client, limit=policy.SENDS_PER_CLIENT,
                            window=policy.SEND_WINDOW, message="请求过于频繁，请稍后再试。 (too many codes requested)")
    session.execute(update(PhoneProof)
                    .where(col(PhoneProof.phone) == phone, col(PhoneProof.proved_at).is_(None),
                           col(PhoneProof.revoked_at).is_(None))
                    .values(revoked_at=now))
    code = f"{secrets.randbelow(10 ** 6):06d}"
    proof = PhoneProof(phone=phone, code_mac="", sent_at=now, expires_at=now + policy.CODE_LIFETIME)
    session.add(proof)
    session.flush()
    nonce = secrets.token_hex(8)
    proof.code_mac = f"{nonce}${_mac(secret_from_keystore(keystore), _id(proof), nonce, code)}"
    throttle.remember(session, bucket=SEND_PHONE, key=phone)
    throttle.remember(session, bucket=SEND_CLIENT, key=client)
    enqueue(session, kind="selfservice.code", channel=Channel.SMS, recipient=phone, confidential=True,
            body=f"您的验证码是 {code}，5 分钟内有效，用于查询和办理您在调解中心的事项。请勿告诉他人，"
                 f"调解中心工作人员不会向您索要验证码。",
            expires_at=proof.expires_at, ref=f"phone-proof:{_id(proof)}")
    return SentCode(phone_masked=mask_phone(phone) or "", expires_at=proof.expires_at,
                    resend_after_seconds=int(policy.RESEND_GAP.total_seconds()))


def _id(proof: PhoneProof) -> int:
    if proof.id is None:
        raise RuntimeError("phone proof not flushed")
    return proof.id


def prove(session: Session, *, keystore: KeyStore, tokens: TokenService, phone: str, code: str, client: str,
          now: datetime | None = None) -> Proof:
    """Check the code last sent to ``phone``; the right one proves the phone for ``policy.PROOF_LIFETIME``."""
    throttle.serialise(session, bucket=FAIL_PHONE, key=phone)  # one guess at a time per phone
    now = now or utcnow()
    locked = "错误次数过多，请 15 分钟后重新获取验证码。 (too many wrong codes; ask for a new code in 15 minutes)"
    throttle.ensure_allowed(session, bucket=FAIL_PHONE, key=phone, limit=policy.FAILURES_PER_PHONE,
                            window=policy.CHECK_WINDOW, message=locked)
    throttle.ensure_allowed(session, bucket=FAIL_CLIENT, key=client, limit=policy.FAILURES_PER_CLIENT,
                            window=policy.CHECK_WINDOW, message=locked)
    proof = session.exec(select(PhoneProof).where(PhoneProof.phone == phone)
                         .order_by(col(PhoneProof.id).desc())).first()
    refusal = "none" if proof is None else policy.code_refusal(_state(proof), now=now)
    if proof is None or refusal is not None or not _matches(keystore, proof, code):
        throttle.count_attempt(session, bucket=FAIL_PHONE, key=phone)
        throttle.count_attempt(session, bucket=FAIL_CLIENT, key=client)
        reason = {"expired": "验证码已过期，请重新获取。 (the code has expired)",
                  "used": "这个验证码已经用过，请重新获取。 (the code was used)"}.get(
            refusal or "", "验证码不正确，请核对短信后重新输入。 (the code is wrong)")
        raise CodeRejected(reason, errors=[{"loc": ["body", "code"], "msg": refusal or "wrong", "type": "code"}])
    proof.proved_at = now
    session.add(proof)
    throttle.clear(session, bucket=FAIL_PHONE, key=phone)
    token, claims = tokens.issue(subject=f"phone-proof:{_id(proof)}", purpose=policy.TOKEN_PURPOSE,
                                 lifetime=policy.PROOF_LIFETIME, now=now)
    record(session, actor=f"consumer:{mask_phone(phone)}", action="consumer.phone_proved",
           subject=f"phone-proof:{_id(proof)}", payload={"phone": mask_phone(phone)})
    return Proof(token=token, expires_at=datetime.fromtimestamp(claims["exp"], tz=now.tzinfo))


def _matches(keystore: KeyStore, proof: PhoneProof, code: str) -> bool:
    if "$" not in proof.code_mac:
        return False
    nonce, mac = proof.code_mac.split("$", 1)
    typed = (code or "").strip()
    return hmac.compare_digest(mac, _mac(secret_from_keystore(keystore), _id(proof), nonce, typed))


def proved_phone(session: Session, *, tokens: TokenService, token: str, now: datetime | None = None) -> ProvedPhone:
    """The phone a consumer token proves, or Unauthenticated (expired, revoked, not a consumer token)."""
    claims = tokens.decode(token, purpose=policy.TOKEN_PURPOSE)
    kind, _, ident = str(claims.get("sub", "")).partition(":")
    proof = session.get(PhoneProof, int(ident)) if kind == "phone-proof" and ident.isdigit() else None
    if proof is None or policy.proof_refusal(_state(proof), now=now or utcnow()) is not None:
        raise Unauthenticated("请重新验证手机号。 (prove the phone again)")
    return ProvedPhone(proof_id=_id(proof), phone=proof.phone)


def end_proof(session: Session, *, proved: ProvedPhone, now: datetime | None = None) -> None:
    """Log out: the token stops working at once."""
    proof = session.get(PhoneProof, proved.proof_id)
    if proof is not None and proof.revoked_at is None:
        proof.revoked_at = now or utcnow()
        session.add(proof)


def count_lookup(session: Session, *, proved: ProvedPhone) -> None:
    """Count a look-up by this phone, found or not (durably, whatever the transaction does); TooManyRequests
    (429) past ``policy.LOOKUPS_PER_PHONE`` in ``policy.LOOKUP_WINDOW``."""
    throttle.ensure_allowed(session, bucket=LOOKUP, key=proved.phone, limit=policy.LOOKUPS_PER_PHONE,
                            window=policy.LOOKUP_WINDOW, message="查询过于频繁，请稍后再试。 (too many lookups)")
    throttle.count_attempt(session, bucket=LOOKUP, key=proved.phone)


# --- receiving a case's documents: the phone, and the ID check --------------------------------------------------

ID_FAIL = "self.id.phone"


class IdCheckFailed(Unauthenticated):
    slug, title = "id-check-failed", "The last four characters of the ID number do not match"


@dataclass(frozen=True)
class Download:
    filename: str
    pdf: bytes
    signed: bool

    def headers(self) -> dict[str, str]:
        """An attachment with its Chinese name (RFC 6266 filename*), never cached, never sniffed."""
        fallback = "signed.pdf" if self.signed else "document.pdf"
        return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(self.filename)}",
                "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def document_for(session: Session, *, proved: ProvedPhone, case: Case, document_id: str, id_last4: str) -> Download:
    """A document of the phone's case, once the ID on record for that phone's party ends in ``id_last4``:
    the signed copy (the newest revision of a completed signing) where there is one, else the finalised PDF."""
    throttle.ensure_allowed(session, bucket=ID_FAIL, key=proved.phone, limit=policy.FAILURES_PER_PHONE,
                            window=policy.CHECK_WINDOW,
                            message="证件号码错误次数过多，请 15 分钟后再试。 (too many wrong ID checks; wait 15 minutes)")
    ids = session.exec(select(CaseParty.id_number).where(CaseParty.case_id == case.id,
                                                         CaseParty.phone == proved.phone)).all()
    typed = (id_last4 or "").strip().upper()
    if len(typed) != 4 or not any(n and hmac.compare_digest(n.strip().upper()[-4:], typed) for n in ids):
        throttle.count_attempt(session, bucket=ID_FAIL, key=proved.phone)
        raise IdCheckFailed("证件号码后 4 位不正确，请核对后重新输入。 (the last four ID characters do not match)")
    document = session.exec(select(Document).where(Document.id == document_id, Document.case_id == case.id,
                                                   col(Document.status).in_([s.value for s in SHOWN_DOCUMENTS]))).first()
    if document is None:
        raise NotFound("没有这份文书 (no such document on your case)")
    signed = signed_pdf(session, document_id=document.id)
    record(session, actor=f"consumer:{mask_phone(proved.phone)}", action="consumer.document_received",
           subject=f"document:{document.id}", case_id=case.id, payload={"signed": signed is not None})
    name = f"{case.number}-{document.title}{'-已签署' if signed else ''}.pdf"
    return Download(filename=name, pdf=signed or document.pdf, signed=signed is not None)


# --- signing: what waits for this phone's signature ----------------------------------------------------------


@dataclass(frozen=True)
class ToSign:
    participant_id: int
    title: str
    status: str  # the signer's own: pending (their turn or a later stage's) | signed | declined
    deadline_at: datetime


def to_sign(session: Session, *, phone: str, case: Case) -> list[ToSign]:
    """The open signing requests of the case in which this phone is a signer (the agreement, a session record,
    the joint application for judicial confirmation...)."""
    rows = session.exec(select(SigningParticipant, SigningRequest, Document)
                        .join(SigningRequest, col(SigningRequest.id) == col(SigningParticipant.request_id))
                        .join(Document, col(Document.id) == col(SigningRequest.document_id))
                        .where(col(SigningRequest.case_id) == case.id, col(SigningParticipant.phone) == phone,
                               col(SigningRequest.status) == RequestStatus.OPEN.value)
                        .order_by(col(SigningRequest.id))).all()
    return [ToSign(participant_id=id_of(p), title=d.title, status=p.status, deadline_at=r.deadline_at)
            for p, r, d in rows]


def resend_my_link(session: Session, settings: Settings, tokens: TokenService, *, proved: ProvedPhone, case: Case,
                   participant_id: int) -> None:
    """Send this phone's signing link again (the SMS was lost or deleted): to the same phone, bounded."""
    participant = session.get(SigningParticipant, participant_id)
    request = session.get(SigningRequest, participant.request_id) if participant else None
    if participant is None or request is None or request.case_id != case.id or participant.phone != proved.phone:
        raise NotFound("没有需要您签署的这份文书 (nothing of yours to sign here)")
    signing.resend_own_link(session, settings, tokens, request=request, participant=participant,
                            phone=proved.phone, actor=f"consumer:{mask_phone(proved.phone)}")


# --- the 送达地址确认书 -------------------------------------------------------------------------------------------


def my_party(session: Session, *, phone: str, case: Case) -> CaseParty:
    """The case's party whose phone this is (a case found by ``case_of`` has one)."""
    party = session.exec(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.phone == phone)
                         .order_by(col(CaseParty.id))).first()
    if party is None:
        raise NotFound("没有与您的手机号对应的当事人 (no party of this case has your phone)")
    return party


def confirm_service_address(session: Session, *, proved: ProvedPhone, case: Case, address: str, postcode: str | None,
                            email: str | None, channels: list[str]):
    """The party's own 送达地址确认书: the address, their proved phone, and consent to electronic service by the
    channels they ticked (none ticked: no consent)."""
    details = {"address": address, "postcode": postcode or None, "phone": proved.phone, "email": email or None,
               "electronic_consent": bool(channels), "electronic_channels": channels}
    return service_address.confirm(session, case=case, party=my_party(session, phone=proved.phone, case=case),
                                   details=details, actor=f"consumer:{mask_phone(proved.phone)}")


def my_service_address(session: Session, *, proved: ProvedPhone, case: Case) -> dict | None:
    """The 送达地址确认书 this phone's party confirmed online, or None; NotFound when no party of
    the case has the phone."""
    party = my_party(session, phone=proved.phone, case=case)
    return service_address.confirmed(session, case=case).get(id_of(party))


# --- what the phone may see -------------------------------------------------------------------------------------


def cases_of(session: Session, *, phone: str) -> list[Case]:
    """The cases one of whose parties has ``phone`` on record, newest first."""
    ids = select(CaseParty.case_id).where(CaseParty.phone == phone)
    return list(session.exec(select(Case).where(col(Case.id).in_(ids)).order_by(col(Case.id).desc())).all())


def case_of(session: Session, *, phone: str, number: str) -> Case | None:
    """The case numbered ``number`` if ``phone`` is a party's; None otherwise (the same for "no such case")."""
    ids = select(CaseParty.case_id).where(CaseParty.phone == phone)
    return session.exec(select(Case).where(Case.number == number.strip(), col(Case.id).in_(ids))).first()


def complaints_of(session: Session, *, phone: str) -> list[Contact]:
    """The complaints (not consultations) filed with ``phone`` as consumer or contact phone, newest first."""
    query = (select(Contact).where(Contact.kind == "complaint",
                                   or_(col(Contact.consumer_phone) == phone, col(Contact.contact_phone) == phone))
             .order_by(col(Contact.id).desc()))
    return list(session.exec(query).all())


def complaint_of(session: Session, *, phone: str, number: str, for_update: bool = False) -> Contact | None:
    """The complaint numbered ``number`` if it was filed with ``phone``; None otherwise. ``for_update``: locked
    and read as it is once locked, as the officers' steps on it are (the consumer's answer to a question)."""
    query = select(Contact).where(Contact.kind == "complaint", Contact.number == number.strip(),
                                  or_(col(Contact.consumer_phone) == phone, col(Contact.contact_phone) == phone))
    if for_update:
        query = locked(query)
    return session.exec(query).first()


# What the consumer is told of a complaint's reason: the question asked of them, or why their application was
# declined; any other reason on a complaint is the staff's own note.
TOLD_REASONS = ("needs_info", "closed")


def told_reason(contact: Contact) -> str | None:
    """The status reason the consumer may read: the question or the refusal on their own filing
    (``needs_info``, ``closed``); None otherwise."""
    return contact.status_reason if contact.filed_by_consumer and contact.status in TOLD_REASONS else None


def session_of(session: Session, *, case: Case, session_id: int) -> MediationSession | None:
    """One not-cancelled session of the case (as ``facts_of`` lists them); None otherwise."""
    return session.exec(select(MediationSession).where(MediationSession.id == session_id,
                                                       MediationSession.case_id == case.id,
                                                       col(MediationSession.status) != SessionStatus.CANCELLED)).first()


@dataclass(frozen=True)
class CaseFacts:
    """What a consumer reads of one case: no other party's personal data, no internal notes."""

    number: str
    status: CaseStatus
    received_on: date
    due_on: date
    open: bool
    working_days_left: int | None
    next_step_key: str
    mediator_name: str | None
    sessions: list[MediationSession]
    documents: list[Document]


def facts_of(session: Session, *, case: Case, calendar: WorkdayCalendar) -> CaseFacts:
    """What the consumer's page shows of a case: status and next step, working days left while open
    (negative once overdue, from Beijing today), the mediator's name, the sessions not cancelled and the
    documents from final on."""
    status = CaseStatus(case.status)
    is_open = status in OPEN_STATES
    today = today_in_shanghai()
    left: int | None = None
    if is_open:
        left = (calendar.workdays_between(today, case.due_on) if case.due_on > today
                else -calendar.workdays_between(case.due_on, today))
    mediator = session.get(User, case.mediator_user_id) if case.mediator_user_id else None
    sessions = list(session.exec(select(MediationSession).where(MediationSession.case_id == case.id,
                                                                col(MediationSession.status) != SessionStatus.CANCELLED)
                                 .order_by(col(MediationSession.starts_at))).all())
    documents = list(session.exec(select(Document).where(Document.case_id == case.id,
                                                         col(Document.status).in_([s.value for s in SHOWN_DOCUMENTS]))
                                  .order_by(col(Document.created_at), col(Document.id))).all())  # oldest first
    return CaseFacts(number=case.number, status=status, received_on=case.received_on, due_on=case.due_on,
                     open=is_open, working_days_left=left, next_step_key=policy.next_step_key(status),
                     mediator_name=mediator.display_name if mediator else None, sessions=sessions, documents=documents)
