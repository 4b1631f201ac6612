"""The court's part of a shared case: the evidence package for judicial confirmation (司法确认) and the
ruling form. Rules (who may rule, when, what changes) are ``mediation_svc.judicial.service``'s."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import col, select

from ..cases import service as cases
from ..deps import FormDep, KeyStoreDep, SessionDep, SettingsDep, TokensDep
from ..errors import NotFound
from ..security.roles import Role, is_staff
from ..timeutil import today_in_shanghai
from .auth import CsrfChecked, PageUser, StaffPageUser
from .forms import FormProblem
from .i18n import translator
from .render import language_of, redirect

router = APIRouter(include_in_schema=False)


def _judicial():
    try:
        return importlib.import_module("mediation_svc.judicial.service")
    except ModuleNotFoundError as exc:
        if exc.name not in ("mediation_svc.judicial.service", "mediation_svc.judicial"):
            raise
        return None


def context(session, case, user) -> dict | None:
    """What the case page shows about judicial confirmation, or None before an application exists."""
    judicial = _judicial()
    if judicial is None or user.role == Role.PARTY:
        return None
    from ..judicial.models import ApplicationStatus, EvidencePackage, Ruling

    try:
        application = judicial.application_for_case_or_404(session, case)
    except NotFound:
        return None
    package = session.exec(select(EvidencePackage).where(EvidencePackage.case_id == case.id)
                           .order_by(col(EvidencePackage.id).desc())).first()
    ruling = session.exec(select(Ruling).where(Ruling.application_id == application.id)).first()
    return {"application": application, "package": package, "ruling": ruling,
            "can_rule": user.role == Role.COURT and ruling is None
            and application.status == ApplicationStatus.FILED.value,
            "court_name": getattr(user, "organisation", None) or application.court_name,
            "today": today_in_shanghai().isoformat()}  # the ruling is dated in Beijing, not UTC


@router.get("/cases/{case_id}/evidence-package.zip")
def evidence_package(case_id: int, session: SessionDep, user: PageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    package = _judicial().package_for(session, case=case, user=user)  # the download is audited
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
    _judicial().record_ruling(session, case=case, confirmed=decision == "confirmed", ruling_number=ruling_number,
                              ruling_date=day, court_name=court_name, reason=reason.strip() or None, actor=user)
    return redirect(request, f"/cases/{case.id}#h-court", ok="ruled")


# --- the officer's steps: the joint application, the package, the share ----------------------------------

def staff_context(session, case, user) -> dict | None:
    """The officer's judicial steps open on this case (application, package, share), or None."""
    judicial = _judicial()
    if judicial is None or not is_staff(user.role):
        return None
    from ..accounts.models import User
    from ..cases.models import CaseShare
    from ..cases.states import CaseStatus
    from ..judicial.models import ApplicationStatus, JudicialApplication

    application = session.exec(select(JudicialApplication).where(JudicialApplication.case_id == case.id)).first()
    if application is not None:
        application = judicial.refresh_status(session, application)
    shared = {s.court_user_id for s in session.exec(select(CaseShare).where(CaseShare.case_id == case.id,
                                                                           col(CaseShare.revoked).is_(False))).all()}
    from .signing_pages import representative_choices  # noqa: PLC0415

    institutions = [p for p in cases.parties_of(session, case.id) if p.kind == "institution"]
    return {"can_apply": application is None and CaseStatus(case.status) == CaseStatus.SIGNED,
            "can_build": application is not None and application.status == ApplicationStatus.SIGNED.value,
            "can_share": application is not None and application.status == ApplicationStatus.FILED.value,
            "courts": [u for u in session.exec(select(User).where(User.role == Role.COURT, col(User.active).is_(True))
                                               .order_by(col(User.id))).all() if u.id not in shared],
            "institutions": institutions, "rep_choices": representative_choices(session, case, institutions)}


@router.post("/cases/{case_id}/judicial/application", dependencies=[CsrfChecked])
def start_application(request: Request, case_id: int, form: FormDep, session: SessionDep, settings: SettingsDep,
                      tokens: TokensDep, keystore: KeyStoreDep, user: StaffPageUser) -> Response:
    from .signing_pages import deadline_from, representatives_from

    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    court_name = str(form.get("court_name", "")).strip()
    if not court_name:
        raise FormProblem(translator(language_of(request))("court.need_court"))
    _judicial().start_application(session, settings, tokens, keystore, case=case, court_name=court_name,
                                  deadline_at=deadline_from(form),
                                  representatives=representatives_from(form, session, case), actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="signing")


@router.post("/cases/{case_id}/judicial/package", dependencies=[CsrfChecked])
def build_package(request: Request, case_id: int, session: SessionDep, settings: SettingsDep, keystore: KeyStoreDep,
                  user: StaffPageUser) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    _judicial().build_package(session, settings, keystore, case=case, actor=user)
    return redirect(request, f"/cases/{case.id}#h-court", ok="filed")


@router.post("/cases/{case_id}/judicial/share", dependencies=[CsrfChecked])
def share(request: Request, case_id: int, session: SessionDep, user: StaffPageUser,
          court_user_id: Annotated[int, Form()], days: Annotated[int, Form()] = 30) -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    _judicial().share_with_court(session, case=case, court_user_id=court_user_id, days=days, actor=user)
    return redirect(request, f"/cases/{case.id}#h-court", ok="shared")
