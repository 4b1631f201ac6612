"""A request whose client disconnected before its expensive work began is abandoned, with nothing done
(issue 16: requests whose client had gone kept running for up to 181 s).

The app is called as uvicorn calls it (ASGI), the server saying ``http.disconnect`` once the body is read,
as uvicorn does for a closed socket; nothing here depends on timing."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import Session, func, select

from mediation_svc.security.throttle import ThrottleEvent


async def _call(app, request: httpx.Request, *, client_gone: bool) -> list[dict]:
    messages = [{"type": "http.request", "body": request.read(), "more_body": False}]
    forever = asyncio.Event()

    async def receive():
        if messages:
            return messages.pop(0)
        if client_gone:
            return {"type": "http.disconnect"}
        await forever.wait()  # the client is still there: nothing more to receive

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
             "scheme": "http", "path": request.url.path, "raw_path": request.url.raw_path,
             "query_string": request.url.query, "root_path": "", "client": ("127.0.0.1", 50000),
             "server": ("testserver", 80), "headers": [(k.lower(), v) for k, v in request.headers.raw]}
    await asyncio.wait_for(app(scope, receive, send), timeout=120)
    return sent


def _verifications_started(engine) -> int:
    with Session(engine) as s:  # the verification endpoint counts each attempt durably before it verifies
        return s.exec(select(func.count()).select_from(ThrottleEvent)).one()


def _abandoned(app) -> float:
    return app.state.metrics.abandoned.labels("/api/v1/verify")._value.get()


def test_a_verification_whose_client_left_is_not_started(app, engine, agreement_pdf):
    upload = httpx.Request("POST", "http://testserver/api/v1/verify",
                           files={"file": ("agreement.pdf", agreement_pdf, "application/pdf")})

    gone = asyncio.run(_call(app, upload, client_gone=True))
    assert gone[0]["type"] == "http.response.start" and gone[0]["status"] == 499
    assert _verifications_started(engine) == 0  # the work did not begin: not even its throttle count
    assert _abandoned(app) == 1

    # the same request with its client still there is verified (so the count above could have been 1)
    upload = httpx.Request("POST", "http://testserver/api/v1/verify",
                           files={"file": ("agreement.pdf", agreement_pdf, "application/pdf")})
    stayed = asyncio.run(_call(app, upload, client_gone=False))
    assert stayed[0]["status"] == 200, b"".join(m.get("body", b"") for m in stayed[1:])
    assert _verifications_started(engine) == 1
    assert _abandoned(app) == 1
