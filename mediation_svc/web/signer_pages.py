"""The signer's own pages: parties on phones (the link, the code and the ID check, the document, consent, the
drawn signature, the key made in the browser, declining, the download), and the mediator signing from the console.

The rules (OTP, the ID check, consent, the drawn signature, the PAdES signature, signing order, the seal)
live in ``mediation_svc.signing.service``; these pages only call it. The signer never logs in: the link
from the text message, then the code and the last four ID characters, give a short signing-session token
that the page keeps in an HttpOnly, SameSite=Strict cookie limited to /sign.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from ..accounts.models import User
from ..cases.models import Case
from ..db import utcnow
from ..deps import KeyStoreDep, SessionDep, SettingsDep, TokensDep, client_address, get_timestamper
from ..documents import queries as document_queries
from ..documents.models import Document
from ..errors import DomainError, InvalidInput, NotFound, Unauthenticated
from ..security.tokens import TokenService
from . import auth
from .auth import CsrfChecked, PageUser
from ..i18n.catalogue import translator
from .pdf_reading import agreement_text, pdf_page_images
from .render import language_of, redirect, render
from ..signing import service as signing
from ..signing.models import SigningRequest

SIGNER_COOKIE = "msvc_signer"
router = APIRouter(include_in_schema=False)


# --- the signer's pages ------------------------------------------------------------------------------------
#
# Every page a signer reaches says, in their language, what happened, what to do and the center's hotline: the
# link (/s/<code>), the code form, the agreement, and one state page (sign_state.html) for everything else.
# Every POST address also answers GET (a refresh, the back button, a language or text-size switch) by sending
# the signer back to where they stand; anything else under /s/ and /sign/ is the "link not valid" page.

def _client(request: Request):
    return signing.Client(address=client_address(request), user_agent=request.headers.get("user-agent", ""))


def _state_page(request: Request, state: str, *, facts: dict | None = None, status: int | None = None,
                link: str | None = None, session_open: bool = False) -> Response:
    return render(request, "sign_state.html", status_code=status or STATE_STATUS.get(state, 200), state=state,
                  facts=facts, link=link, session_open=session_open)


# Every state a signer's page can show (sign_state.html: sign.state.<state>.title / .what / .next)
PAGE_STATES = ("open", "waiting", "not_open", "signed", "completed", "declined", "declined_other", "voided",
               "expired", "locked", "replaced", "invalid", "rate_limited", "no_session", "session_replaced",
               "console", "no_more_codes", "no_webcrypto")

# HTTP status of each state page: 200 where the signer has nothing wrong to fix, 4xx otherwise
STATE_STATUS = {"invalid": 404, "expired": 410, "replaced": 410, "locked": 423, "voided": 410,
                "declined_other": 410, "session_replaced": 401, "no_session": 401, "console": 409,
                "rate_limited": 429}


def _state_of(exc: DomainError) -> str:
    """The signer-page state a refusal stands for."""
    state = exc.extensions.get("signer_state")
    if state:
        return state
    if isinstance(exc, signing.LinkUnknown):
        return "invalid"
    if isinstance(exc, signing.SigningRequestExpired):
        return "expired"
    if isinstance(exc, signing.CodeLocked):
        return "locked"
    if isinstance(exc, signing.NotYourTurn):
        return "waiting"
    if exc.status == 429:
        return "rate_limited"
    if isinstance(exc, Unauthenticated):
        return "no_session"
    return "invalid"


@router.get("/s/{code}")
def sign_start(request: Request, code: str, session: SessionDep, keystore: KeyStoreDep) -> Response:
    try:
        facts = signing.open_link(session, keystore, code=code, address=client_address(request))
    except DomainError as exc:
        return _state_page(request, _state_of(exc))
    if facts["state"] not in ("open", "completed") or facts["kind"] == "mediator":
        return _state_page(request, facts["state"] if facts["kind"] != "mediator" else "console", facts=facts)
    return render(request, "sign_code.html", code=code, facts=facts, sent=None, error=None)


@router.get("/s/{code}/code")
@router.get("/s/{code}/verify")
def sign_back_to_link(request: Request, code: str) -> Response:
    return redirect(request, f"/s/{code}")


@router.post("/s/{code}/code", dependencies=[CsrfChecked])
def sign_send_code(request: Request, code: str, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                   keystore: KeyStoreDep) -> Response:
    t = translator(language_of(request))
    facts = None
    try:
        facts = signing.open_link(session, keystore, code=code, address=client_address(request))
        sent = signing.request_code(session, settings, tokens, keystore, link_code=code,
                                    address=client_address(request))
    except DomainError as exc:
        if facts is None:  # the link itself was refused (unknown, or too many unknown ones from here)
            return _state_page(request, _state_of(exc))
        if exc.status == 429 and exc.extensions.get("retry_after_seconds", 3600) < 3600:
            return render(request, "sign_code.html", status_code=429, code=code, facts=facts, sent={"phone": ""},
                          error=t("sign.code_too_soon", seconds=exc.extensions["retry_after_seconds"]))
        if exc.status == 429:
            return _state_page(request, "no_more_codes", status=429)
        return _state_page(request, _state_of(exc))
    return render(request, "sign_code.html", code=code, facts=facts, sent=sent, error=None)


def _with_session(request: Request, result: dict, to: str = "/sign/session") -> Response:
    response = redirect(request, to)
    lifetime = max(60, int((result["expires_at"] - utcnow()).total_seconds()))
    response.set_cookie(SIGNER_COOKIE, result["session_token"], max_age=lifetime, httponly=True, samesite="strict",
                        secure=auth.secure_cookies(request), path="/sign")
    return response


@router.post("/s/{code}/verify", dependencies=[CsrfChecked])
def sign_verify(request: Request, code: str, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                keystore: KeyStoreDep, otp: Annotated[str, Form(alias="code")] = "",
                id_last4: Annotated[str, Form()] = "") -> Response:
    t = translator(language_of(request))
    facts = None
    try:
        facts = signing.open_link(session, keystore, code=code, address=client_address(request))
        result = signing.verify_identity(session, settings, tokens, keystore, link_code=code, code=otp.strip(),
                                         id_last4=id_last4.strip() or None, client=_client(request))
    except DomainError as exc:
        # a failed attempt is already counted durably, after this transaction (signers._count_failure)
        if facts is None:
            return _state_page(request, _state_of(exc))
        if isinstance(exc, Unauthenticated) and "attempts_left" in exc.extensions:
            return render(request, "sign_code.html", status_code=401, code=code, facts=facts, sent={"phone": ""},
                          error=t("sign.wrong_code", left=exc.extensions["attempts_left"]))
        if isinstance(exc, Unauthenticated) and exc.extensions.get("code_expired"):
            return render(request, "sign_code.html", status_code=401, code=code, facts=facts, sent=None,
                          error=t("sign.code_expired"))
        return _state_page(request, _state_of(exc))
    return _with_session(request, result)


def _session_token(request: Request) -> str:
    token = request.cookies.get(SIGNER_COOKIE)
    if not token:
        raise Unauthenticated("no signing session", signer_state="no_session")
    return token


def _signer_home(request: Request, session: Session, tokens: TokenService) -> dict | Response:
    """Where the signer of the session in the cookie stands, or, when there is no such session to go on with (none,
    expired, replaced ...), the page that says so."""
    try:
        return signing.signer_home(session, tokens, session_token=_session_token(request))
    except DomainError as exc:
        return _state_page(request, _state_of(exc))


def _finalised(session: Session, document_id: str) -> Document:
    """The finalised document a signing request is for; the request refers to it, so it is there."""
    document = document_queries.document_of(session, document_id=document_id)
    if document is None:
        raise RuntimeError(f"the signing request's document {document_id} does not exist")
    return document


def _document_page(request: Request, session, tokens, token: str, *, error: str | None = None,
                   status_code: int = 200) -> Response:
    view = signing.signer_view(session, tokens, session_token=token, language=language_of(request))
    finalised = _finalised(session, view["document_id"])
    signing.signer_document(session, tokens, session_token=token)
    return render(request, "sign_document.html", status_code=status_code, view=view,
                  paragraphs=agreement_text(finalised.pdf), error=error,
                  challenge=signing.signer_challenge(session, tokens, session_token=token))


@router.get("/sign/session/")
@router.get("/sign/session")
def sign_session(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    try:
        token = _session_token(request)
        home = signing.signer_home(session, tokens, session_token=token)
        if home["state"] != "open":
            return _state_page(request, home["state"], facts=home, status=200, session_open=True)
        return _document_page(request, session, tokens, token)
    except DomainError as exc:
        return _state_page(request, _state_of(exc))


@router.get("/sign/session/original")
def sign_original(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    """The agreement's pages as images (查看原件版式): the layout as printed, for those who want to see it."""
    home = _signer_home(request, session, tokens)
    if isinstance(home, Response):
        return home
    finalised = _finalised(session, home["document_id"])
    pages = [base64.b64encode(jpg).decode() for jpg in pdf_page_images(finalised.pdf)]
    return render(request, "sign_original.html", facts=home, pages=pages)


