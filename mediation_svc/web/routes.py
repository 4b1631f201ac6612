"""Server-rendered pages for officers, mediators, parties and courts (Jinja2, autoescaped).

Pages are thin like the API routes: they parse a form, call the domain services (the same functions the
API calls, in the same one-transaction-per-request unit of work) and render or redirect. Rules live in
the services; a domain error on a page is shown as an HTML page with the error's status.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlmodel import col, select

from ..accounts import service as accounts
from ..audit.chain import record
from ..cases import service as cases
from ..cases.models import Case, CaseCategory, Institution
from ..cases.schemas import CaseIntake
from ..cases.states import OPEN_STATES, CaseStatus, manual_targets
from ..db import id_of
from ..deps import FormDep, SessionDep, SettingsDep, actor_of, client_address
from ..reliability import intake_bulkhead
from ..errors import (DatabaseBusy, DatabaseUnavailable, DomainError, InvalidInput, NotFound, Overloaded,
                      Unauthenticated)
from ..security import access
from ..security.roles import Role, is_staff
from ..timeutil import SHANGHAI, today_in_shanghai
from . import auth
from .auth import CsrfChecked, LoginRequired, MaybeUser, PageUser, SchedulerPageUser, StaffPageUser
from .drafting_pages import PAGE_DRAFTING_STATES
from .i18n import translator
from .labels import has_label, label
from .render import TEXT_COOKIE, language_of, redirect, render, safe_next

STATIC_DIR = Path(__file__).parent / "static"


def mark_page(request: Request) -> None:
    # Domain errors raised while serving a page are shown as HTML (see install), not problem+json.
    request.state.web_page = True


public_router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_page)])



# --- sign in and preferences ------------------------------------------------------------------------------

@public_router.get("/", response_class=HTMLResponse)
def home(request: Request, user: MaybeUser) -> Response:
    return redirect(request, "/dashboard" if user else "/login")


@public_router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: MaybeUser, next: str = "/dashboard") -> Response:
    return render(request, "login.html", user=user, next=safe_next(next))


@public_router.post("/login", dependencies=[CsrfChecked])
def login(request: Request, session: SessionDep, settings: SettingsDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/dashboard",
          totp_code: Annotated[str, Form(max_length=40)] = "") -> Response:
    t = translator(language_of(request))
    try:
        user = accounts.authenticate(session, settings, username=username, password=password,
                                     address=client_address(request), totp_code=totp_code or None)
    except DomainError as exc:
        # Failed attempts must be counted even though the page is shown normally: commit them here.
        session.commit()
        message = {429: "login.throttled", "second-factor-required": "login.totp_needed",
                   "second-factor-rejected": "login.totp_rejected"}.get(exc.status if exc.status == 429 else exc.slug,
                                                                        "login.failed")
        return render(request, "login.html", status_code=exc.status, error=t(message), username=username,
                      next=safe_next(next), totp_needed=exc.slug.startswith("second-factor"))
    token, lifetime = accounts.issue_access_token(request.app.state.tokens, settings, user)
    record(session, actor=actor_of(user), action="user.logged_in", subject=f"user:{user.id}",
           payload={"address": client_address(request), "via": "web"})
    response = redirect(request, safe_next(next))
    auth.set_session_cookie(request, response, token, lifetime)
    return response


@public_router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep) -> Response:
    auth.revoke_cookie_token(request, session)
    response = redirect(request, "/login")
    auth.clear_session_cookie(request, response)
    return response


@public_router.get("/text-size")
def text_size(request: Request, size: str = "large", next: str = "/") -> Response:
    response = redirect(request, safe_next(next))
    response.set_cookie(TEXT_COOKIE, "large" if size == "large" else "normal", max_age=365 * 86400,
                        samesite="lax", secure=auth.secure_cookies(request))
    return response


# --- dashboard and cases -------------------------------------------------------------------------------------

def _category_names(session, language: str) -> dict[str, str]:
    return {c.code: (c.name_en if language == "en" else c.name_zh)
            for c in session.exec(select(CaseCategory)).all()}


@public_router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, user: PageUser) -> Response:
    calendar = cases.workday_calendar(session)
    rows = []
    for case in cases.list_cases(session, user=user, limit=500):
        read = cases.to_read(session, case, calendar)
        applicant = next((p.name for p in read.parties if p.role == "applicant"), "")
        rows.append({**read.model_dump(), "applicant": applicant,
                     "open": CaseStatus(case.status) in OPEN_STATES})
    rows.sort(key=lambda r: (not r["overdue"], not r["open"], r["due_on"]))
    return render(request, "dashboard.html", user=user, cases=rows, overdue=sum(r["overdue"] for r in rows),
                  categories=_category_names(session, language_of(request)))


def _intake_context(session) -> dict:
    return {"categories": session.exec(select(CaseCategory).where(col(CaseCategory.active).is_(True))
                                       .order_by(col(CaseCategory.code))).all(),
            "institutions": session.exec(select(Institution).order_by(col(Institution.id))).all()}


@public_router.get("/cases/new", response_class=HTMLResponse)
def intake_page(request: Request, session: SessionDep, user: StaffPageUser) -> Response:
    return render(request, "intake.html", user=user, form={}, field_errors={}, **_intake_context(session))


@public_router.post("/cases/new", dependencies=[Depends(intake_bulkhead), CsrfChecked])
def intake(request: Request, form_data: FormDep, session: SessionDep, settings: SettingsDep,
           user: StaffPageUser) -> Response:
    from ..amounts import AmountError, format_amount, parse_amount
    from .forms import field_errors, intake_field

    # The intake form has text fields only: a file sent in one of them is left out (the field counts as empty).
    form = {k: v for k, v in form_data.items() if k != auth.CSRF_FIELD and isinstance(v, str)}
    language = language_of(request)
    t = translator(language)
    parsed = None
    if form.get("claim_amount", "").strip():
        with contextlib.suppress(AmountError):
            parsed = format_amount(parse_amount(form["claim_amount"]))
    institution = form.get("institution_id", "")
    try:
        # Typed text, validated (and converted) by the schema like an API body.
        data = CaseIntake.model_validate({
            "channel": form.get("channel", "hotline"), "category_code": form.get("category_code", ""),
            "applicant": {"name": form.get("applicant_name", ""), "id_type": "resident_id",
                          "id_number": form.get("id_number", ""), "phone": form.get("phone", ""),
                          "address": form.get("address") or None},
            # "0" or empty: no institution chosen; anything else not a number is the schema's to refuse
            "respondent": {"institution_id": (int(institution) or None) if institution.isdecimal()
                           else (institution or None),
                           "branch": form.get("branch") or None},
            "claim_amount": form.get("claim_amount") or None, "facts": form.get("facts", ""),
            "requests": form.get("requests") or None,
            "preferred_language": form.get("preferred_language") or "普通话",
            "city": form.get("city") or None, "needs_elderly_support": bool(form.get("needs_elderly_support"))})
        case = cases.intake_case(session, settings, data=data, actor=user)
    except ValidationError as exc:
        errors = field_errors(exc.errors(include_url=False), intake_field, language)
    except InvalidInput as exc:
        errors = field_errors(exc.extensions.get("errors", []), intake_field, language)
        errors.setdefault("", label("error", "invalid-input", language))
    else:
        return redirect(request, f"/cases/{case.id}", ok="created", number=case.number)
    session.rollback()
    return render(request, "intake.html", user=user, status_code=422, form=form, error=t("form.fix"),
                  field_errors=errors, parsed_amount=parsed, **_intake_context(session))


def _week_start(value: date) -> date:
    return value - timedelta(days=value.weekday())


def _sessions_context(session, case: Case, week: date | None) -> dict:
    from ..scheduling import service as scheduling
    from ..scheduling.notify import place_of

    rows = []
    local_days = []  # the day (Beijing time) each row's session starts
    for ms in scheduling.sessions_of_case(session, case_id=id_of(case)):
        _, room, venue = place_of(session, ms)
        rows.append({"id": ms.id, "mode": ms.mode, "status": ms.status, "starts_at": ms.starts_at,
                     "ends_at": ms.ends_at, "meeting_url": ms.meeting_url,
                     "room": f"{venue.name} {room.name}" if room and venue else None})
        local_days.append(ms.starts_at.astimezone(SHANGHAI).date())
    if week is None:
        upcoming = [day for day in local_days if day >= today_in_shanghai()]
        week = upcoming[0] if upcoming else today_in_shanghai()
    start = _week_start(week)
    days = [start + timedelta(days=i) for i in range(7)]
    by_day: dict[date, list] = {}
    for day, r in zip(local_days, rows, strict=True):
        by_day.setdefault(day, []).append(r)
    return {"sessions": rows, "week_days": days, "week_sessions": by_day, "week_start": start,
            "prev_week": (start - timedelta(days=7)).isoformat(), "next_week": (start + timedelta(days=7)).isoformat()}


def _slots(session, settings, case: Case, *, mode: str, duration: int, start: date) -> tuple[list, str | None]:
    from ..scheduling import service as scheduling
    from ..scheduling.models import SessionMode

    try:
        found = scheduling.find_case_slots(session, settings, case=case, mode=SessionMode(mode),
                                           duration_minutes=duration, date_from=start,
                                           date_to=start + timedelta(days=14), limit=8)
    except (DomainError, ValueError) as exc:
        return [], str(getattr(exc, "detail", exc))
    slots = []
    for slot in found.slots:
        room = found.rooms.get(slot.room) if slot.room else None
        venue = found.venues.get(room.venue_id) if room else None
        slots.append({"start": slot.start, "end": slot.end, "room_id": room.id if room else None,
                      "room_name": f"{venue.name} {room.name}" if room and venue else None})
    return slots, None


def _busy_at(session, case: Case, *, start: datetime, minutes: int, language: str) -> list[str]:
    """Who of the session's people is booked or on leave at a wished time ("陈国栋（调解员）")."""
    from ..scheduling import service as scheduling
    from ..scheduling.availability import busy_intervals

    start = start.replace(tzinfo=SHANGHAI) if start.tzinfo is None else start
    people = {p.resource: p for p in scheduling.plan_participants(session, case=case, wanted=None) if p.resource}
    busy = busy_intervals(session, resources=list(people), start=start, end=start + timedelta(minutes=minutes))
    role = lambda p: label("participant_role", p.role, language)  # noqa: E731
    return [f"{p.name}（{role(p)}）" if language != "en" else f"{p.name} ({role(p)})"
            for key, p in people.items() if busy.get(key)]


