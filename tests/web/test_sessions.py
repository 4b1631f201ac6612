"""Web sessions: renewal keeps the session, logout ends every token of it, and a session has an absolute end."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

from .conftest import csrf_of


def old_token(app, user, *, issued_minutes_ago: int, login_hours_ago: float = 0) -> str:
    issued = datetime.now(timezone.utc) - timedelta(minutes=issued_minutes_ago)
    settings = app.state.settings
    token, _ = app.state.tokens.issue(
        subject=str(user.id), purpose="access", lifetime=timedelta(minutes=settings.access_token_minutes),
        now=issued, claims={"role": str(user.role), "sid": uuid.uuid4().hex,
                            "auth_time": int(time.time() - login_hours_ago * 3600 - issued_minutes_ago * 60)})
    return token


def renewed_cookie(response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("msvc_session="):
            return header.split(";")[0].split("=", 1)[1]
    return None


def test_logout_after_a_renewal_ends_the_token_from_before_the_renewal(client, app, make_user):
    officer = make_user("case_officer")
    first = old_token(app, officer, issued_minutes_ago=10)  # past half its life: the next page renews it
    client.cookies.set("msvc_session", first)
    page = client.get("/dashboard")
    assert page.status_code == 200
    second = renewed_cookie(page)
    assert second and second != first
    client.cookies.set("msvc_session", second)
    assert client.post("/logout", data={"csrf_token": csrf_of(client.get("/dashboard").text)},
                       follow_redirects=False).status_code == 303
    for token in (first, second):
        client.cookies.set("msvc_session", token)
        gone = client.get("/dashboard", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login"), token[:20]


def test_a_session_is_not_renewed_past_its_absolute_lifetime(client, app, make_user):
    officer = make_user("case_officer")
    hours = app.state.settings.session_absolute_hours
    client.cookies.set("msvc_session", old_token(app, officer, issued_minutes_ago=10, login_hours_ago=hours))
    page = client.get("/dashboard")
    assert page.status_code == 200  # the token itself is still valid for a few minutes...
    assert renewed_cookie(page) is None  # ...but it is not renewed: the user logs in again after it
    client.cookies.set("msvc_session", old_token(app, officer, issued_minutes_ago=10, login_hours_ago=1))
    assert renewed_cookie(client.get("/dashboard")) is not None