@router.get("/sign/session/signed.pdf")
def sign_download(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    """The final signed agreement, once it took effect; the signer proved themselves with an SMS code."""
    home = _signer_home(request, session, tokens)
    if isinstance(home, Response):
        return home
    pdf = signing.signed_pdf(session, document_id=home["document_id"]) if home["state"] == "completed" else None
    if pdf is None:
        return _state_page(request, home["state"], facts=home, session_open=True)
    name = quote(f"{home['case_number']}-signed.pdf")  # RFC 6266 / 5987: the case number is Chinese
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"agreement-signed.pdf\"; filename*=UTF-8''{name}",
        "Cache-Control": "no-store"})


def _json_problem(request: Request, exc: DomainError) -> Response:
    """For the page's script: the refusal in the signer's words (the script shows ``message``)."""
    t = translator(language_of(request))
    state = _state_of(exc)
    key = {"signing-document-changed": "sign.js.changed", "invalid-input": "sign.js.refused",
           "timestamp-unavailable": "sign.js.tsa"}.get(exc.slug, f"sign.state.{state}.what")
    return JSONResponse({"message": t(key), "retry": exc.slug == "signing-document-changed", "state": state},
                        status_code=exc.status)


@router.post("/sign/session/prepare", dependencies=[CsrfChecked])
def sign_prepare(request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                 keystore: KeyStoreDep, consent: Annotated[str, Form()] = "", drawing: Annotated[str, Form()] = "",
                 public_key: Annotated[str, Form()] = "", possession: Annotated[str, Form()] = "") -> Response:
    """Step 1 of the browser's signature: consent, the drawing, the key's public half and its proof."""
    t = translator(language_of(request))
    if not consent:
        return JSONResponse({"message": t("sign.consent_needed")}, status_code=422)
    try:
        png = base64.b64decode(drawing.split(",", 1)[1], validate=True) if drawing.startswith(
            "data:image/png;base64,") else b""
        spki, proof = base64.b64decode(public_key, validate=True), base64.b64decode(possession, validate=True)
    except (binascii.Error, ValueError):
        png, spki, proof = b"", b"", b""
    if not png:
        return JSONResponse({"message": t("sign.empty_signature")}, status_code=422)
    try:
        with session.begin_nested():  # a refused step leaves nothing behind (a savepoint)
            token = _session_token(request)
            view = signing.signer_view(session, tokens, session_token=token, language=language_of(request))
            if not view["document_viewed"]:
                signing.signer_document(session, tokens, session_token=token)
            signing.accept_consent(session, tokens, session_token=token, consent_text=view["consent_text"],
                                   key_origin=signing.KEY_SIGNER_DEVICE)
            signing.save_drawing(session, tokens, session_token=token, png=png)
            prepared = signing.prepare_browser_key(session, settings, tokens, keystore, session_token=token,
                                                   public_key_der=spki, possession_signature=proof,
                                                   client=_client(request))
    except InvalidInput as exc:
        message = t("sign.empty_signature") if "empty" in exc.detail else t("sign.js.refused")
        return JSONResponse({"message": message}, status_code=422)
    except DomainError as exc:
        return _json_problem(request, exc)
    return JSONResponse({"attributes": prepared["signed_attributes_b64"]})


