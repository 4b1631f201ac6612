"""Public verification endpoints: POST /api/v1/verify (JSON, PDF or JWS report), look-ups by the printed
code, and the report-signing key at /.well-known/jwks.json. No login: courts and parties use them as is."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from ..deps import KeyStoreDep, SessionDep, client_address
from . import attestation, service
from .pdf import render_report_pdf
from .schemas import VerificationReport

router = APIRouter(prefix="/api/v1/verify", tags=["verification"])
public_router = APIRouter(tags=["verification"])


class ReportFormat(StrEnum):
    JSON = "json"
    PDF = "pdf"
    JWS = "jws"


@router.post("", response_model=VerificationReport, summary="Verify a signed PDF (ETSI EN 319 102-1 report)",
             responses={200: {"content": {"application/pdf": {}, attestation.REPORT_MEDIA_TYPE: {}}}})
def verify(request: Request, session: SessionDep, keystore: KeyStoreDep,
           file: Annotated[UploadFile, File(description="the PDF")],
           format: Annotated[ReportFormat, Query(description="json, pdf or jws")] = ReportFormat.JSON):
    data = file.file.read(service.MAX_BYTES + 1)
    report = service.verify_upload(session, keystore, data=data, file_name=file.filename,
                                   address=client_address(request), now=service.validation_time(request.app.state))
    if format == ReportFormat.PDF:
        return Response(render_report_pdf(report), media_type="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="verification-report.pdf"'})
    if format == ReportFormat.JWS:
        token = attestation.sign_payload(keystore, report.model_dump(mode="json"), typ="verification-report+jws")
        return Response(token, media_type=attestation.REPORT_MEDIA_TYPE)
    return report


@router.get("/code/{code}", summary="The registered document behind a printed verification code")
def by_code(code: str, request: Request, session: SessionDep, keystore: KeyStoreDep) -> dict:
    return service.lookup_code(session, keystore, code=code, address=client_address(request),
                               now=service.validation_time(request.app.state))


@router.get("/code/{code}/original", response_class=Response, summary="Download the registered original",
            responses={200: {"content": {"application/pdf": {}}}})
def original(code: str, request: Request, session: SessionDep) -> Response:
    pdf, name = service.original_by_code(session, code=code, address=client_address(request))
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@public_router.get("/.well-known/jwks.json", summary="Keys that sign verification reports and manifests")
def jwks(keystore: KeyStoreDep) -> JSONResponse:
    return JSONResponse(attestation.jwks(keystore), headers={"Cache-Control": "public, max-age=3600"})