def _wished_time(text: str) -> datetime | None:
    """The form's optional wished time (datetime-local, Beijing time); empty or unreadable is no wish."""
    try:
        value = datetime.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None
    return value.replace(tzinfo=SHANGHAI) if value is not None and value.tzinfo is None else value


def _week_label(start: date, t) -> str:
    """Which week the calendar shows, in words: this week, next week, last week, or the week of a date."""
    this_week = _week_start(today_in_shanghai())
    names = {this_week: "sched.this_week", this_week + timedelta(days=7): "sched.next_week",
             this_week - timedelta(days=7): "sched.last_week"}
    return t(names[start]) if start in names else t("sched.week_of", day=start.isoformat())


def _candidates_context(session, case: Case) -> dict:
    from ..rosters import assignment

    if CaseStatus(case.status) not in assignment.ASSIGNABLE_STATES:
        return {"candidates": None, "excluded": []}
    result = assignment.rank_candidates(session, case=case, limit=10, excluded_limit=50)
    candidates = [{"mediator_id": r.candidate.mediator_id, "name": r.candidate.name, "score": r.total,
                   "active_cases": r.candidate.active_cases, "max_active_cases": r.candidate.max_active_cases,
                   "criteria": r.criteria, "current": r.candidate.user_id == case.mediator_user_id}
                  for r in result.ranked[:10]]
    excluded = [{"name": r.candidate.name, "reasons": [e.as_dict() for e in r.reasons]} for r in result.rejected[:50]]
    return {"candidates": candidates, "excluded": excluded}


