"""The signing rules on plain values: what is signed, whose turn it is, who may act, what each state allows,
and the words a signer consents to. No database, no I/O: tested on plain values (tests/signing/test_policy.py),
like ``cases/states.py``. The services (``requests``, ``signers``, ``signatures``, ``messages``) load the state
once and ask these functions.

Stages: the parties sign first (in any order among themselves), then the mediator, then the center's seal; a
stage opens when every signer of the stages before it has signed (``next_stage``). A request is open for
signing only before its deadline (``check_open``); a signer's page is in one of ``SIGNER_STATES``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from ..db import utcnow
from ..documents.models import Document
from ..errors import Conflict, DomainError, NotFound
from ..security.roles import Role, is_staff
from .models import RequestStatus, SignerStatus, SigningLink, SigningMode, SigningParticipant, SigningRequest

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


def chinese_deadline(value: datetime) -> str:
    """12月9日 18:00 (Beijing time), as the SMS states it."""
    from ..timeutil import SHANGHAI

    local = value.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


class LinkUnknown(NotFound):
    slug, title = "signing-link-unknown", "This signing link does not exist"


class SignerStateError(Conflict):
    """The signer's page cannot do this in the request's or signer's present state (``signer_state``)."""

    slug, title = "signing-state", "Signing is not possible in this state"


# What a signer's page says; only "open" signs, "open" and "completed" (the download) send codes.
SIGNER_STATES = ("open", "waiting", "not_open", "signed", "completed", "declined", "declined_other", "voided",
                 "expired", "locked", "replaced")


def check_open(request: SigningRequest, *, now: datetime | None = None) -> None:
    """Raise unless the request is open for signing now (open, before its deadline)."""
    if request.status == RequestStatus.OPEN.value and request.deadline_at <= (now or utcnow()):
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


def require_state(state: str, *allowed: str) -> None:
    """Raise the error a signer's page shows unless ``state`` is one of ``allowed``."""
    if state in allowed:
        return
    if state == "expired":
        raise SigningRequestExpired("the signing deadline has passed", signer_state=state)
    if state == "locked":
        raise CodeLocked("too many wrong codes; ask the center for a new signing link", signer_state=state)
    if state == "waiting":
        raise NotYourTurn("signers of an earlier stage have not signed yet", signer_state=state)
    raise SignerStateError(f"this signer's page is '{state}'", signer_state=state)


def allowed_key_origins(participant: SigningParticipant) -> tuple[str, ...]:
    """Where this signer's key may be made: their own device (everyone but an institution with its own
    certificate); the center's system only on site, when the center's tablet cannot make a key itself."""
    if participant.mode == SigningMode.EXTERNAL.value:
        return (KEY_INSTITUTION,)
    if participant.mode == SigningMode.ONSITE.value:
        return (KEY_SIGNER_DEVICE, KEY_CENTER_SERVER)
    return (KEY_SIGNER_DEVICE,)


def agreed_amount(document: Document) -> Decimal | None:
    """What the parties of an agreement agreed to pay (the case's settled amount), None without payments."""
    payments = json.loads(document.inputs_json).get("payments") or []
    return sum((Decimal(str(p["amount"])) for p in payments), Decimal("0.00")) if payments else None


# -- who may act, whose turn ----------------------------------------------------------------------------------

def may_open_request(role: Role | str, *, is_case_mediator: bool) -> bool:
    """An officer, or the case's own mediator, opens (and reminds signers of) a signing request."""
    return is_staff(role) or (role == Role.MEDIATOR and is_case_mediator)


def may_manage_request(role: Role | str) -> bool:
    """Letters of authority, resent links, voiding and the center's seal are the officers' (not the mediator's)."""
    return is_staff(role)


def may_host_onsite(role: Role | str, *, is_case_mediator: bool) -> bool:
    """Only the case's mediator hosts a signer at the center (on the center's tablet)."""
    return role == Role.MEDIATOR and is_case_mediator


def next_stage(signers: Iterable[tuple[int, str]]) -> int | None:
    """The stage whose turn it is, from each signer's (stage, status): the lowest stage with a signer who has not
    signed; None when everyone has signed."""
    unfinished = [stage for stage, status in signers if status != SignerStatus.SIGNED.value]
    return min(unfinished) if unfinished else None


def stage_done(signers: Iterable[tuple[int, str]], stage: int) -> bool:
    """Every signer of ``stage`` has signed (the next stage may open)."""
    return all(status == SignerStatus.SIGNED.value for s, status in signers if s == stage)
