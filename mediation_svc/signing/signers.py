"""The signer's side: the short link, the SMS code and the ID check that give a signer-session token (or the
mediator's code on the case page), the pages' view of where the signer stands, reading the document, consent in
words true for how the key is made, the drawn signature, on-site signing at the center, and declining."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..accounts.models import User
from ..audit.chain import record
from ..config import Settings
from ..db import after_transaction, id_of, unit_of_work, utcnow
from ..errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthenticated
from ..notifications.models import Channel
from ..notifications.outbox import enqueue
from ..pki.keystore import KeyStore
from ..security.pipl import mask_phone
from ..security.tokens import TokenService
from . import identity, uploads
from .messages import issue_link, link_secret, phone_of
from .models import (RequestStatus, SignerKind, SignerStatus, SigningLink, SigningMode, SigningParticipant,
                     SigningRequest)
from .policy import (LINK_LOOKUP_LIMIT, LINK_LOOKUP_WINDOW, SESSION_LIFETIME, SESSION_PURPOSE, CodeLocked,
                     LinkUnknown, SignerStateError, allowed_key_origins, check_open, chinese_deadline,
                     consent_texts, may_host_onsite, require_state, signer_state)
from .requests import close_request
from .store import (Client, audit_request, case_of, current_pdf, document_of, lock_request, participants_of,
                    signer_actor, user_actor)


def find_link(session: Session, keystore, *, code: str) -> tuple[SigningRequest, SigningParticipant, SigningLink]:
    """The signer a short link belongs to (any state); LinkUnknown for a code the service never sent."""
    normalised = identity.normalise_link_code(code)
    link = None
    if normalised is not None:
        link = session.exec(select(SigningLink).where(
            SigningLink.code_hash == identity.hash_link_code(link_secret(keystore), normalised))).first()
    if link is None:
        raise LinkUnknown("this signing link does not exist; check the address in the text message")
    participant = session.get(SigningParticipant, link.participant_id, populate_existing=True)
    if participant is None:
        raise RuntimeError(f"signer {link.participant_id} of a signing link is missing")
    request = session.get(SigningRequest, participant.request_id, populate_existing=True)
    if request is None:
        raise RuntimeError(f"signing request {participant.request_id} of signer {participant.id} is missing")
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
        audit_request(session, request, actor=signer_actor(participant), action="signing.link_opened",
                      payload={"participant_id": participant.id})
    return page_facts(session, request, participant, state)


def page_facts(session: Session, request: SigningRequest, participant: SigningParticipant,
               state: str) -> dict[str, Any]:
    """What a signer's page shows in ``state``: who signs for whom, the case, the document with its
    finalised SHA-256, the deadline (UTC, and in Beijing time as the SMS says it), the phone masked, and the
    decline reason and closing time where they apply."""
    document = document_of(session, request)
    case = case_of(session, request)
    return {"state": state, "request_id": request.id, "participant_id": participant.id, "name": participant.name,
            "role": participant.role_label, "on_behalf_of": participant.on_behalf_of, "mode": participant.mode,
            "kind": participant.kind, "case_number": case.number, "document_id": document.id,
            "document_title": document.title, "document_kind": document.kind, "document_sha256": document.sha256,
            "deadline_at": request.deadline_at, "deadline_cn": chinese_deadline(request.deadline_at),
            "phone": mask_phone(participant.phone),
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
    participant.otp_hash = identity.hash_code(identity.secret_from_keystore(keystore),
                                              participant_id=id_of(participant), code=code)
    participant.otp_expires_at = now + identity.OTP_LIFETIME
    participant.otp_sent_at = now
    participant.otp_sends += 1  # wrong tries are not reset by a new code: 5 per link, whatever was resent
    session.add(participant)
    enqueue(session, kind="signing.otp", channel=Channel.SMS, recipient=phone_of(participant),
            recipient_name=participant.name, recipient_user_id=participant.user_id,
            body=f"【{settings.center_name}】签署验证码 {code}，5分钟内有效。请勿告诉他人，包括调解中心工作人员。",
            case_id=request.case_id, ref=f"signing_participant:{participant.id}",
            expires_at=participant.otp_expires_at, confidential=True)
    session.flush()
    audit_request(session, request, actor=signer_actor(participant), action="signing.code_sent",
                  payload={"participant_id": participant.id, "sends": participant.otp_sends})
    return {"phone": mask_phone(participant.phone), "expires_at": participant.otp_expires_at,
            "resend_after_seconds": int(identity.OTP_RESEND_GAP.total_seconds())}


def request_code(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                 link_code: str, address: str = "") -> dict[str, Any]:
    """Send a one-time code to the signer's phone on record: to sign, or (after the seal) to download."""
    request, participant, link = lookup_link(session, keystore, code=link_code, address=address)
    request = lock_request(session, id_of(request))
    require_state(signer_state(request, participant, link), "open", "completed")
    if participant.kind == SignerKind.MEDIATOR.value:
        raise SignerStateError("the mediator signs from the case page, logged in", signer_state="console")
    return _send_code(session, settings, keystore, request, participant)


