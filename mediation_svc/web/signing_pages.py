"""Signing pages: the signing request on the case page (staff), and the signer's own pages (parties on phones).

The rules (OTP, the ID check, consent, the drawn signature, the PAdES signature, signing order, the seal)
live in ``mediation_svc.signing.service``; these pages only call it. The signer never logs in: the link
from the text message, then the code and the last four ID characters, give a short signing-session token
that the page keeps in an HttpOnly, SameSite=Strict cookie limited to /sign.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from jose import jwt
from sqlmodel import select

from ..cases import service as cases
from ..cases.models import Case
from ..db import utcnow
from ..deps import FormDep, KeyStoreDep, SessionDep, SettingsDep, TokensDep, client_address
from ..documents.models import Document
from ..errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated
from ..security.roles import Role
from . import auth
from .auth import CsrfChecked, PageUser, SchedulerPageUser, StaffPageUser
from .i18n import translator
from .render import language_of, redirect, render

SIGNER_COOKIE = "msvc_signer"
PAGE_DPI = 110
router = APIRouter(include_in_schema=False)


def _signing():
    from ..signing import service

    return service


# --- the case page: progress and the officer's steps --------------------------------------------------------

def _latest_request(session, case: Case):
    from ..signing.models import SigningRequest

    return session.exec(select(SigningRequest).where(SigningRequest.case_id == case.id)
                        .order_by(SigningRequest.id.desc())).first()


def progress(session, case: Case, user, language: str) -> dict:
    """What the case page shows about signing: the request and its signers, and the steps open to this user."""
    from ..documents.models import DocumentStatus

    signing = _signing()
    t = translator(language)
    request = _latest_request(session, case)
    staff = user.role in (Role.ADMIN, Role.CASE_OFFICER)
    may_open = staff or (user.role == Role.MEDIATOR and case.mediator_user_id == user.id)
    signers = []
    if request is not None:
        for p in signing.participants_of(session, request.id):
            signers.append({"id": p.id, "name": p.name, "role": p.role_label, "on_behalf_of": p.on_behalf_of,
                            "kind": p.kind, "status": p.status, "status_label": t(f"sign.status.{p.status}"),
                            "needs_letter": p.kind == "representative" and p.authorisation_checked_at is None,
                            "can_resend": staff and request.status == "open" and p.status == "pending"
                            and p.kind != "seal",
                            "has_letter": p.authorisation_doc is not None})
    finals = session.exec(select(Document).where(Document.case_id == case.id, Document.kind == "agreement",
                                                 Document.status == DocumentStatus.FINAL)).all()
    institutions = [p for p in cases.parties_of(session, case.id) if p.kind == "institution"]
    seal = next((s for s in signers if s["kind"] == "seal"), None)
    return {
        "request": request, "request_status": t(f"sign.request.{request.status}") if request else None,
        "signers": signers, "may_open": may_open and bool(finals) and (request is None or request.status not in signing.ACTIVE),
        "documents": finals, "institutions": institutions, "staff": staff,
        "awaiting_letters": request is not None and request.status == "awaiting_authorisation",
        "seal_ready": staff and request is not None and request.status == "open" and seal is not None
        and seal["status"] == "pending",
    }


def signed_pdf_url(session, document) -> str | None:
    from ..signing.models import SignedRevision, SigningRequest

    # Only a completed request makes "the signed document" (signing.service.signed_pdf); ask for its id only.
    has = session.exec(select(SignedRevision.id).join(SigningRequest, SigningRequest.id == SignedRevision.request_id)
                       .where(SignedRevision.document_id == document.id,
                              SigningRequest.status == "completed")).first()
    return f"/documents/{document.id}/signed.pdf" if has else None


def deadline_from(form) -> datetime:
    days = int(str(form.get("days") or "7")) if str(form.get("days") or "7").isdigit() else 0
    if not 1 <= days <= 60:
        raise InvalidInput("the signing deadline is 1 to 60 days away")
    return utcnow() + timedelta(days=days)


def representatives_from(form, session, case: Case) -> list:
    """Who signs for each institution party, from the form's rep_<party>_name / _phone / _id fields."""
    signing = _signing()
    reps = []
    for party in cases.parties_of(session, case.id):
        if party.kind != "institution":
            continue
        name, phone = str(form.get(f"rep_{party.id}_name", "")).strip(), str(form.get(f"rep_{party.id}_phone", "")).strip()
        if not name or not phone:
            raise InvalidInput(f"name the representative who signs for {party.name}, with a phone number")
        reps.append(signing.RepresentativeSpec(party_id=party.id, name=name, phone=phone,
                                               id_number=str(form.get(f"rep_{party.id}_id", "")).strip() or None))
    return reps


