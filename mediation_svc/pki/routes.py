"""Public PKI endpoints: the RFC 3161 TSA at /tsa, CA certificates, CRLs (RFC 5280) and OCSP (RFC 6960)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response

from ..errors import DomainError
from .settings import get_pki_settings
from .tsa import CONTENT_TYPE_QUERY, CONTENT_TYPE_REPLY, TimeStampAuthority, make_timestamper

public_router = APIRouter(tags=["pki"])


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


def install(app: FastAPI) -> None:
    """Attach the TSA and the signing TimeStamper (the one signing uses) to the app."""
    pki = get_pki_settings()
    app.state.tsa = TimeStampAuthority.from_keystore(app.state.keystore)
    app.state.timestamper = make_timestamper(app.state.keystore, url=pki.tsa_url,
                                             timeout=pki.tsa_timeout_seconds, username=pki.tsa_username,
                                             password=pki.tsa_password)


@public_router.post("/tsa", response_class=Response, summary="RFC 3161 time-stamp request",
                    responses={200: {"content": {CONTENT_TYPE_REPLY: {}}}})
async def timestamp(request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != CONTENT_TYPE_QUERY:
        raise UnsupportedMediaType(f"send the DER TimeStampReq as {CONTENT_TYPE_QUERY}")
    body = await request.body()
    from fastapi.concurrency import run_in_threadpool

    reply = await run_in_threadpool(request.app.state.tsa.respond, body)
    return Response(reply, media_type=CONTENT_TYPE_REPLY)
