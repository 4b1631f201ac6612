"""Cookie sessions and CSRF protection for the pages.

The session cookie carries the same ES256 access JWT the API uses (``accounts.service``); it is HttpOnly,
SameSite=Lax, and Secure when the public base URL is https. Tokens are short-lived, so a page request
renews the cookie once half of the token's life has passed, never beyond ``MEDIATION_SESSION_ABSOLUTE_HOURS``
after the login; renewed tokens keep the login's session id (``sid``), and logging out revokes that session,
so no token from before a renewal outlives the logout.

CSRF: every form carries the value of the ``msvc_csrf`` cookie (double-submit token) and, when the
browser sends an Origin header, it must be our own origin. Both are checked before a form is read further.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import time
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlmodel import Session

from ..accounts.models import User
from ..accounts.service import issue_access_token, revoke_access_token, user_from_access_token
from ..deps import SessionDep
from ..errors import DomainError, Forbidden, Unauthenticated
from ..security.roles import is_staff, works_cases

SESSION_COOKIE = "msvc_session"
CSRF_COOKIE = "msvc_csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """Raised by page dependencies; ``install`` turns it into a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRejected(DomainError):
    status, slug, title = 403, "csrf-rejected", "The form's CSRF token or origin is not valid"


def secure_cookies(request: Request) -> bool:
    return request.app.state.settings.public_base_url.startswith("https://")


def set_session_cookie(request: Request, response: Response, token: str, lifetime: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=lifetime, httponly=True, samesite="lax",
                        secure=secure_cookies(request), path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request))


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one that ``remember_csrf`` will set."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) < 32:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict", secure=secure_cookies(request),
                            path="/")


def _same_origin(request: Request, origin: str) -> bool:
    base = urlsplit(str(request.base_url))
    public = urlsplit(request.app.state.settings.public_base_url)
    seen = urlsplit(origin)
    return (seen.scheme, seen.netloc) in {(base.scheme, base.netloc), (public.scheme, public.netloc)}


async def check_csrf(request: Request) -> None:
    """Refuse a form whose token does not match its cookie, or that comes from another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and not _same_origin(request, origin):
        raise CsrfRejected("the form was sent from another site")
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get("x-csrf-token") or ""
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfRejected("the form's CSRF token is missing or does not match")


CsrfChecked = Depends(check_csrf)


def _next_url(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def optional_page_user(request: Request, session: SessionDep) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    tokens = request.app.state.tokens
    try:
        user = user_from_access_token(session, tokens, token)
        claims = tokens.decode(token, purpose="access")
    except Unauthenticated:
        return None
    # A detached snapshot for error pages, which render after the request's transaction has ended.
    request.state.page_user = SimpleNamespace(id=user.id, username=user.username, display_name=user.display_name,
                                              role=str(user.role))
    settings = request.app.state.settings
    now = time.time()
    remaining = claims["exp"] - now
    # Renewal keeps the login's time: past the absolute lifetime the session ends however busy it is.
    auth_time = int(claims.get("auth_time") or claims["iat"])
    within_lifetime = now + settings.access_token_minutes * 60 <= auth_time + settings.session_absolute_hours * 3600
    if remaining < settings.access_token_minutes * 30 and within_lifetime:  # under half its life left: renew
        # Same session id: logging out ends this token and every one renewed before it. (The replaced token
        # is not revoked right away: requests the browser already sent with it, a preview frame, still run.)
        request.state.renewed_token = issue_access_token(tokens, settings, user, auth_time=auth_time,
                                                         session_id=claims.get("sid"))
    return user


def page_user(request: Request, user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    if user is None:
        raise LoginRequired(_next_url(request))
    return user


PageUser = Annotated[User, Depends(page_user)]
MaybeUser = Annotated[User | None, Depends(optional_page_user)]


def staff_page_user(user: PageUser) -> User:
    if not is_staff(user.role):
        raise Forbidden("this page is for case officers")
    return user


def scheduler_page_user(user: PageUser) -> User:
    if not works_cases(user.role):
        raise Forbidden("this page is for case officers and mediators")
    return user


StaffPageUser = Annotated[User, Depends(staff_page_user)]
SchedulerPageUser = Annotated[User, Depends(scheduler_page_user)]


def revoke_cookie_token(request: Request, session: Session) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with contextlib.suppress(Unauthenticated):
            revoke_access_token(session, request.app.state.tokens, request.app.state.settings, token)