@router.post("/cases/{case_id}/signing", dependencies=[CsrfChecked])
def open_signing(request: Request, case_id: int, form: FormDep, session: SessionDep, settings: SettingsDep,
                 tokens: TokensDep, keystore: KeyStoreDep, user: SchedulerPageUser) -> Response:
    signing = _signing()
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    signing.open_request(session, settings, tokens, keystore, case=case, document_id=str(form.get("document_id", "")),
                         deadline_at=deadline_from(form), representatives=representatives_from(form, session, case),
                         actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="signing")


@router.post("/cases/{case_id}/signing/{request_id}/letters/{participant_id}", dependencies=[CsrfChecked])
def file_letter(request: Request, case_id: int, request_id: int, participant_id: int, session: SessionDep,
                settings: SettingsDep, tokens: TokensDep, user: StaffPageUser,
                letter: Annotated[UploadFile, File()], checked: Annotated[str, Form()] = "") -> Response:
    """File the representative's 授权委托书 and, once the officer has checked it, accept it."""
    signing = _signing()
    req, case = signing.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    if case.id != case_id:
        raise NotFound("signing request not found on this case")
    participant = signing.get_participant_or_404(session, request=req, participant_id=participant_id)
    data = letter.file.read(5 * 1024 * 1024 + 1)
    signing.upload_authorisation(session, request=req, participant=participant, pdf=data, actor=user)
    if checked:
        signing.approve_authorisation(session, settings, tokens, request=req, participant=participant, actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="signing")


@router.post("/cases/{case_id}/signing/{request_id}/participants/{participant_id}/link", dependencies=[CsrfChecked])
def resend_link(request: Request, case_id: int, request_id: int, participant_id: int, session: SessionDep,
                settings: SettingsDep, tokens: TokensDep, user: StaffPageUser) -> Response:
    """A fresh link by SMS for a signer whose link expired or whose code is locked (as the signing API does)."""
    signing = _signing()
    req, case = signing.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    if case.id != case_id:
        raise NotFound("signing request not found on this case")
    participant = signing.get_participant_or_404(session, request=req, participant_id=participant_id)
    signing._check_open(req)
    if participant.status != signing.SignerStatus.PENDING.value or participant.kind == "seal":
        raise Conflict(f"this signer is '{participant.status}' and has no link to renew")
    signing.issue_link(session, settings, tokens, request=req, participant=participant,
                       actor=f"user:{user.id}:{user.username}", send=True)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="link_sent")


@router.post("/cases/{case_id}/signing/{request_id}/seal", dependencies=[CsrfChecked])
def seal(request: Request, case_id: int, request_id: int, session: SessionDep, settings: SettingsDep,
         keystore: KeyStoreDep, user: StaffPageUser) -> Response:
    from ..signing.routes import get_timestamper

    signing = _signing()
    req, case = signing.get_visible_request_or_404(session, user=user, request_id=request_id, for_update=True)
    if case.id != case_id:
        raise NotFound("signing request not found on this case")
    signing.apply_seal(session, settings, keystore, get_timestamper(request), request=req, actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="sealed")


@router.get("/documents/{document_id}/signed.pdf")
def signed_document(document_id: str, session: SessionDep, user: PageUser) -> Response:
    from ..documents import service as documents

    document, _case = documents.get_visible_document_or_404(session, user=user, document_id=document_id)
    pdf = _signing().signed_pdf(session, document_id=document.id)
    if pdf is None:
        raise NotFound("this document has no signature yet")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{document.id}-signed.pdf"',
                             "Cache-Control": "no-store"})


# --- the signer's pages ------------------------------------------------------------------------------------

