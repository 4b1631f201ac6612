"""Public verification endpoints: POST /api/v1/verify (JSON, PDF or JWS report), look-ups by the printed
code, and the report-signing key at /.well-known/jwks.json. No login: courts and parties use them as is."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from ..accounts.models import User
from ..accounts.service import user_from_access_token
from ..deps import KeyStoreDep, SessionDep, SettingsDep, TokensDep, client_address, oauth2_scheme
from ..reliability import ClientPresent
from ..documents.service import find_by_code
from ..errors import NotFound, Unauthenticated
from ..security import pipl
from ..deps import TimestamperDep
from ..i18n.catalogue import pick_language
from . import attestation, limits, service
from .pdf import signed_report_pdf
from .schemas import CodeLookupRead, MaskedCodeLookupRead, VerificationReport

router = APIRouter(prefix="/api/v1/verify", tags=["verification"])
public_router = APIRouter(tags=["verification"])


class ReportFormat(StrEnum):
    JSON = "json"
    PDF = "pdf"
    JWS = "jws"


@router.post("",
             dependencies=[ClientPresent], response_model=VerificationReport,
             summary="Verify a signed PDF (ETSI EN 319 102-1 report)",
             responses={200: {"content": {"application/pdf": {}, attestation.REPORT_MEDIA_TYPE: {}}}})
def verify(request: Request, session: SessionDep, settings: SettingsDep, keystore: KeyStoreDep,
           timestamper: TimestamperDep, file: Annotated[UploadFile, File(description="the PDF")],
           format: Annotated[ReportFormat, Query(description="json, pdf or jws")] = ReportFormat.JSON,
           lang: Annotated[str | None, Query(description="the PDF report's language: zh-CN or en "
                                                         "(else Accept-Language, else the default)")] = None
           ) -> VerificationReport | Response:
    data = file.file.read(service.MAX_BYTES + 1)
    # bounded: decompression scanned first, verified in a worker process with memory and time limits
    report = limits.verify_upload(session, keystore, data=data, file_name=file.filename,
                                  address=client_address(request), bounds=limits.bounds_from(settings),
                                  now=service.validation_time(request.app.state))
    if format == ReportFormat.PDF:
        language = pick_language(lang or request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip() or None,
                                 settings.default_language)
        from ..signing.credentials import lta_context

        pdf = signed_report_pdf(report, keystore=keystore, timestamper=timestamper, language=language,
                                center_name=settings.center_name_en if language == "en" else settings.center_name,
                                validation_context=lambda: lta_context(session, keystore))
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": 'attachment; filename="verification-report.pdf"', "Content-Language": language})
    if format == ReportFormat.JWS:
        token = attestation.sign_payload(keystore, report.model_dump(mode="json"), typ="verification-report+jws")
        return Response(token, media_type=attestation.REPORT_MEDIA_TYPE)
    return report


def _optional_user(session: SessionDep, tokens: TokensDep,
                   token: Annotated[str | None, Depends(oauth2_scheme)]) -> User | None:
    return user_from_access_token(session, tokens, token) if token else None


def may_read_agreement(session, user: User | None, document_id: str) -> bool:
    """security.access's rule for the agreement, for a caller who may not be logged in."""
    from ..documents.service import get_visible_document_or_404
    from ..errors import Forbidden

    if user is None:
        return False
    try:
        get_visible_document_or_404(session, user=user, document_id=document_id)
    except (NotFound, Forbidden):
        return False
    return True


@router.get("/code/{code}", summary="The registered document behind a printed verification code",
            response_model=CodeLookupRead | MaskedCodeLookupRead)
def by_code(code: str, request: Request, session: SessionDep, keystore: KeyStoreDep,
            user: Annotated[User | None, Depends(_optional_user)]) -> CodeLookupRead | MaskedCodeLookupRead:
    """Without a login (or for someone who may not read the agreement) the signers' names are masked."""
    answer = service.lookup_code(session, keystore, code=code, address=client_address(request),
                                 now=service.validation_time(request.app.state))
    if may_read_agreement(session, user, answer["document_id"]):
        return CodeLookupRead.model_validate(answer)
    return MaskedCodeLookupRead.model_validate(pipl.mask_code_lookup(answer))


@router.get("/code/{code}/original", response_class=Response, summary="Download the registered original",
            responses={200: {"content": {"application/pdf": {}}}})
def original(code: str, request: Request, session: SessionDep,
             user: Annotated[User | None, Depends(_optional_user)]) -> Response:
    """The original carries full ID numbers and bank accounts: for the parties' accounts, staff and the court
    it is shared with (a signer also has it from the signing link); the code alone is not enough."""
    if user is None:
        raise Unauthenticated("log in to download the original; the code alone shows the verdict and hashes")
    pdf, name = service.original_by_code(session, code=code, address=client_address(request))  # throttled
    document = find_by_code(session, code)
    if document is None or not may_read_agreement(session, user, document.id):
        raise NotFound("no document has this verification code")
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@public_router.get("/.well-known/jwks.json", summary="Keys that sign verification reports and manifests")
def jwks(keystore: KeyStoreDep) -> JSONResponse:
    return JSONResponse(attestation.jwks(keystore), headers={"Cache-Control": "public, max-age=3600"})