def _documents_context(session, case: Case, user) -> list[dict]:
    from ..documents import service as documents
    from .officer_pages import may_void

    rows = []
    for d in documents.list_documents(session, case=case):
        rows.append({"id": d.id, "title": d.title, "status": d.status, "code": documents.group_code(d.verification_code),
                     "signed_url": signed_pdf_url(session, d), "may_void": may_void(d, user)})
    return rows


def signed_pdf_url(session, document) -> str | None:
    """Where the signed PDF of a document can be downloaded, once the signing domain has produced one."""
    from . import signing_pages

    return signing_pages.signed_pdf_url(session, document)


@public_router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, session: SessionDep, settings: SettingsDep, user: PageUser,
              week: date | None = None, find: bool = False, mode: str = "onsite",
              duration: int = Query(60, ge=15, le=480), date_from: date | None = Query(None, alias="from"),
              wish: str = "") -> Response:
    return show_case_page(request, session, settings, user, case_id=case_id, week=week, find=find, mode=mode,
                          duration=duration, date_from=date_from, wish=wish)


def show_case_page(request: Request, session, settings, user, *, case_id: int, week: date | None = None,
                   find: bool = False, mode: str = "onsite", duration: int = 60, date_from: date | None = None,
                   wish: str = "", signing_form: dict | None = None, signing_errors: dict | None = None,
                   status_code: int = 200) -> Response:
    """The case page; a refused signing form comes back on it with what was typed and the problem beside it."""
    from . import court_pages, signing_pages

    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    read = cases.to_read(session, case)
    staff = is_staff(user.role)
    scheduler = staff or user.role == Role.MEDIATOR
    language = language_of(request)
    context: dict = {"candidates": None, "excluded": [], "transitions": [], "slots": None, "slot_error": None,
                     "wish_busy": None, "wish_refused": None}
    if staff:
        context["transitions"] = [s.value for s in CaseStatus if s in manual_targets(CaseStatus(case.status))]
        context.update(_candidates_context(session, case))
    if user.role != Role.COURT:
        context.update(_sessions_context(session, case, week))
    wished = _wished_time(wish)
    slot_from = date_from or (wished.astimezone(SHANGHAI).date() if wished else today_in_shanghai())
    from ..scheduling.service import SCHEDULABLE_CASE_STATES

    can_schedule = scheduler and CaseStatus(case.status) in SCHEDULABLE_CASE_STATES
    if can_schedule and find:
        context["slots"], context["slot_error"] = _slots(session, settings, case, mode=mode, duration=duration,
                                                         start=slot_from)
        if wished is not None and not any(slot["start"] == wished for slot in context["slots"]):
            # The wished time is not among the free slots: say who is taken then (or that nobody is, so it is
            # the hours, the day or the rooms).
            context["wish_busy"] = _busy_at(session, case, start=wished, minutes=duration, language=language)
            context["wish_refused"] = wished
    category = session.get(CaseCategory, case.category_code)
    return render(request, "case.html", user=user,
                  case={**read.model_dump(), "open": CaseStatus(case.status) in OPEN_STATES},
                  mediator=session.get(accounts.User, case.mediator_user_id) if case.mediator_user_id else None,
                  category=(category.name_en if language == "en" else category.name_zh) if category else case.category_code,
                  show_sessions=user.role != Role.COURT, can_schedule=can_schedule, slot_mode=mode,
                  slot_duration=duration, slot_from=slot_from, wish=wished,
                  week_label=_week_label(context["week_start"], translator(language)) if "week_start" in context else "",
                  can_draft=scheduler and CaseStatus(case.status) in PAGE_DRAFTING_STATES,
                  documents=_documents_context(session, case, user)
                  if access.view_of(user.role, access.Obj.AGREEMENT) else [],
                  signing=signing_pages.progress(session, case, user, language)
                  if user.role != Role.COURT and access.view_of(user.role, access.Obj.SIGNING_EVIDENCE) else None,
                  judicial=court_pages.context(session, case, user),
                  judicial_staff=court_pages.staff_context(session, case, user),
                  signing_form=signing_form or {}, signing_errors=signing_errors or {}, status_code=status_code,
                  **context)


