"""Verification pages for courts and anyone holding an agreement: upload a PDF and read the report in plain
words, or follow the code printed (and QR-encoded as /verify/code/{code}) on every page.

The checks are ``mediation_svc.verification.service``'s (ETSI EN 319 102-1 report); these pages only show it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from ..deps import KeyStoreDep, SessionDep, client_address
from ..documents.service import normalise_code
from ..errors import DomainError, NotFound, TooManyRequests
from ..security import pipl
from ..verification import limits, service
from ..verification.headline import verdict_of
from ..verification.routes import may_read_agreement
from .auth import CsrfChecked, MaybeUser
from ..i18n.catalogue import translator
from ..i18n.labels import has_label, label
from .render import language_of, redirect, render

router = APIRouter(include_in_schema=False)
@router.get("/verify")
def verify_page(request: Request, user: MaybeUser, code: str | None = None) -> Response:
    if code and code.strip():
        return redirect(request, f"/verify/code/{normalise_code(code)}")
    return render(request, "verify.html", user=user, report=None, error=None)


@router.post("/verify", dependencies=[CsrfChecked])
def verify_upload(request: Request, session: SessionDep, keystore: KeyStoreDep, user: MaybeUser,
                  file: Annotated[UploadFile, File()]) -> Response:
    data = file.file.read(service.MAX_BYTES + 1)
    try:
        # bounded like the API: raw scan, worker process, concurrency
        report = limits.verify_upload(session, keystore, data=data, file_name=file.filename,
                                      address=client_address(request),
                                      bounds=limits.bounds_from(request.app.state.settings),
                                      now=service.validation_time(request.app.state))
    except DomainError as exc:  # empty, not a PDF, too large: the reader's words, from the catalogue
        return render(request, "verify.html", user=user, status_code=exc.status, report=None,
                      error=label("error", exc.slug if has_label("error", exc.slug) else "bad-request",
                                  language_of(request)))
    return render(request, "verify.html", user=user, report=report, error=None,
                  verdict=verdict_of(report.indication, report.sub_indication, report.signatures))


@router.get("/verify/code/{code}")
def verify_code(request: Request, code: str, session: SessionDep, keystore: KeyStoreDep, user: MaybeUser) -> Response:
    t = translator(language_of(request))
    try:
        found = service.lookup_code(session, keystore, code=code, address=client_address(request),
                                       now=service.validation_time(request.app.state))
    except NotFound:
        # the look-up counts against the address even when nothing was found (throttle.count_attempt, durable)
        return render(request, "verify_code.html", user=user, status_code=404, found=None,
                      error=t("verify.unknown_code"))
    except TooManyRequests as exc:
        return render(request, "verify_code.html", user=user, status_code=429, found=None,
                      error=label("error", exc.slug, language_of(request)))
    if not may_read_agreement(session, user, found["document_id"]):
        found = pipl.mask_code_lookup(found)  # PIPL: anonymous readers see the signers' names masked
    checked = found["verification"]
    verdict = verdict_of(checked["indication"], checked["sub_indication"], checked["signatures"])
    return render(request, "verify_code.html", user=user, found=found, verdict=verdict, error=None)
