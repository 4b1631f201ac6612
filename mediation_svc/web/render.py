"""Rendering pages: one autoescaping Jinja2 environment, the language and text-size preferences, flashes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..timeutil import format_shanghai
from . import auth
from .document_words import translator_for
from ..i18n.catalogue import in_language, pick_language, translator
from ..i18n.labels import has_label, labeller

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANG_COOKIE = "msvc_lang"
TEXT_COOKIE = "msvc_text"

# Defence in depth behind autoescaping: only our own scripts and styles; images may be data: (page images, the
# QR code) and the preview frame a blob: PDF. Signing links carry a token in the path: never send it onwards.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; frame-src 'self' blob:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"¥{value:,.2f}"


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return format_shanghai(value, fmt) if isinstance(value, datetime) else ("" if value is None else str(value))


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()




env.filters.update(money=_money, local=_local, day=_day, in_language=in_language)


def language_of(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return pick_language(wanted, request.app.state.settings.default_language)


def large_text(request: Request) -> bool:
    return request.cookies.get(TEXT_COOKIE) == "large"


def render(request: Request, template: str, *, user=None, status_code: int = 200, **context: Any) -> HTMLResponse:
    language = language_of(request)
    # a signer's page speaks of the document they sign (facts / view: signing.service.page_facts)
    about = context.get("facts") or context.get("view") or {}
    t = translator_for(translator(language), kind=about.get("document_kind"), language=language)
    flash = request.query_params.get("ok")
    values = {k[4:]: v for k, v in request.query_params.items() if k.startswith("okv_")}
    html = env.get_template(template).render(
        request=request, user=user, t=t, label=labeller(language), has_label=has_label, lang=language,
        large=large_text(request),
        csrf=auth.csrf_token(request), csrf_field=auth.CSRF_FIELD,
        flash=t(f"ok.{flash}", **values) if flash and flash.replace("_", "").isalnum() else None,
        center_name=request.app.state.settings.center_name if language == "zh-CN"
        else request.app.state.settings.center_name_en,
        hotline=request.app.state.settings.center_phone or "", path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
    finish(request, response)
    return response


class PageAnswer(Exception):
    """A page's answer given from inside a helper the handler called (prove the phone again, back to the list):
    ``routes.install`` sends ``response`` as it is. The request's unit of work rolls back, so raise it before the
    handler writes anything."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def finish(request: Request, response) -> None:
    """Cookies every page response may need: a fresh CSRF token, a renewed session, a chosen language."""
    auth.remember_csrf(request, response)
    renewed = getattr(request.state, "renewed_token", None)
    if renewed:
        auth.set_session_cookie(request, response, *renewed)
    wanted = request.query_params.get("lang")
    if wanted:
        response.set_cookie(LANG_COOKIE, pick_language(wanted), max_age=365 * 86400, samesite="lax",
                            secure=auth.secure_cookies(request))


def redirect(request: Request, url: str, *, ok: str | None = None, **values: Any) -> RedirectResponse:
    """303 to a page, with an optional success message key (``ok.<key>``) and its values."""
    if ok:
        query = urlencode({"ok": ok, **{f"okv_{k}": v for k, v in values.items()}})
        url, hash_, fragment = url.partition("#")
        url = f"{url}{'&' if '?' in url else '?'}{query}{hash_}{fragment}"
    response = RedirectResponse(url, status_code=303)
    finish(request, response)
    return response


def safe_next(url: str | None) -> str:
    """Only local paths: an open redirect to another site is refused."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/dashboard"
    return url
