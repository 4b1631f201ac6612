"""Server-rendered pages for officers, mediators, parties and courts (Jinja2, autoescaped).

Pages are thin like the API routes: they parse a form, call the domain services (the same functions the
API calls, in the same one-transaction-per-request unit of work) and render or redirect. Rules live in
the services; a domain error on a page is shown as an HTML page with the error's status.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from ..accounts import service as accounts
from ..amounts import AmountError, format_amount, parse_amount
from ..audit.chain import record
from ..cases import moves as case_moves
from ..cases import queries as case_queries
from ..cases import service as cases
from ..cases.schemas import CaseIntake
from ..cases.states import OPEN_STATES, CaseStatus
from ..deps import FormDep, SessionDep, SettingsDep, actor_of, client_address
from ..reliability import intake_bulkhead
from ..errors import (DatabaseBusy, DatabaseUnavailable, DomainError, InvalidInput, NotFound, Overloaded,
                      Unauthenticated)
from ..rosters import assignment
from ..rosters import queries as roster_queries
from ..rosters import service as rosters
from ..scheduling import service as scheduling
from ..scheduling.schemas import SessionCreate
from ..timeutil import SHANGHAI
from . import (account_pages, amount_pages, audit_pages, auth, calendar_pages, case_consumer_pages, case_pages, complaint_pages, court_pages,
               dev_pages, drafting_pages, officer_pages, selfservice_pages, signer_pages, signing_pages,
               statistics_pages, verification_pages)
from .auth import CsrfChecked, LoginRequired, MaybeUser, PageUser, SchedulerPageUser, StaffPageUser
from .forms import FormProblem, field_errors, intake_field
from ..i18n.catalogue import translator
from ..i18n.labels import has_label, label
from .render import TEXT_COOKIE, PageAnswer, language_of, redirect, render, safe_next

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
        # The failed attempt is already counted durably (throttle.count_attempt, after this transaction).
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
                  categories=case_queries.category_names(session, language=language_of(request)))


def _intake_context(session) -> dict:
    return case_queries.intake_options(session)._asdict()


@public_router.get("/cases/new", response_class=HTMLResponse)
def intake_page(request: Request, session: SessionDep, user: StaffPageUser) -> Response:
    return render(request, "intake.html", user=user, form={}, field_errors={}, **_intake_context(session))


@public_router.post("/cases/new", dependencies=[Depends(intake_bulkhead), CsrfChecked])
def intake(request: Request, form_data: FormDep, session: SessionDep, settings: SettingsDep,
           user: StaffPageUser) -> Response:
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
        with session.begin_nested():  # a refused intake leaves nothing behind; the form comes back
            case = cases.intake_case(session, settings, data=data, actor=user)
    except ValidationError as exc:
        errors = field_errors(exc.errors(include_url=False), intake_field, language)
    except InvalidInput as exc:
        errors = field_errors(exc.extensions.get("errors", []), intake_field, language)
        errors.setdefault("", label("error", "invalid-input", language))
    else:
        return redirect(request, f"/cases/{case.id}", ok="created", number=case.number)
    return render(request, "intake.html", user=user, status_code=422, form=form, error=t("form.fix"),
                  field_errors=errors, parsed_amount=parsed, **_intake_context(session))


@public_router.post("/cases/{case_id}/transition", dependencies=[CsrfChecked])
def change_status(request: Request, case_id: int, session: SessionDep, settings: SettingsDep, user: StaffPageUser,
                  status: Annotated[CaseStatus, Form()], reason: Annotated[str, Form()] = "") -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    case_moves.move_by_hand(session, settings, case=case, target=status, actor=user, reason=reason.strip() or None)
    return redirect(request, f"/cases/{case.id}", ok="moved")


@public_router.post("/cases/{case_id}/assign", dependencies=[CsrfChecked])
def assign(request: Request, case_id: int, session: SessionDep, user: StaffPageUser,
           mediator_id: Annotated[int, Form()], reason: Annotated[str, Form()] = "") -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    made = assignment.assign(session, case=case, actor=user, actor_ref=actor_of(user), mode="manual",
                             mediator_id=mediator_id, reason=reason.strip() or "候选人列表中选定")
    mediator = roster_queries.assigned_mediator(session, assignment=made)
    return redirect(request, f"/cases/{case.id}", ok="assigned", name=mediator.name)


@public_router.post("/cases/{case_id}/sessions", dependencies=[CsrfChecked])
def schedule(request: Request, case_id: int, session: SessionDep, settings: SettingsDep, user: SchedulerPageUser,
             starts_at: Annotated[datetime, Form()], duration: Annotated[int, Form()] = 60,
             mode: Annotated[str, Form()] = "onsite", room_id: Annotated[str, Form()] = "") -> Response:
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
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
    mediators = [rosters.mediator_read(session, m) for m in rosters.list_mediators(session, limit=500)]
    pools = [rosters.pool_read(session, p) for p in roster_queries.list_pools(session)]
    experts = [rosters.expert_read(session, e) for e in rosters.list_experts(session, limit=500)]
    return render(request, "rosters.html", user=user, mediators=mediators, pools=pools, experts=experts,
                  categories=case_queries.category_names(session, language=language_of(request)))


# --- wiring ----------------------------------------------------------------------------------------------------

# The pages' routers, mounted in this order (signer_pages's catch-all for /s/ and /sign/ comes last there).
PAGE_MODULES = (account_pages, amount_pages, case_pages, case_consumer_pages, audit_pages, calendar_pages,
                complaint_pages, dev_pages, officer_pages, drafting_pages, court_pages, statistics_pages, signing_pages,
                signer_pages, verification_pages, selfservice_pages)


def _include_pages() -> None:
    for module in PAGE_MODULES:
        public_router.include_router(module.router)


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
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    async def page_answer(request: Request, exc: PageAnswer):
        return exc.response

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
        if isinstance(exc, FormProblem):
            return _error_page(request, exc.status, exc.detail)
        # The reader's words from the catalogue; the service's own (English) message folded under "technical".
        slug = exc.slug if has_label("error", exc.slug) else ("conflict" if exc.status == 409 else "bad-request")
        return _error_page(request, exc.status, label("error", slug, language_of(request)),
                           " · ".join(filter(None, (exc.title, exc.detail))))

    # The decorator form: Starlette's add_exception_handler types every handler as taking any Exception.
    app.exception_handler(LoginRequired)(login_required)
    app.exception_handler(PageAnswer)(page_answer)
    app.exception_handler(DomainError)(domain_error)
