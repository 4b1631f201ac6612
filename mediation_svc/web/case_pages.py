"""The case page (``/cases/<id>``): the case, its sessions and the week's calendar, free slots, the candidates, the
documents, signing and the judicial steps; and the signing form, which comes back on it when a phone is refused.

The page only gathers what the domains' public functions return (``cases``, ``scheduling``, ``rosters``,
``documents``, ``signing_pages``, ``court_pages``) and renders it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from ..accounts import queries as accounts
from ..cases import queries as case_queries
from ..cases import service as cases
from ..cases.models import Case
from ..cases.states import OPEN_STATES, CaseStatus, manual_targets
from ..db import id_of
from ..deps import FormDep, KeyStoreDep, SessionDep, SettingsDep, TokensDep
from ..documents import service as documents
from ..errors import DomainError
from ..rosters import assignment
from ..scheduling import service as scheduling
from ..scheduling.availability import busy_intervals
from ..scheduling.models import SessionMode
from ..scheduling.notify import place_of
from ..scheduling.service import SCHEDULABLE_CASE_STATES
from ..security import access
from ..security.roles import Role, is_staff
from ..signing import service as signing
from ..timeutil import SHANGHAI, today_in_shanghai
from . import auth, case_consumer_pages, court_pages, signing_pages
from .auth import CsrfChecked, PageUser, SchedulerPageUser
from .drafting_pages import PAGE_DRAFTING_STATES
from ..i18n.catalogue import translator
from ..i18n.labels import label
from .officer_pages import may_void
from .render import language_of, redirect, render

router = APIRouter(include_in_schema=False)


def _week_start(value: date) -> date:
    return value - timedelta(days=value.weekday())


def _sessions_context(session, case: Case, week: date | None) -> dict:
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
    rows = []
    for d in documents.list_documents(session, case=case):
        rows.append({"id": d.id, "title": d.title, "status": d.status, "code": documents.group_code(d.verification_code),
                     "signed_url": signing_pages.signed_pdf_url(session, d), "may_void": may_void(d, user)})
    return rows


@router.get("/cases/{case_id}", response_class=HTMLResponse)
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
    can_schedule = scheduler and CaseStatus(case.status) in SCHEDULABLE_CASE_STATES
    if can_schedule and find:
        context["slots"], context["slot_error"] = _slots(session, settings, case, mode=mode, duration=duration,
                                                         start=slot_from)
        if wished is not None and not any(slot["start"] == wished for slot in context["slots"]):
            # The wished time is not among the free slots: say who is taken then (or that nobody is, so it is
            # the hours, the day or the rooms).
            context["wish_busy"] = _busy_at(session, case, start=wished, minutes=duration, language=language)
            context["wish_refused"] = wished
    category = case_queries.category_name(session, code=case.category_code, language=language)
    return render(request, "case.html", user=user,
                  case={**read.model_dump(), "open": CaseStatus(case.status) in OPEN_STATES},
                  mediator=accounts.user_of(session, user_id=case.mediator_user_id),
                  category=category if category is not None else case.category_code,
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
                  consumer=case_consumer_pages.context(session, case, user),
                  signing_form=signing_form or {}, signing_errors=signing_errors or {}, status_code=status_code,
                  **context)


@router.post("/cases/{case_id}/signing", dependencies=[CsrfChecked])
def open_signing(request: Request, case_id: int, form: FormDep, session: SessionDep, settings: SettingsDep,
                 tokens: TokensDep, keystore: KeyStoreDep, user: SchedulerPageUser) -> Response:
    """Open signing on a finalised document; a refused representative's phone brings the case page back."""
    case = cases.get_visible_case_or_404(session, user=user, case_id=case_id, for_update=True)
    representatives = signing_pages.representatives_from(form, session, case)
    refused = signing_pages.phone_errors(representatives, language_of(request))
    if refused:  # nothing was written yet: the page comes back with what was typed
        typed = {k: str(v) for k, v in form.items() if k != auth.CSRF_FIELD}
        return show_case_page(request, session, settings, user, case_id=case_id, signing_form=typed,
                              signing_errors=refused, status_code=422)
    signing.open_request(session, settings, tokens, keystore, case=case, document_id=str(form.get("document_id", "")),
                         deadline_at=signing_pages.deadline_from(form), representatives=representatives, actor=user)
    return redirect(request, f"/cases/{case.id}#h-docs", ok="signing")
