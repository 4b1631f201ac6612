"""What the signing flow tells people, and when: the short links and their SMS, the mediator's notice, opening
the next stage (``activate_next_stage``, a consequence of a stage's last signature or of the last letter
approved), reminders before the deadline, and the announcement that a document took effect (with its download
link). SMS texts are fitted to two concatenated segments (``fit_sms``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..config import Settings
from ..db import id_of, utcnow
from ..errors import Conflict, Forbidden
from ..notifications.models import Channel
from ..notifications.outbox import enqueue
from ..pki.keystore import KeyStore
from ..security import throttle
from ..security.tokens import TokenService
from . import identity
from .models import RequestStatus, SignerKind, SignerStatus, SigningLink, SigningParticipant, SigningRequest
from .policy import (REMINDER_GAP, SMS_LIMIT, CodeLocked, SigningRequestExpired, check_open, chinese_deadline,
                     may_manage_request, may_open_request, next_stage)
from .store import audit_request, case_of, document_of, lock_request, participants_of, selected_ids, user_actor


def activate_next_stage(session: Session, settings: Settings, tokens: TokenService, request: SigningRequest,
                        *, actor: str) -> int | None:
    """Move the first unfinished stage from waiting to pending and send its links; returns that stage."""
    participants = participants_of(session, id_of(request))
    stage = next_stage((p.stage, p.status) for p in participants)
    if stage is None:
        return None
    for p in participants:
        if p.stage == stage and p.status == SignerStatus.WAITING.value:
            p.status = SignerStatus.PENDING.value
            session.add(p)
            if p.kind == SignerKind.MEDIATOR.value:
                _notify_mediator(session, settings, request, p)
            elif p.kind != SignerKind.SEAL.value:
                issue_link(session, settings, tokens, request=request, participant=p, actor=actor, send=True)
    session.flush()
    audit_request(session, request, actor=actor, action="signing.stage_started", payload={"stage": stage})
    return stage


def sms_text(settings: Settings, text: str) -> str:
    """An SMS as sent: the center's name in 【】, the text, then its hotline when the settings have one."""
    hotline = f"咨询电话{settings.center_phone}" if settings.center_phone else ""
    return f"【{settings.center_name}】{text}{hotline}"


def fit_sms(settings: Settings, *texts: str) -> str:
    """The first wording (longest first) whose SMS fits two segments, the center's signature included."""
    for text in texts:
        if len(sms_text(settings, text)) <= SMS_LIMIT:
            return sms_text(settings, text)
    return sms_text(settings, texts[-1])


def link_url(settings: Settings, code: str) -> str:
    """The signing link for a code: ``<public base URL>/s/<code>``."""
    return f"{settings.public_base_url.rstrip('/')}/s/{code}"


def new_link(session: Session, keystore_or_tokens, participant: SigningParticipant, *, purpose: str) -> str:
    """A fresh short link for the signer; earlier links of the same purpose only say they were replaced."""
    secret = link_secret(keystore_or_tokens)
    now = utcnow()
    for old in session.exec(select(SigningLink).where(SigningLink.participant_id == participant.id,
                                                      SigningLink.purpose == purpose,
                                                      col(SigningLink.replaced_at).is_(None))).all():
        old.replaced_at = now
        session.add(old)
    code = identity.new_link_code()
    session.add(SigningLink(code_hash=identity.hash_link_code(secret, code), participant_id=id_of(participant),
                            purpose=purpose, created_at=now))
    session.flush()
    return code


def phone_of(participant: SigningParticipant) -> str:
    """The phone a signer's texts go to. Every signer but the seal has one (checked when the request opened),
    and the seal is never texted."""
    if not participant.phone:
        raise RuntimeError(f"signer {participant.id} ({participant.name}) has no phone on record to text")
    return participant.phone


def link_secret(keystore_or_tokens) -> bytes:
    """The MAC key of link codes (``identity.secret_from_keystore``), from a KeyStore or a TokenService."""
    keystore = getattr(keystore_or_tokens, "keystore", keystore_or_tokens)
    return identity.secret_from_keystore(keystore)