def _message_key(exc: DomainError) -> str:
    signing = _signing()
    if isinstance(exc, signing.SigningRequestExpired):
        return "sign.expired"
    if isinstance(exc, signing.CodeLocked):
        return "sign.locked"
    if isinstance(exc, signing.NotYourTurn):
        return "sign.waiting"
    if exc.extensions.get("signer_status") == "signed":
        return "sign.already"
    if isinstance(exc, Conflict) and exc.extensions.get("request_status") == "expired":
        return "sign.expired"
    if isinstance(exc, Conflict) and exc.extensions.get("request_status") == "completed":
        return "sign.already"
    return "sign.invalid"


def _link_problem(session, tokens, token: str) -> str | None:
    """Why a link cannot be used, in the signer's terms (expired, already signed, locked), or None."""
    from ..signing.models import SigningParticipant

    try:
        unverified = jwt.get_unverified_claims(token)
    except Exception:  # noqa: BLE001 - anything unreadable is simply not a link
        return "sign.invalid"
    if isinstance(unverified.get("exp"), int) and unverified["exp"] < time.time():
        return "sign.expired"
    try:
        claims = tokens.decode(token, purpose=_signing().LINK_PURPOSE)
        participant = session.get(SigningParticipant, int(str(claims["sub"]).split(":", 1)[1]))
    except (Unauthenticated, ValueError, IndexError):
        return "sign.invalid"
    if participant is None:
        return "sign.invalid"
    if participant.status == "signed":
        return "sign.already"
    if participant.link_jti != claims.get("jti"):
        return "sign.replaced"  # a newer link was sent; only the newest works
    if participant.otp_locked:
        return "sign.locked"
    return None


def _signer_error(request: Request, key: str, status: int) -> Response:
    t = translator(language_of(request))
    return render(request, "sign_message.html", status_code=status, message=t(key), kind="error")


def _status_for(key: str) -> int:
    return {"sign.expired": 410, "sign.replaced": 410, "sign.locked": 423, "sign.already": 409,
            "sign.waiting": 409}.get(key, 404)


@router.post("/sign/{token}/code", dependencies=[CsrfChecked])
def sign_send_code(request: Request, token: str, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                   keystore: KeyStoreDep) -> Response:
    try:
        sent = _signing().request_code(session, settings, tokens, keystore, link_token=token)
    except DomainError as exc:
        if exc.status == 429:
            return render(request, "sign_code.html", status_code=429, token=token, sent=None, error=exc.detail)
        key = _message_key(exc)
        return _signer_error(request, key, _status_for(key))
    return render(request, "sign_code.html", token=token, sent=sent, error=None)


@router.post("/sign/{token}/verify", dependencies=[CsrfChecked])
def sign_verify(request: Request, token: str, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                keystore: KeyStoreDep, code: Annotated[str, Form()] = "", id_last4: Annotated[str, Form()] = "") -> Response:
    signing = _signing()
    t = translator(language_of(request))
    client = signing.Client(address=client_address(request), user_agent=request.headers.get("user-agent", ""))
    try:
        result = signing.verify_identity(session, settings, tokens, keystore, link_token=token, code=code.strip(),
                                         id_last4=id_last4.strip() or None, client=client)
    except DomainError as exc:
        if isinstance(exc, Unauthenticated) and "attempts_left" in exc.extensions:
            session.commit()  # the failed attempt is counted after this transaction (after_transaction)
            return render(request, "sign_code.html", status_code=401, token=token, sent={"phone": ""},
                          error=t("sign.wrong_code"))
        if isinstance(exc, signing.CodeLocked):
            session.commit()
        key = _message_key(exc)
        if isinstance(exc, Unauthenticated) and key == "sign.invalid":
            return render(request, "sign_code.html", status_code=401, token=token, sent=None, error=exc.detail)
        return _signer_error(request, key, _status_for(key))
    response = redirect(request, "/sign/session")
    lifetime = max(60, int((result["expires_at"] - utcnow()).total_seconds()))
    response.set_cookie(SIGNER_COOKIE, result["session_token"], max_age=lifetime, httponly=True, samesite="strict",
                        secure=auth.secure_cookies(request), path="/sign")
    return response


def pdf_page_images(pdf: bytes, dpi: int = PAGE_DPI) -> list[bytes]:
    """Each page as a JPEG (poppler's pdftoppm): on a phone an image per page reads better than a PDF viewer.
    JPEG rather than PNG: about six times faster to make and a third of the size, and text stays sharp."""
    return list(_page_images(hashlib.sha256(pdf).hexdigest(), pdf, dpi))