@router.post("/sign/session/finish", dependencies=[CsrfChecked])
def sign_finish(request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                signature: Annotated[str, Form()] = "") -> Response:
    """Step 2: the browser's signature over the signed attributes; the page then shows "signed"."""
    try:
        raw = base64.b64decode(signature, validate=True)
        with session.begin_nested():  # a refused signature leaves nothing behind (a savepoint)
            signing.finish_browser_key(session, settings, tokens, get_timestamper(request),
                                       session_token=_session_token(request), signature=raw)
    except (binascii.Error, ValueError):
        return JSONResponse({"message": translator(language_of(request))("sign.js.refused")}, status_code=422)
    except DomainError as exc:
        return _json_problem(request, exc)
    return JSONResponse({"next": "/sign/session"})


@router.post("/sign/session/confirm", dependencies=[CsrfChecked])
def sign_confirm(request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                 keystore: KeyStoreDep, consent: Annotated[str, Form()] = "",
                 drawing: Annotated[str, Form()] = "") -> Response:
    """On site only, a tablet that cannot make a key itself: the center's one-time key, and the consent says so.
    Anywhere else this is where a browser without WebCrypto lands: the page says what to do instead."""
    t = translator(language_of(request))
    try:
        token = _session_token(request)
        view = signing.signer_view(session, tokens, session_token=token, language=language_of(request))
    except DomainError as exc:
        return _state_page(request, _state_of(exc))
    if signing.KEY_CENTER_SERVER not in view["consent_texts"]:
        return _state_page(request, "no_webcrypto", facts=view, status=409, session_open=True)
    png = b""
    if drawing.startswith("data:image/png;base64,"):
        try:
            png = base64.b64decode(drawing.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError):
            png = b""
    problem = t("sign.consent_needed") if not consent else (t("sign.empty_signature") if not png else None)
    if problem is None:
        try:
            with session.begin_nested():  # a refused confirmation leaves nothing behind (a savepoint)
                signing.accept_consent(session, tokens, session_token=token,
                                       consent_text=view["consent_texts"][signing.KEY_CENTER_SERVER],
                                       key_origin=signing.KEY_CENTER_SERVER)
                signing.save_drawing(session, tokens, session_token=token, png=png)
                signing.confirm(session, settings, tokens, keystore, get_timestamper(request), session_token=token,
                                client=_client(request))
        except InvalidInput:
            problem = t("sign.empty_signature")
        except DomainError as exc:
            return _state_page(request, _state_of(exc))
    if problem is not None:
        return _document_page(request, session, tokens, token, error=problem, status_code=422)
    return redirect(request, "/sign/session")


