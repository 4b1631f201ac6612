"""Public PKI endpoints: the RFC 3161 TSA at /tsa, CA certificates (RFC 5280 §4.2.2.1, RFC 2585 media
types), CRLs (RFC 5280) and an OCSP responder (RFC 6960, GET and POST as in RFC 5019); and, for officers
and admins, the issued certificates under /api/v1/pki, and, for admins, the revocation of signers' certificates.

The URLs here are the ones ``hierarchy.PkiUrls`` writes into every certificate (CRL distribution points,
AIA caIssuers and OCSP) under ``MEDIATION_PUBLIC_BASE_URL``. No login: relying parties fetch them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Body, Query, Request, Response

from ..accounts.service import reauthenticate
from ..deps import AdminUser, KeyStoreDep, SessionDep, SettingsDep, StaffUser, actor_of, client_address
from ..errors import NotFound, UnsupportedMediaType
from . import hierarchy, service
from .keystore import KeyStore
from .schemas import CertificateRead, RevokeIn
from .settings import get_pki_settings
from .tsa import CONTENT_TYPE_QUERY, CONTENT_TYPE_REPLY

public_router = APIRouter(tags=["pki"])
router = APIRouter(prefix="/api/v1/pki", tags=["pki"])

CERT_DER, CERT_PEM, CRL_DER = "application/pkix-cert", "application/x-pem-file", "application/pkix-crl"
OCSP_REQUEST, OCSP_RESPONSE = "application/ocsp-request", "application/ocsp-response"


@public_router.post("/tsa", response_class=Response, summary="RFC 3161 time-stamp request",
                    responses={200: {"content": {CONTENT_TYPE_REPLY: {}}}})
async def timestamp(request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != CONTENT_TYPE_QUERY:
        raise UnsupportedMediaType(f"send the DER TimeStampReq as {CONTENT_TYPE_QUERY}")
    body = await request.body()
    from fastapi.concurrency import run_in_threadpool

    await run_in_threadpool(_throttle_public_signing, request, "tsa")
    reply = await run_in_threadpool(request.app.state.tsa.respond, body)
    return Response(reply, media_type=CONTENT_TYPE_REPLY)


# Every TSA reply and OCSP answer is signed on request, for anyone: bounded per client address.
PUBLIC_SIGNING_PER_MINUTE = 60


def _throttle_public_signing(request: Request, bucket: str) -> None:
    from datetime import timedelta

    from ..db import unit_of_work
    from ..security import throttle

    address = client_address(request)
    with unit_of_work(request.app.state.engine) as session:
        throttle.ensure_allowed(session, bucket=f"public-{bucket}", key=address, limit=PUBLIC_SIGNING_PER_MINUTE,
                                window=timedelta(minutes=1), message=f"Too many {bucket} requests from this "
                                                                       "address; try again in a minute.")
        throttle.count_attempt(session, bucket=f"public-{bucket}", key=address)


def _ca_name_or_404(ca: str) -> str:
    if ca not in hierarchy.PUBLISHED_CAS:
        raise NotFound(f"no CA named {ca!r}; published: {', '.join(hierarchy.PUBLISHED_CAS)}")
    return hierarchy.PUBLISHED_CAS[ca]


def _ca_certificate(keystore: KeyStore, ca: str, encoding: Encoding, media_type: str) -> Response:
    """A published CA's certificate, in the encoding asked for, cached for a day."""
    cert = keystore.certificate(_ca_name_or_404(ca))
    return Response(cert.public_bytes(encoding), media_type=media_type,
                    headers={"Cache-Control": "public, max-age=86400"})


@public_router.get("/pki/{ca}.crt", response_class=Response, summary="CA certificate (DER)",
                   responses={200: {"content": {CERT_DER: {}}}})
def ca_certificate(ca: str, keystore: KeyStoreDep) -> Response:
    return _ca_certificate(keystore, ca, Encoding.DER, CERT_DER)


@public_router.get("/pki/{ca}.pem", response_class=Response, summary="CA certificate (PEM)",
                   responses={200: {"content": {CERT_PEM: {}}}})
def ca_certificate_pem(ca: str, keystore: KeyStoreDep) -> Response:
    return _ca_certificate(keystore, ca, Encoding.PEM, CERT_PEM)


@public_router.get("/pki/{ca}.crl", response_class=Response, summary="Certificate revocation list (DER)",
                   responses={200: {"content": {CRL_DER: {}}}})
def crl(ca: str, session: SessionDep, keystore: KeyStoreDep) -> Response:
    crl = service.published_crl(session, keystore, get_pki_settings(), ca_name=_ca_name_or_404(ca))
    # re-signed when revocations change or after a minute; short caching keeps revocations visible quickly
    return Response(crl.public_bytes(Encoding.DER), media_type=CRL_DER,
                    headers={"Cache-Control": "max-age=60"})


@public_router.post("/pki/ocsp", response_class=Response, summary="OCSP request (RFC 6960)",
                    responses={200: {"content": {OCSP_RESPONSE: {}}}})
def ocsp_post(request_der: Annotated[bytes, Body(media_type=OCSP_REQUEST)], request: Request,
              session: SessionDep, keystore: KeyStoreDep) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != OCSP_REQUEST:
        raise UnsupportedMediaType(f"send the DER OCSPRequest as {OCSP_REQUEST}")
    _throttle_public_signing(request, "ocsp")
    answer = service.answer_ocsp(session, keystore, get_pki_settings(), request_der)
    return Response(answer, media_type=OCSP_RESPONSE)


@public_router.get("/pki/ocsp/{encoded:path}", response_class=Response, summary="OCSP request in the URL",
                   responses={200: {"content": {OCSP_RESPONSE: {}}}})
def ocsp_get(encoded: str, request: Request, session: SessionDep, keystore: KeyStoreDep) -> Response:
    _throttle_public_signing(request, "ocsp")
    try:
        request_der = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        request_der = b""  # answered as malformedRequest, like any other undecodable request
    answer = service.answer_ocsp(session, keystore, get_pki_settings(), request_der)
    return Response(answer, media_type=OCSP_RESPONSE, headers={"Cache-Control": "max-age=60"})


@router.get("/certificates", response_model=list[CertificateRead])
def list_certificates(session: SessionDep, user: StaffUser, revoked: bool | None = None,
                      case_id: int | None = None, limit: int = Query(100, ge=1, le=500),
                      offset: int = Query(0, ge=0)) -> list[CertificateRead]:
    rows = service.list_certificates(session, revoked=revoked, case_id=case_id, limit=limit, offset=offset)
    return [CertificateRead.model_validate(r) for r in rows]


@router.post("/certificates/{serial}/revoke", response_model=CertificateRead)
def revoke_certificate(request: Request, serial: str, data: RevokeIn, session: SessionDep, settings: SettingsDep,
                       keystore: KeyStoreDep, user: AdminUser) -> CertificateRead:
    """Revoke a one-time signer certificate (an admin, with the reason, re-entering the password and code).
    The center's CA, TSA, OCSP and seal certificates are refused: `mediation-svc keys revoke` on the server."""
    reauthenticate(session, settings, user=user, password=data.password, totp_code=data.totp_code,
                   address=client_address(request))
    row = service.revoke_online(session, keystore, serial=serial, reason=data.reason, note=data.note,
                                actor=actor_of(user))
    return CertificateRead.model_validate(row)
