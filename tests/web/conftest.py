"""Page tests: a TestClient logged in through the login form (the real cookie and CSRF path)."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

PASSWORD = "correct-horse-42"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


@pytest.fixture
def login(client):
    """login(user) -> the client, carrying that user's session cookie."""

    def do(user, password: str = PASSWORD):
        client.cookies.clear()
        page = client.get("/login")
        response = client.post("/login", data={"username": user.username, "password": password,
                                               "csrf_token": csrf_of(page.text), "next": "/dashboard"},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
        return client

    return do


@pytest.fixture
def form_post(client):
    """form_post(page_url, action, data) -> response: takes the CSRF token from the page first."""

    def post(page_url: str, action: str, data: dict, **kwargs):
        page = client.get(page_url)
        assert page.status_code == 200, page.text
        return client.post(action, data={**data, "csrf_token": csrf_of(page.text)}, follow_redirects=False, **kwargs)

    return post


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, once per test module (Playwright's sync API allows one running instance
    per thread, and while it runs the thread counts as running an event loop: per module, so the tests of
    other modules, which sign with pyHanko, never run beside it)."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Debian's Chromium, never a browser Playwright would download.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@contextmanager
def running_server(settings, engine):
    """The app served by uvicorn in a thread on ``settings.public_base_url``'s port, until the block ends."""
    import threading
    import time

    import uvicorn

    from mediation_svc.app import create_app

    port = int(settings.public_base_url.rsplit(":", 1)[1])
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield settings.public_base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
