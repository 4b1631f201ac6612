"""The staff member's own account page: change the password, and turn the second factor (TOTP, RFC 6238) on
and off. A presenter over ``accounts.service`` and ``accounts.second_factor``, the functions the
``/api/v1/users/me/...`` endpoints call; the QR code for the authenticator app is an inline SVG from segno.

Turning the factor on is the service's two steps: ``begin`` (the QR code is shown while enrolment is pending),
then ``confirm`` with a first code, whose answer shows the ten recovery codes this once. Turning it off asks
for the password and a current code again (``reauthenticate``).
"""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from ..accounts import second_factor
from ..accounts import service as accounts
from ..accounts.models import User
from ..deps import SessionDep, SettingsDep, actor_of, client_address
from ..errors import DomainError, InvalidInput
from .auth import CsrfChecked, PageUser, clear_session_cookie, revoke_cookie_token
from ..i18n.catalogue import translator
from ..i18n.labels import has_label, label
from .render import language_of, redirect, render

router = APIRouter(include_in_schema=False)


def _qr_svg(uri: str, title: str) -> Markup:
    # segno escapes the title; the URI only carries the username (letters, digits, _.@-) and the secret.
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, title=title))


def _error_words(exc: DomainError, language: str) -> str:
    if isinstance(exc, InvalidInput):  # the password rules, in the reader's words
        return translator(language)("account.password_rejected")
    slug = exc.slug if has_label("error", exc.slug) else "bad-request"
    return label("error", slug, language)


def _page(request: Request, user: User, *, status_code: int = 200, error: str | None = None,
          error_for: str | None = None, recovery_codes: list[str] | None = None) -> Response:
    t = translator(language_of(request))
    staff = user.role in second_factor.STAFF_ROLES
    pending = staff and bool(user.totp_secret) and not user.second_factor_enabled
    return render(request, "account.html", user=user, status_code=status_code, error=error, error_for=error_for,
                  staff=staff, enabled=user.second_factor_enabled, pending=pending, recovery_codes=recovery_codes,
                  qr=_qr_svg(second_factor.provisioning_uri(user), t("account.qr_title")) if pending else None,
                  secret=user.totp_secret if pending else None)


@router.get("/account")
def account_page(request: Request, user: PageUser) -> Response:
    return _page(request, user)


@router.post("/account/password", dependencies=[CsrfChecked])
def change_password(request: Request, session: SessionDep, settings: SettingsDep, user: PageUser,
                    current_password: Annotated[str, Form(max_length=200)] = "",
                    new_password: Annotated[str, Form(max_length=200)] = "",
                    new_password_again: Annotated[str, Form(max_length=200)] = "",
                    totp_code: Annotated[str, Form(max_length=40)] = "") -> Response:
    language = language_of(request)
    if new_password != new_password_again:
        return _page(request, user, status_code=422, error=translator(language)("account.password_mismatch"),
                     error_for="password")
    try:
        accounts.change_password(session, settings, user=user, current_password=current_password,
                                 new_password=new_password, totp_code=totp_code or None,
                                 address=client_address(request))
    except DomainError as exc:
        return _page(request, user, status_code=exc.status if exc.status != 401 else 403,
                     error=_error_words(exc, language), error_for="password")
    # Every token issued before the change stops working, this page's too: log in again with the new one.
    revoke_cookie_token(request, session)
    response = redirect(request, "/login", ok="password_changed")
    clear_session_cookie(request, response)
    return response


@router.post("/account/second-factor", dependencies=[CsrfChecked])
def begin_second_factor(request: Request, session: SessionDep, user: PageUser) -> Response:
    second_factor.begin(session, user=user, actor=actor_of(user))
    return redirect(request, "/account#second-factor")


@router.post("/account/second-factor/confirm", dependencies=[CsrfChecked])
def confirm_second_factor(request: Request, session: SessionDep, user: PageUser,
                          code: Annotated[str, Form(max_length=40)] = "") -> Response:
    try:
        codes = second_factor.confirm(session, user=user, code=code, actor=actor_of(user))
    except second_factor.SecondFactorRejected:
        return _page(request, user, status_code=422, error=translator(language_of(request))("account.code_rejected"),
                     error_for="second-factor")
    # The recovery codes exist in clear only in this answer; they are stored as hashes.
    response = _page(request, user, recovery_codes=codes)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/second-factor/off", dependencies=[CsrfChecked])
def disable_second_factor(request: Request, session: SessionDep, settings: SettingsDep, user: PageUser,
                          password: Annotated[str, Form(max_length=200)] = "",
                          totp_code: Annotated[str, Form(max_length=40)] = "") -> Response:
    try:
        accounts.reauthenticate(session, settings, user=user, password=password, totp_code=totp_code or None,
                                address=client_address(request))
    except DomainError as exc:
        return _page(request, user, status_code=exc.status, error=_error_words(exc, language_of(request)),
                     error_for="second-factor")
    second_factor.disable(session, user=user, actor=actor_of(user))
    return redirect(request, "/account", ok="second_factor_off")
