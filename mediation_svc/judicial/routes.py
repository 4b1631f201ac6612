"""Judicial confirmation API: start the joint application, build and download the evidence package,
share the case with a court, verify a package, record the ruling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from ..cases.service import get_visible_case_or_404
from ..db import id_of
from ..deps import CurrentUser, KeyStoreDep, SessionDep, SettingsDep, StaffUser, TokensDep
from ..errors import PayloadTooLarge
from ..signing import service as signing
from ..verification import attestation
from ..verification.report import NotAPdf, verify_pdf
from ..verification.service import trust_roots
from . import service
from .package import check_package
from .schemas import (ApplicationRead, ApplicationStart, CourtShare, CourtShareRead, PackageRead,
                      PackageVerification, RulingIn, RulingRead)

router = APIRouter(prefix="/api/v1", tags=["judicial"])
MAX_PACKAGE_BYTES = 60 * 1024 * 1024


def _read(application) -> ApplicationRead:
    return ApplicationRead.model_validate(application, from_attributes=True)


@router.post("/cases/{case_id}/judicial/application", response_model=ApplicationRead, status_code=201)
def start_application(case_id: int, body: ApplicationStart, session: SessionDep, settings: SettingsDep,
                      tokens: TokensDep, keystore: KeyStoreDep, user: StaffUser) -> ApplicationRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    reps = [signing.RepresentativeSpec(party_id=r.party_id, name=r.name, phone=r.phone, id_number=r.id_number,
                                       account_user_id=r.account_user_id, nomination_id=r.nomination_id,
                                       mode=signing.SigningMode(r.mode)) for r in body.representatives]
    application = service.start_application(session, settings, tokens, keystore, case=case,
                                            court_name=body.court_name, deadline_at=body.deadline_at,
                                            representatives=reps, actor=user, acknowledge_late=body.acknowledge_late,
                                            service_addresses={a.party_id: a.model_dump(exclude={"party_id"})
                                                               for a in body.service_addresses})
    return _read(application)


@router.get("/cases/{case_id}/judicial/application", response_model=ApplicationRead)
def get_application(case_id: int, session: SessionDep, user: CurrentUser) -> ApplicationRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    return _read(service.refresh_status(session, service.application_for_case_or_404(session, case)))


@router.post("/cases/{case_id}/judicial/package", response_model=PackageRead, status_code=201)
def build_package(case_id: int, session: SessionDep, settings: SettingsDep, keystore: KeyStoreDep,
                  user: StaffUser) -> PackageRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    package = service.build_package(session, settings, keystore, case=case, actor=user)
    return PackageRead.model_validate(package, from_attributes=True)


@router.get("/cases/{case_id}/judicial/package.zip", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}})
def download_package(case_id: int, session: SessionDep, user: CurrentUser) -> Response:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    package = service.package_for(session, case=case, user=user)
    return Response(package.zip_bytes, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="judicial-package-{case.id}-{package.sha256[:12]}.zip"',
        "X-Content-SHA256": package.sha256})


@router.post("/cases/{case_id}/judicial/court-shares", status_code=201, response_model=CourtShareRead)
def share(case_id: int, body: CourtShare, session: SessionDep, user: StaffUser) -> CourtShareRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id)
    share_row = service.share_with_court(session, case=case, court_user_id=body.court_user_id, days=body.days,
                                         actor=user)
    return CourtShareRead(id=id_of(share_row), case_id=id_of(case), court_user_id=share_row.court_user_id,
                          expires_at=share_row.expires_at)


@router.post("/judicial/packages/verify", response_model=PackageVerification)
def verify_package(keystore: KeyStoreDep, user: CurrentUser,
                   file: Annotated[UploadFile, File(description="the evidence package ZIP")]) -> PackageVerification:
    data = file.file.read(MAX_PACKAGE_BYTES + 1)
    if len(data) > MAX_PACKAGE_BYTES:
        raise PayloadTooLarge(f"an evidence package is at most {MAX_PACKAGE_BYTES // (1024 * 1024)} MiB")
    check = check_package(data, attestation.jwks(keystore))
    documents: dict[str, dict[str, str | None]] = {}
    for name, body in sorted(check.files.items()):
        if name.endswith(".pdf") and check.ok:
            try:
                report = verify_pdf(body, trust_roots=trust_roots(keystore), file_name=name)
            except NotAPdf as exc:
                documents[name] = {"indication": "TOTAL_FAILED", "sub_indication": "FORMAT_FAILURE",
                                   "summary": str(exc)}
                continue
            if name.endswith("-signed.pdf") or report.signatures:
                documents[name] = {"indication": report.indication.value, "sub_indication": report.sub_indication,
                                   "summary": report.summary}
    signed = [d for n, d in documents.items() if n.endswith("-signed.pdf")]
    # a package without a signed document proves nothing, whatever its manifest says
    ok = check.ok and bool(signed) and all(d["indication"] == "TOTAL_PASSED" for d in signed)
    return PackageVerification(ok=ok, problems=check.problems, manifest=check.manifest, documents=documents)


@router.post("/cases/{case_id}/judicial/ruling", response_model=RulingRead, status_code=201)
def record_ruling(case_id: int, body: RulingIn, session: SessionDep, user: CurrentUser) -> RulingRead:
    case = get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    ruling = service.record_ruling(session, case=case, confirmed=body.confirmed, ruling_number=body.ruling_number,
                                   ruling_date=body.ruling_date, court_name=body.court_name, reason=body.reason,
                                   actor=user)
    return RulingRead.model_validate(ruling, from_attributes=True)