def issue_link(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
               participant: SigningParticipant, actor: str, send: bool) -> str:
    """A fresh short link for one signer, valid until the request's deadline; returns its code.

    Earlier links of this signer stop working (they say so), the code count and the lock start afresh."""
    document = document_of(session, request)
    if request.deadline_at <= utcnow():
        raise SigningRequestExpired("the signing deadline has passed")
    code = new_link(session, tokens, participant, purpose="sign")
    participant.link_jti = None
    participant.session_jti = None
    participant.otp_hash, participant.otp_expires_at, participant.otp_sent_at = None, None, None
    participant.otp_failures, participant.otp_locked, participant.otp_sends = 0, False, 0
    session.add(participant)
    if send:
        due, url = chinese_deadline(request.deadline_at), link_url(settings, code)
        enqueue(session, kind="signing.link", channel=Channel.SMS, recipient=phone_of(participant),
                recipient_name=participant.name, recipient_user_id=participant.user_id,
                body=fit_sms(settings, f"{participant.name}您好，请于{due}前签署《{document.title}》：{url} ",
                             f"请于{due}前签署《{document.title}》：{url} ", f"请于{due}前签署：{url} "),
                case_id=request.case_id, ref=f"signing_request:{request.id}",
                expires_at=request.deadline_at, confidential=True)
    session.flush()
    audit_request(session, request, actor=actor, action="signing.link_issued",
                  payload={"participant_id": participant.id, "sent_by_sms": send, "expires_at": request.deadline_at})
    return code


def _notify_mediator(session: Session, settings: Settings, request: SigningRequest, p: SigningParticipant) -> None:
    """The mediator signs from their console (logged in, then an SMS code): the SMS only says it is their turn."""
    document = document_of(session, request)
    case = case_of(session, request)
    due = chinese_deadline(request.deadline_at)
    enqueue(session, kind="signing.mediator_turn", channel=Channel.SMS, recipient=phone_of(p), recipient_name=p.name,
            recipient_user_id=p.user_id,
            body=fit_sms(settings, f"{case.number}《{document.title}》各方已签署，请于{due}前登录调解平台，"
                                   f"在案件页点“签署”完成调解员签名。",
                         f"各方已签署，请于{due}前登录调解平台，在案件页点“签署”完成调解员签名。"),
            case_id=request.case_id, ref=f"signing_request:{request.id}", expires_at=request.deadline_at)
    audit_request(session, request, actor="system:signing", action="signing.link_issued",
                  payload={"participant_id": p.id, "sent_by_sms": True, "console": True, "expires_at": request.deadline_at})


def _renewable(session: Session, request: SigningRequest, participant: SigningParticipant) -> SigningRequest:
    """The request, locked and open, for renewing this signer's link: a pending party or representative."""
    request = lock_request(session, id_of(request))
    check_open(request)
    if participant.status != SignerStatus.PENDING.value or participant.kind in (SignerKind.SEAL.value,
                                                                                SignerKind.MEDIATOR.value):
        raise Conflict(f"this signer is '{participant.status}' and has no link to renew")
    return request


def resend_link(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
                participant: SigningParticipant, actor: User) -> str:
    """An officer sends a signer a fresh link (a lost SMS, a locked code); the old link stops working."""
    if not may_manage_request(actor.role):
        raise Forbidden("a new signing link is sent by a case officer")
    request = _renewable(session, request, participant)
    return issue_link(session, settings, tokens, request=request, participant=participant, actor=user_actor(actor),
                      send=True)


SELF_RESEND = "signing.self_resend"
SELF_RESENDS_PER_DAY = 3


def resend_own_link(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
                    participant: SigningParticipant, phone: str, actor: str) -> str:
    """The signer themself asks for their link again (from /my, the phone proved): it goes to that same phone.

    Never for a locked code (too many wrong codes or ID checks: the center decides, as before), at most
    ``SELF_RESENDS_PER_DAY`` times a day, and only to the phone on record for this signer."""
    if participant.request_id != request.id or participant.phone != phone:
        raise Forbidden("this signer's link goes to another phone")
    request = _renewable(session, request, participant)
    if participant.otp_locked:
        raise CodeLocked("验证码已被锁定，请联系调解中心重新发送签署链接 (the code is locked: the center sends a new link)")
    key = f"participant:{participant.id}"
    throttle.ensure_allowed(session, bucket=SELF_RESEND, key=key, limit=SELF_RESENDS_PER_DAY,
                            window=timedelta(days=1),
                            message="今天重新发送的次数已达上限，请联系调解中心。 (three resends a day at most)")
    throttle.remember(session, bucket=SELF_RESEND, key=key)
    return issue_link(session, settings, tokens, request=request, participant=participant, actor=actor, send=True)