def _count_failure(session: Session, participant_id: int, request_id: int, case_id: int, reason: str) -> None:
    engine = session.get_bind()
    if not isinstance(engine, Engine):
        raise TypeError("a signer's failed attempt is counted on its own connection: the session needs an Engine")

    def write() -> None:
        with unit_of_work(engine) as s:
            row = s.get(SigningParticipant, participant_id)
            if row is None:
                raise RuntimeError(f"signer {participant_id} is missing: its failed attempt cannot be counted")
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
    code_ok = identity.code_matches(secret, participant_id=id_of(participant), code=code,
                                    stored=participant.otp_hash)
    id_ok = not check_id or identity.id_last4_matches(secret, typed=id_last4, stored=participant.id_last4_hash)
    if not (code_ok and id_ok):
        _count_failure(session, id_of(participant), id_of(request), request.case_id,
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
    audit_request(session, request, actor=signer_actor(participant), action="signing.identity_verified",
                  payload={"participant_id": participant.id, "mode": participant.mode, "checks": checks,
                           "for": "signing" if state == "open" else "download", "again": reentry,
                           "address": client.address, "user_agent": client.user_agent[:300]})
    return {"session_token": token, "expires_at": datetime.fromtimestamp(claims["exp"], tz=timezone.utc)}


def verify_identity(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                    link_code: str, code: str, id_last4: str | None, client: Client) -> dict[str, Any]:
    """Check the SMS code and the ID's last four characters; returns a signer-session token.

    The link stays valid until the deadline: proving again (in another browser) continues where they stopped."""
    request, participant, link = lookup_link(session, keystore, code=link_code, address=client.address)
    request = lock_request(session, id_of(request))
    state = signer_state(request, participant, link)
    require_state(state, "open", "completed")
    if participant.kind == SignerKind.MEDIATOR.value:
        raise SignerStateError("the mediator signs from the case page, logged in", signer_state="console")
    _check_code(session, keystore, request, participant, code=code, id_last4=id_last4, check_id=True)
    return _start_session(session, tokens, request, participant, checks=["sms_code", "id_last4"], state=state,
                          client=client)


def _console_signer(session: Session, request: SigningRequest, user: User) -> SigningParticipant:
    participant = next((p for p in participants_of(session, id_of(request))
                        if p.kind == SignerKind.MEDIATOR.value and p.user_id == user.id), None)
    if participant is None:
        raise Forbidden("only the case's mediator signs here, logged in with their own account")
    return participant


def console_code(session: Session, settings: Settings, keystore: KeyStore, *, request: SigningRequest,
                 user: User) -> dict[str, Any]:
    """The mediator, logged in, asks for the SMS code to sign from their console."""
    request = lock_request(session, id_of(request))
    participant = _console_signer(session, request, user)
    require_state(signer_state(request, participant), "open")
    return _send_code(session, settings, keystore, request, participant)


def console_verify(session: Session, settings: Settings, tokens: TokenService, keystore: KeyStore, *,
                   request: SigningRequest, user: User, code: str, client: Client) -> dict[str, Any]:
    """Logged in (the account) + the SMS code to the phone on record: a signer session for the mediator."""
    request = lock_request(session, id_of(request))
    participant = _console_signer(session, request, user)
    state = signer_state(request, participant)
    require_state(state, "open")
    _check_code(session, keystore, request, participant, code=code, id_last4=None, check_id=False)
    return _start_session(session, tokens, request, participant, checks=["account_login", "sms_code"], state=state,
                          client=client)


def claims_doc(session: Session, request: SigningRequest) -> str:
    """The finalised document's SHA-256: the ``doc`` claim of a signer-session token, checked on each use."""
    return document_of(session, request).sha256


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
    require_state(signer_state(request, participant), "open")
    check_open(request)
    return request, participant


def signer_home(session: Session, tokens: TokenService, *, session_token: str) -> dict[str, Any]:
    """What the signer's page shows for this session, in any state (signed, sealed, voided ...)."""
    request, participant = _from_session(session, tokens, session_token, lock=False)
    return page_facts(session, request, participant, signer_state(request, participant))


def signer_view(session: Session, tokens: TokenService, *, session_token: str,
                language: str = "zh-CN") -> dict[str, Any]:
    """The signing page of a signer whose turn it is: ``page_facts``, the consent wording for each key
    origin allowed to them (in ``language``, else zh-CN), the first as default, and what they have done."""
    request, participant = signer_session(session, tokens, session_token=session_token)
    origins = allowed_key_origins(participant)
    kind = document_of(session, request).kind
    texts = {origin: (words := consent_texts(origin, kind)).get(language, words["zh-CN"]) for origin in origins}
    return {**page_facts(session, request, participant, "open"), "key_origin": origins[0],
            "consent_text": texts[origins[0]], "consent_texts": texts,
            "document_viewed": participant.document_viewed_at is not None,
            "consent_given": participant.consent_at is not None,
            "drawing_saved": participant.drawing_png is not None}


def signer_document(session: Session, tokens: TokenService, *, session_token: str) -> bytes:
    """The whole document as it stands now; reading it is recorded (a signer must read before signing)."""
    request, participant = signer_session(session, tokens, session_token=session_token)
    pdf = current_pdf(session, request)
    participant.document_viewed_at = utcnow()
    session.add(participant)
    session.flush()
    audit_request(session, request, actor=signer_actor(participant), action="signing.document_viewed",
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
    if consent_text.strip() not in consent_texts(key_origin, document_of(session, request).kind).values():
        raise InvalidInput("the consent text does not match the one shown to the signer")
    participant.key_origin = key_origin
    participant.consent_sha256 = hashlib.sha256(consent_text.strip().encode()).hexdigest()
    participant.consent_at = utcnow()
    session.add(participant)
    session.flush()
    audit_request(session, request, actor=signer_actor(participant), action="signing.consent_given",
                  payload={"participant_id": participant.id, "consent_sha256": participant.consent_sha256,
                           "key_origin": key_origin})
    return participant.consent_sha256


def save_drawing(session: Session, tokens: TokenService, *, session_token: str, png: bytes) -> str:
    """Keep the signer's drawn signature (``uploads.check_drawing``: PayloadTooLarge or InvalidInput),
    replacing an earlier one; audited with its SHA-256, which is returned."""
    request, participant = signer_session(session, tokens, session_token=session_token)
    uploads.check_drawing(png)
    participant.drawing_png = png
    session.add(participant)
    session.flush()
    digest = hashlib.sha256(png).hexdigest()
    audit_request(session, request, actor=signer_actor(participant), action="signing.drawing_saved",
                  payload={"participant_id": participant.id, "sha256": digest, "size": len(png)})
    return digest


def start_onsite(session: Session, settings: Settings, tokens: TokenService, *, request: SigningRequest,
                 participant: SigningParticipant, host: User) -> str:
    """A link for the mediator's tablet (not sent by SMS); the code still goes to the signer's own phone."""
    case = case_of(session, request)
    if not may_host_onsite(host.role, is_case_mediator=case.mediator_user_id == host.id):
        raise Forbidden("on-site signing is hosted by the case's mediator")
    check_open(request)
    if participant.kind in (SignerKind.SEAL.value, SignerKind.MEDIATOR.value):
        raise Conflict("the mediator and the seal do not sign through an on-site session")
    if participant.status != SignerStatus.PENDING.value:
        raise Conflict(f"this signer is '{participant.status}'")
    if participant.mode == SigningMode.EXTERNAL.value:
        raise Conflict("this signer signs with their own certificate")
    participant.mode = SigningMode.ONSITE.value
    participant.onsite_host_user_id = host.id
    session.add(participant)
    return issue_link(session, settings, tokens, request=request, participant=participant, actor=user_actor(host),
                      send=False)


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
    told = close_request(session, settings, request, status=RequestStatus.DECLINED,
                         reason=f"declined by {participant.name}" + (f": {reason}" if reason else " (no reason given)"),
                         who=f"{participant.role_label}{participant.name}", skip=participant.id)
    audit_request(session, request, actor=signer_actor(participant), action="signing.declined",
                  payload={"participant_id": participant.id, "reason": reason, "told": told})
    return request
