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
from .auth import CsrfChecked, MaybeUser
from .i18n import translator
from .render import language_of, redirect, render

router = APIRouter(include_in_schema=False)
VERDICT = {"TOTAL_PASSED": "passed", "TOTAL_FAILED": "failed", "INDETERMINATE": "indeterminate"}


def _service():
    from ..verification import service

    return service


@router.get("/verify")
def verify_page(request: Request, user: MaybeUser, code: str | None = None) -> Response:
    if code and code.strip():
        return redirect(request, f"/verify/code/{normalise_code(code)}")
    return render(request, "verify.html", user=user, report=None, error=None)


@router.post("/verify", dependencies=[CsrfChecked])
def verify_upload(request: Request, session: SessionDep, keystore: KeyStoreDep, user: MaybeUser,
                  file: Annotated[UploadFile, File()]) -> Response:
    data = file.file.read(_service().MAX_BYTES + 1)
    try:
        report = _service().verify_upload(session, keystore, data=data, file_name=file.filename,
                                          now=_service().validation_time(request.app.state))
    except DomainError as exc:
        return render(request, "verify.html", user=user, status_code=exc.status, report=None, error=exc.detail)
    return render(request, "verify.html", user=user, report=report, verdict=VERDICT[report.indication.value],
                  error=None)


@router.get("/verify/code/{code}")
def verify_code(request: Request, code: str, session: SessionDep, keystore: KeyStoreDep, user: MaybeUser) -> Response:
    t = translator(language_of(request))
    try:
        found = _service().lookup_code(session, keystore, code=code, address=client_address(request),
                                       now=_service().validation_time(request.app.state))
    except NotFound:
        session.commit()  # the look-up counts against the address even when nothing was found
        return render(request, "verify_code.html", user=user, status_code=404, found=None,
                      error=t("verify.unknown_code"))
    except TooManyRequests as exc:
        return render(request, "verify_code.html", user=user, status_code=429, found=None, error=exc.detail)
    verdict = VERDICT[found["verification"]["indication"]]
    return render(request, "verify_code.html", user=user, found=found, verdict=verdict, error=None)