def announce_effect(session: Session, settings: Settings, keystore: KeyStore, request: SigningRequest) -> None:
    """Every signer is told the agreement took effect, with a link to download the final signed PDF (after an
    SMS code, for the life of the case); the mediator downloads it from the case page."""
    document = document_of(session, request)
    told: list[int] = []
    for p in participants_of(session, id_of(request)):
        if p.kind == SignerKind.SEAL.value or not p.phone:
            continue
        effect = "已生效" if document.kind == "agreement" else "已签署完成"
        if p.kind == SignerKind.MEDIATOR.value:
            text = f"《{document.title}》已由各方签署并加盖调解中心印章，{effect}。请登录调解平台在案件页下载。"
        else:
            url = link_url(settings, new_link(session, keystore, p, purpose="download"))
            p.otp_sends, p.otp_failures, p.otp_locked = 0, 0, False  # the download starts with fresh codes
            text = f"《{document.title}》已由各方签署并加盖调解中心印章，{effect}。下载签署文件：{url} "
        enqueue(session, kind="signing.completed", channel=Channel.SMS, recipient=p.phone, recipient_name=p.name,
                recipient_user_id=p.user_id, body=fit_sms(settings, text), case_id=request.case_id,
                ref=f"signing_completed:{request.id}")
        told.append(id_of(p))
    session.flush()
    audit_request(session, request, actor="system:signing", action="signing.effect_announced", payload={"told": told})
CLOSED_SMS = {
    RequestStatus.DECLINED: "{who}拒绝签署，《{title}》的本次签署已结束，您的签署链接不再可用。调解中心会与您联系。",
    RequestStatus.VOIDED: "《{title}》的本次签署已取消（{reason}），您的签署链接不再可用。调解中心会与您联系。",
    RequestStatus.EXPIRED: "《{title}》的签署已过截止时间，您的签署链接不再可用。如仍需签署，调解中心会重新发送。",
}


def check_may_remind(session: Session, *, request: SigningRequest, user: User) -> None:
    """Forbidden (403) unless ``user`` is staff or the case's mediator (``policy.may_open_request``)."""
    case = case_of(session, request)
    if not may_open_request(user.role, is_case_mediator=case.mediator_user_id == user.id):
        raise Forbidden("reminders are sent by a case officer or the case's mediator")


def remind(session: Session, settings: Settings, *, request: SigningRequest, actor: str,
           now: datetime | None = None) -> list[int]:
    """An SMS reminder to each pending signer not reminded in the last 12 hours (their link stays valid)."""
    now = now or utcnow()
    check_open(request)
    document = document_of(session, request)
    reminded: list[int] = []
    for p in participants_of(session, id_of(request)):
        if p.status != SignerStatus.PENDING.value or p.kind == SignerKind.SEAL.value or not p.phone:
            continue
        if p.last_reminded_at is not None and now - p.last_reminded_at < REMINDER_GAP:
            continue
        due = chinese_deadline(request.deadline_at)
        where = "登录调解平台在案件页签署" if p.kind == SignerKind.MEDIATOR.value else "请用此前短信中的链接签署"
        enqueue(session, kind="signing.reminder", channel=Channel.SMS, recipient=p.phone, recipient_name=p.name,
                recipient_user_id=p.user_id,
                body=fit_sms(settings, f"提醒：《{document.title}》尚待您签署，请于{due}前{where}。"),
                case_id=request.case_id, ref=f"signing_request:{request.id}")
        p.last_reminded_at = now
        session.add(p)
        reminded.append(id_of(p))
    session.flush()
    if reminded:
        audit_request(session, request, actor=actor, action="signing.reminded", payload={"participant_ids": reminded})
    return reminded


def due_for_reminder(session: Session, *, within: timedelta = timedelta(hours=48),
                     now: datetime | None = None) -> list[int]:
    """Open requests whose deadline is within ``within``, in id order (the reminder job's lock order)."""
    now = now or utcnow()
    ids = session.exec(select(col(SigningRequest.id)).where(SigningRequest.status == RequestStatus.OPEN.value,
                                                            col(SigningRequest.deadline_at) > now,
                                                            col(SigningRequest.deadline_at) <= now + within)
                       .order_by(col(SigningRequest.id))).all()
    return selected_ids(ids)
