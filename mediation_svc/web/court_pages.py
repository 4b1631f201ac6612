"""The court's part of a shared case: the evidence package for judicial confirmation (司法确认) and the
ruling form. Rules (who may rule, when, what changes) are ``mediation_svc.judicial.service``'s."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from ..cases import queries as case_queries
from ..cases import service as cases
from ..cases.deadlines import COURT_SHARE_DAYS, COURT_SHARE_MAX_DAYS
from ..cases.states import CaseStatus
from ..db import id_of
from ..deps import FormDep, KeyStoreDep, SessionDep, SettingsDep, TokensDep
from ..errors import NotFound
from ..judicial import queries as judicial_queries
from ..judicial import service as judicial
from ..judicial.models import ApplicationStatus
from ..security.roles import Role, is_staff
from ..timeutil import today_in_shanghai
from .auth import CsrfChecked, PageUser, StaffPageUser
from .forms import FormProblem
from ..i18n.catalogue import translator
from .render import language_of, redirect
from .signing_pages import deadline_from, representative_choices, representatives_from

router = APIRouter(include_in_schema=False)


def context(session, case, user) -> dict | None:
    """What the case page shows about judicial confirmation, or None before an application exists."""
    if user.role == Role.PARTY:
        return None
    try:
        application = judicial.application_for_case_or_404(session, case)
    except NotFound:
        return None
    package = judicial_queries.newest_package(session, case_id=id_of(case))
    ruling = judicial_queries.ruling_of(session, application_id=id_of(application))
    return {"application": application, "package": package, "ruling": ruling,
            "can_rule": user.role == Role.COURT and ruling is None
            and application.status == ApplicationStatus.FILED.value,
            "court_name": getattr(user, "organisation", None) or application.court_name,
            "today": today_in_shanghai().isoformat()}  # the ruling is dated in Beijing, not UTC


@router.get("/cases/{case_id}/evidence-package.zip")
def evidence_package(case_id: int, session: SessionDep, user: PageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    package = judicial.package_for(session, case=case, user=user)  # the download is audited
    return Response(package.zip_bytes, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="evidence-case-{case.id}.zip"',
                             "Cache-Control": "no-store"})


@router.post("/cases/{case_id}/ruling", dependencies=[CsrfChecked])
def ruling(request: Request, case_id: int, session: SessionDep, user: PageUser,
           decision: Annotated[str, Form()] = "", ruling_number: Annotated[str, Form()] = "",
           ruling_date: Annotated[str, Form()] = "", court_name: Annotated[str, Form()] = "",
           reason: Annotated[str, Form()] = "") -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    t = translator(language_of(request))
    if decision not in ("confirmed", "not_confirmed"):
        raise FormProblem(t("court.need_decision"))
    if not ruling_number.strip() or not court_name.strip():
        raise FormProblem(t("court.need_number"))
    try:
        day = date.fromisoformat(ruling_date)
    except ValueError:
        raise FormProblem(t("court.need_date")) from None
    judicial.record_ruling(session, case=case, confirmed=decision == "confirmed", ruling_number=ruling_number,
                              ruling_date=day, court_name=court_name, reason=reason.strip() or None, actor=user)
    return redirect(request, f"/cases/{case.id}#h-court", ok="ruled")


# --- the officer's steps: the joint application, the package, the share ----------------------------------

def staff_context(session, case, user) -> dict | None:
    """The officer's judicial steps open on this case (application, package, share), or None."""
    if not is_staff(user.role):
        return None
    application = judicial_queries.application_of(session, case_id=id_of(case))
    if application is not None:
        application = judicial.refresh_status(session, application)
    institutions = [p for p in cases.parties_of(session, case.id) if p.kind == "institution"]
    return {"can_apply": application is None and CaseStatus(case.status) == CaseStatus.SIGNED,
            "can_build": application is not None and application.status == ApplicationStatus.SIGNED.value,
            "can_share": application is not None and application.status == ApplicationStatus.FILED.value,
            "courts": case_queries.courts_to_share_with(session, case_id=id_of(case)),
            "share_days": COURT_SHARE_DAYS, "share_max_days": COURT_SHARE_MAX_DAYS,
            "institutions": institutions, "rep_choices": representative_choices(session, case, institutions)}


@router.post("/cases/{case_id}/judicial/application", dependencies=[CsrfChecked])
def start_application(request: Request, case_id: int, form: FormDep, session: SessionDep, settings: SettingsDep,
                      tokens: TokensDep, keystore: KeyStoreDep, user: StaffPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    court_name = str(form.get("court_name", "")).strip()
    if not court_name:
        raise FormProblem(translator(language_of(request))("court.need_court"))
    judicial.start_application(session, settings, tokens, keystore, case=case, court_name=court_name,
                                  deadline_at=deadline_from(form),
                                  representatives=representatives_from(form, session, case), actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="signing")


@router.post("/cases/{case_id}/judicial/package", dependencies=[CsrfChecked])
def build_package(request: Request, case_id: int, session: SessionDep, settings: SettingsDep, keystore: KeyStoreDep,
                  user: StaffPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    judicial.build_package(session, settings, keystore, case=case, actor=user)
    return redirect(request, f"/cases/{case.id}#h-court", ok="filed")


@router.post("/cases/{case_id}/judicial/share", dependencies=[CsrfChecked])
def share(request: Request, case_id: int, session: SessionDep, user: StaffPageUser,
          court_user_id: Annotated[int, Form()],
          days: Annotated[int, Form()] = COURT_SHARE_DAYS) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    judicial.share_with_court(session, case=case, court_user_id=court_user_id, days=days, actor=user)
    return redirect(request, f"/cases/{case.id}#h-court", ok="shared")