@lru_cache(maxsize=8)
def _page_images(digest: str, pdf: bytes, dpi: int) -> tuple[bytes, ...]:
    # Keyed by the file's hash: a signer reloading the page, or the next signer of the same revision, reuses it.
    with tempfile.TemporaryDirectory(prefix="msvc-pages-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-jpeg", "-jpegopt", "quality=85", "-r", str(dpi), str(source),
                        str(Path(tmp) / "page")], check=True, capture_output=True, timeout=60)
        pages = sorted(Path(tmp).glob("page-*.jpg"), key=lambda p: int(p.stem.split("-")[-1]))
        return tuple(p.read_bytes() for p in pages)


def _session_token(request: Request) -> str:
    token = request.cookies.get(SIGNER_COOKIE)
    if not token:
        raise Unauthenticated("no signing session")
    return token


@router.get("/sign/session/")
@router.get("/sign/session")
def sign_session(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    signing = _signing()
    try:
        token = _session_token(request)
        view = signing.signer_view(session, tokens, session_token=token)
        pdf = signing.signer_document(session, tokens, session_token=token)
    except DomainError as exc:
        key = _message_key(exc)
        return _signer_error(request, key, _status_for(key))
    pages = [base64.b64encode(png).decode() for png in pdf_page_images(pdf)]
    return render(request, "sign_document.html", view=view, pages=pages, error=None)


@router.post("/sign/session/confirm", dependencies=[CsrfChecked])
def sign_confirm(request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                 keystore: KeyStoreDep, consent: Annotated[str, Form()] = "",
                 drawing: Annotated[str, Form()] = "") -> Response:
    from ..signing.routes import get_timestamper

    signing = _signing()
    t = translator(language_of(request))
    try:
        token = _session_token(request)
        view = signing.signer_view(session, tokens, session_token=token)
    except DomainError as exc:
        key = _message_key(exc)
        return _signer_error(request, key, _status_for(key))
    problem = None
    if not consent:
        problem = t("sign.consent_needed")
    png = b""
    if drawing.startswith("data:image/png;base64,"):
        try:
            png = base64.b64decode(drawing.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError):
            png = b""
    if not png and problem is None:
        problem = t("sign.empty_signature")
    if problem is None:
        try:
            signing.accept_consent(session, tokens, session_token=token, consent_text=view["consent_text"])
            signing.save_drawing(session, tokens, session_token=token, png=png)
            signing.confirm(session, settings, tokens, keystore, get_timestamper(request), session_token=token,
                            client=signing.Client(address=client_address(request),
                                                  user_agent=request.headers.get("user-agent", "")))
        except InvalidInput as exc:
            session.rollback()
            problem = t("sign.empty_signature") if "empty" in exc.detail else exc.detail
        except DomainError as exc:
            key = _message_key(exc)
            return _signer_error(request, key, _status_for(key))
    if problem is not None:
        pdf = signing.current_pdf(session, signing.signer_session(session, tokens, session_token=token)[0])
        pages = [base64.b64encode(p).decode() for p in pdf_page_images(pdf)]
        return render(request, "sign_document.html", status_code=422, view=view, pages=pages, error=problem)
    from ..signing.models import SigningRequest

    # The file as it now stands, this signature included; the agreement takes effect once every signer
    # and the center's seal are on it (the parties can download that final file from their case page).
    signed = signing.current_pdf(session, session.get(SigningRequest, view["request_id"]))
    response = render(request, "sign_message.html", message=t("sign.done"), kind="done",
                      signed_pdf=base64.b64encode(signed).decode() if signed else None,
                      file_name=f"{view['case_number']}-signed.pdf")
    response.delete_cookie(SIGNER_COOKIE, path="/sign")
    return response




# Registered last: /sign/session must not be taken for a link token.
@router.get("/sign/{token}")
def sign_start(request: Request, token: str, session: SessionDep, tokens: TokensDep) -> Response:
    problem = _link_problem(session, tokens, token)
    if problem:
        return _signer_error(request, problem, _status_for(problem))
    return render(request, "sign_code.html", token=token, sent=None, error=None)