@public_router.post("/cases/{case_id}/transition", dependencies=[CsrfChecked])
def change_status(request: Request, case_id: int, session: SessionDep, user: StaffPageUser,
                  status: Annotated[CaseStatus, Form()], reason: Annotated[str, Form()] = "") -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    cases.transition(session, case=case, target=status, actor=actor_of(user), reason=reason.strip() or None,
                     manual=True)
    return redirect(request, f"/cases/{case.id}", ok="moved")


@public_router.post("/cases/{case_id}/assign", dependencies=[CsrfChecked])
def assign(request: Request, case_id: int, session: SessionDep, user: StaffPageUser,
           mediator_id: Annotated[int, Form()], reason: Annotated[str, Form()] = "") -> Response:
    from ..rosters import assignment
    from ..rosters.models import Mediator

    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    made = assignment.assign(session, case=case, actor=user, actor_ref=actor_of(user), mode="manual",
                             mediator_id=mediator_id, reason=reason.strip() or "候选人列表中选定")
    mediator = session.get(Mediator, made.mediator_id)
    if mediator is None:
        raise RuntimeError(f"assignment {made.id} refers to mediator {made.mediator_id}, which does not exist")
    return redirect(request, f"/cases/{case.id}", ok="assigned", name=mediator.name)


@public_router.post("/cases/{case_id}/sessions", dependencies=[CsrfChecked])
def schedule(request: Request, case_id: int, session: SessionDep, settings: SettingsDep, user: SchedulerPageUser,
             starts_at: Annotated[datetime, Form()], duration: Annotated[int, Form()] = 60,
             mode: Annotated[str, Form()] = "onsite", room_id: Annotated[str, Form()] = "") -> Response:
    from ..scheduling import service as scheduling
    from ..scheduling.schemas import SessionCreate

    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id)
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=SHANGHAI)
    try:
        # The mode as typed, validated (and converted) by the schema like an API body.
        data = SessionCreate.model_validate({"mode": mode, "starts_at": starts_at, "duration_minutes": duration,
                                             "room_id": room_id.strip() or None})
    except ValidationError as exc:
        raise InvalidInput("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    ms = scheduling.schedule_session(session, settings, case=case, data=data, actor=user)
    week = ms.starts_at.astimezone(SHANGHAI).date().isoformat()
    return redirect(request, f"/cases/{case.id}?week={week}#h-sched", ok="booked")


# --- rosters ---------------------------------------------------------------------------------------------------

@public_router.get("/rosters", response_class=HTMLResponse)
def rosters_page(request: Request, session: SessionDep, user: StaffPageUser) -> Response:
    from ..rosters import service as rosters
    from ..rosters.models import Pool

    mediators = [rosters.mediator_read(session, m) for m in rosters.list_mediators(session, limit=500)]
    pools = [rosters.pool_read(session, p) for p in session.exec(select(Pool).order_by(col(Pool.id))).all()]
    experts = [rosters.expert_read(session, e) for e in rosters.list_experts(session, limit=500)]
    return render(request, "rosters.html", user=user, mediators=mediators, pools=pools, experts=experts,
                  categories=_category_names(session, language_of(request)))


# --- wiring ----------------------------------------------------------------------------------------------------

def _include_pages() -> None:
    from . import (account_pages, amount_pages, audit_pages, calendar_pages, complaint_pages, court_pages, dev_pages,
                   drafting_pages, officer_pages, selfservice_pages, signer_pages, signing_pages, statistics_pages,
                   verification_pages)

    public_router.include_router(account_pages.router)
    public_router.include_router(amount_pages.router)
    public_router.include_router(audit_pages.router)
    public_router.include_router(calendar_pages.router)
    public_router.include_router(complaint_pages.router)
    public_router.include_router(dev_pages.router)
    public_router.include_router(officer_pages.router)
    public_router.include_router(drafting_pages.router)
    public_router.include_router(court_pages.router)
    public_router.include_router(statistics_pages.router)
    public_router.include_router(signing_pages.router)
    public_router.include_router(signer_pages.router)  # its catch-all for /s/ and /sign/ comes last there
    public_router.include_router(verification_pages.router)
    public_router.include_router(selfservice_pages.router)


_include_pages()

def _error_page(request: Request, status: int, message: str, detail: str | None = None) -> Response:
    user = getattr(request.state, "page_user", None)
    return render(request, "error.html", user=user, status_code=status, message=message, detail=detail,
                  back=safe_next(request.headers.get("referer", "").replace(str(request.base_url).rstrip("/"), "")
                                 or "/dashboard"))


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    api_domain_handler = app.exception_handlers.get(DomainError)
    if api_domain_handler is None:
        raise RuntimeError("install the API's error handlers (app.install_error_handlers) before the pages'")

    async def login_required(request: Request, exc: LoginRequired):
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    async def domain_error(request: Request, exc: DomainError):
        if not getattr(request.state, "web_page", False):
            handled = api_domain_handler(request, exc)
            return handled if isinstance(handled, Response) else await handled
        t = translator(language_of(request))
        if isinstance(exc, auth.CsrfRejected):
            return _error_page(request, exc.status, t("error.csrf"))
        if isinstance(exc, NotFound):
            return _error_page(request, 404, t("error.not_found"))
        if isinstance(exc, Unauthenticated):
            return await login_required(request, LoginRequired(request.url.path))
        if isinstance(exc, (DatabaseBusy, DatabaseUnavailable, Overloaded)):
            return _error_page(request, exc.status, t("error.busy"))
        from .forms import FormProblem

        if isinstance(exc, FormProblem):
            return _error_page(request, exc.status, exc.detail)
        # The reader's words from the catalogue; the service's own (English) message folded under "technical".
        slug = exc.slug if has_label("error", exc.slug) else ("conflict" if exc.status == 409 else "bad-request")
        return _error_page(request, exc.status, label("error", slug, language_of(request)),
                           " · ".join(filter(None, (exc.title, exc.detail))))

    # The decorator form: Starlette's add_exception_handler types every handler as taking any Exception.
    app.exception_handler(LoginRequired)(login_required)
    app.exception_handler(DomainError)(domain_error)