@router.post("/sign/session/decline", dependencies=[CsrfChecked])
def sign_decline(request: Request, session: SessionDep, settings: SettingsDep, tokens: TokensDep,
                 reason: Annotated[str, Form(max_length=1000)] = "", confirmed: Annotated[str, Form()] = "") -> Response:
    """拒绝签署: first a summary of what declining does, with the reason given (if any); then, confirmed, the
    request stops, the others are told by SMS, and the page says what happened and what comes next."""
    try:
        token = _session_token(request)
        view = signing.signer_view(session, tokens, session_token=token, language=language_of(request))
        if not confirmed:
            return render(request, "sign_decline.html", view=view, reason=reason.strip())
        signing.decline(session, settings, tokens, session_token=token, reason=reason)
    except DomainError as exc:
        return _state_page(request, _state_of(exc))
    return redirect(request, "/sign/session")  # the declined page, which a refresh shows again


@router.get("/sign/session/prepare")
@router.get("/sign/session/finish")
@router.get("/sign/session/confirm")
@router.get("/sign/session/decline")
def sign_back_to_session(request: Request) -> Response:
    return redirect(request, "/sign/session")


@router.get("/sign/legal")
def sign_legal(request: Request) -> Response:
    """The full legal text behind the two sentences of the consent."""
    return render(request, "sign_legal.html")


# --- the mediator signs from the console --------------------------------------------------------------------

def _console_request(session: Session, user: User, case_id: int,
                     request_id: int) -> tuple[SigningRequest, Case]:
    """The signing request (and its case) the mediator's console is about: one this user sees, on this case."""
    req, case = signing.get_visible_request_or_404(session, user=user, request_id=request_id)
    if case.id != case_id:
        raise NotFound("signing request not found on this case")
    return req, case


@router.post("/cases/{case_id}/signing/{request_id}/mediator/code", dependencies=[CsrfChecked])
def mediator_code(request: Request, case_id: int, request_id: int, session: SessionDep, settings: SettingsDep,
                  keystore: KeyStoreDep, user: PageUser) -> Response:
    req, case = _console_request(session, user, case_id, request_id)
    t = translator(language_of(request))
    try:
        sent = signing.console_code(session, settings, keystore, request=req, user=user)
        error = None
    except DomainError as exc:
        if exc.status != 429:
            raise
        sent, error = {"phone": ""}, t("sign.code_too_soon", seconds=exc.extensions.get("retry_after_seconds", 60))
    return render(request, "sign_console.html", user=user, case=case, req=req, sent=sent, error=error)


@router.post("/cases/{case_id}/signing/{request_id}/mediator/verify", dependencies=[CsrfChecked])
def mediator_verify(request: Request, case_id: int, request_id: int, session: SessionDep, settings: SettingsDep,
                    tokens: TokensDep, keystore: KeyStoreDep, user: PageUser,
                    code: Annotated[str, Form()] = "") -> Response:
    req, case = _console_request(session, user, case_id, request_id)
    t = translator(language_of(request))
    try:
        result = signing.console_verify(session, settings, tokens, keystore, request=req, user=user,
                                        code=code.strip(), client=_client(request))
    except Unauthenticated as exc:  # the failed attempt is counted after this transaction (_count_failure)
        return render(request, "sign_console.html", status_code=401, user=user, case=case, req=req,
                      sent={"phone": ""}, error=t("sign.wrong_code", left=exc.extensions.get("attempts_left", 0)))
    return _with_session(request, result)


# Registered last: anything else under /s/ and /sign/ (an old or mistyped link, a method a page does not take)
# is the plain "link not valid" page, never JSON.
@router.api_route("/s/{rest:path}", methods=["GET", "POST"])
@router.api_route("/sign/{rest:path}", methods=["GET", "POST"])
def sign_unknown(request: Request, rest: str) -> Response:
    return _state_page(request, "invalid")
