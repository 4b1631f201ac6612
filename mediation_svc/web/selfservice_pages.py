"""The consumer's own pages (/my): prove the phone by SMS code, then follow one's cases and complaints.

Mobile first (360 px), Chinese first, 大字模式 as everywhere. The rules are ``selfservice``'s; these pages call
its service and show what it answers. The proof's token is kept in an HttpOnly, SameSite=Strict cookie limited
to /my, for the token's own 30 minutes; logging out revokes it at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ..deps import KeyStoreDep, SessionDep, TokensDep, client_address
from ..errors import DomainError, Unauthenticated
from ..phones import normalise_mobile
from ..selfservice import policy, service
from ..signing.identity import mask_phone
from ..workcalendar.service import load_calendar
from . import auth
from .auth import CsrfChecked
from .i18n import translator
from .render import language_of, redirect, render

CONSUMER_COOKIE = "msvc_consumer"
router = APIRouter(include_in_schema=False)


def _proved(request: Request, session: SessionDep, tokens: TokensDep) -> service.ProvedPhone | None:
    token = request.cookies.get(CONSUMER_COOKIE)
    if not token:
        return None
    try:
        return service.proved_phone(session, tokens=tokens, token=token)
    except Unauthenticated:
        return None


def _phone_page(request: Request, *, error: str | None = None, phone: str = "", status: int = 200) -> Response:
    return render(request, "my_phone.html", status_code=status, error=error, phone=phone)


@router.get("/my")
def phone_page(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    if _proved(request, session, tokens):
        return redirect(request, "/my/matters")
    return _phone_page(request)


@router.post("/my/code", dependencies=[CsrfChecked])
def send_code(request: Request, session: SessionDep, keystore: KeyStoreDep,
              phone: Annotated[str, Form(max_length=40)] = "") -> Response:
    t = translator(language_of(request))
    try:
        mobile = normalise_mobile(phone)
    except ValueError:
        return _phone_page(request, error=t("self.bad_phone"), phone=phone, status=422)
    try:
        sent = service.send_code(session, keystore=keystore, phone=mobile, client=client_address(request))
    except DomainError as exc:
        return _phone_page(request, error=t("self.too_many"), phone=phone, status=exc.status)
    return render(request, "my_code.html", phone=mobile, phone_masked=sent.phone_masked, error=None,
                  minutes=int(policy.CODE_LIFETIME.total_seconds() // 60))


@router.post("/my/proof", dependencies=[CsrfChecked])
def prove(request: Request, session: SessionDep, keystore: KeyStoreDep, tokens: TokensDep,
          phone: Annotated[str, Form(max_length=40)] = "", code: Annotated[str, Form(max_length=12)] = "") -> Response:
    t = translator(language_of(request))
    try:
        mobile = normalise_mobile(phone)
    except ValueError:
        return _phone_page(request, error=t("self.bad_phone"), phone=phone, status=422)
    try:
        proof = service.prove(session, keystore=keystore, tokens=tokens, phone=mobile, code=code,
                              client=client_address(request))
    except DomainError as exc:
        reason = (exc.extensions.get("errors") or [{}])[0].get("msg")
        error = t("self.locked") if exc.status == 429 else t(f"self.code_{reason}" if reason in ("expired", "used")
                                                              else "self.wrong_code")
        return render(request, "my_code.html", status_code=exc.status, phone=mobile,
                      phone_masked=mask_phone(mobile), error=error,
                      minutes=int(policy.CODE_LIFETIME.total_seconds() // 60))
    response = redirect(request, "/my/matters")
    response.set_cookie(CONSUMER_COOKIE, proof.token, max_age=int(policy.PROOF_LIFETIME.total_seconds()),
                        httponly=True, samesite="strict", secure=auth.secure_cookies(request), path="/my")
    return response


def _ask_again(request: Request) -> Response:
    return _phone_page(request, error=translator(language_of(request))("self.prove_again"), status=401)


@router.get("/my/matters")
def matters(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    proved = _proved(request, session, tokens)
    if proved is None:
        return _ask_again(request)
    service.count_lookup(session, proved=proved)
    calendar = load_calendar(session)
    cases = [service.facts_of(session, case=c, calendar=calendar)
             for c in service.cases_of(session, phone=proved.phone)]
    return render(request, "my_matters.html", phone_masked=mask_phone(proved.phone), cases=cases,
                  complaints=service.complaints_of(session, phone=proved.phone))


@router.get("/my/cases/{number}")
def case_page(number: str, request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    proved = _proved(request, session, tokens)
    if proved is None:
        return _ask_again(request)
    service.count_lookup(session, proved=proved)
    case = service.case_of(session, phone=proved.phone, number=number)
    if case is None:
        return render(request, "my_matters.html", status_code=404, phone_masked=mask_phone(proved.phone),
                      cases=[], complaints=[], not_found=number)
    facts = service.facts_of(session, case=case, calendar=load_calendar(session))
    return render(request, "my_case.html", facts=None, case=facts, phone_masked=mask_phone(proved.phone))


@router.post("/my/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep, tokens: TokensDep) -> Response:
    proved = _proved(request, session, tokens)
    if proved is not None:
        service.end_proof(session, proved=proved)
    response = redirect(request, "/my", ok="self_logged_out")
    response.delete_cookie(CONSUMER_COOKIE, path="/my", httponly=True, samesite="strict",
                           secure=auth.secure_cookies(request))
    return response
