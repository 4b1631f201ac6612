"""The administrator's working-day calendar page: each year's status, and the form to enter the State
Council's arrangement (the same service as ``PUT /api/v1/calendar/years/{year}`` and the CLI)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from ..accounts.models import User
from ..deps import SessionDep, SettingsDep, actor_of
from ..errors import Forbidden
from ..security.roles import Role
from ..timeutil import today_in_shanghai
from ..workcalendar import service
from ..workcalendar.policy import ArrangementError, format_lines, parse_arrangement
from .auth import CsrfChecked, PageUser
from .render import redirect, render

router = APIRouter(include_in_schema=False)


def admin_page_user(user: PageUser) -> User:
    if user.role != Role.ADMIN:
        raise Forbidden("this page is for administrators")
    return user


AdminPageUser = Annotated[User, Depends(admin_page_user)]


def _page(request: Request, session, user, *, year: int, holidays_text: str | None = None,
          workdays_text: str | None = None, note: str | None = None, error: str | None = None,
          status_code: int = 200) -> Response:
    arrangement = service.year_detail(session, year=year)
    rules = sorted(arrangement.days.values(), key=lambda r: r.day)
    return render(request, "calendar.html", user=user, status_code=status_code, years=service.year_summary(session),
                  year=year, arrangement=arrangement, rules=rules, error=error,
                  holidays_text=format_lines(rules, is_workday=False) if holidays_text is None else holidays_text,
                  workdays_text=format_lines(rules, is_workday=True) if workdays_text is None else workdays_text,
                  note=arrangement.note if note is None else note)


@router.get("/admin/calendar")
def calendar_page(request: Request, session: SessionDep, user: AdminPageUser, year: int | None = None) -> Response:
    return _page(request, session, user, year=year or today_in_shanghai().year + 1)


@router.post("/admin/calendar/{year}", dependencies=[CsrfChecked])
def save_year(request: Request, year: int, session: SessionDep, settings: SettingsDep, user: AdminPageUser,
              holidays: Annotated[str, Form(max_length=20000)] = "",
              workdays: Annotated[str, Form(max_length=5000)] = "",
              note: Annotated[str, Form(max_length=300)] = "") -> Response:
    try:
        rules = parse_arrangement(year=year, holidays_text=holidays, workdays_text=workdays)
    except ArrangementError as exc:
        return _page(request, session, user, year=year, holidays_text=holidays, workdays_text=workdays, note=note,
                     error=str(exc), status_code=422)
    change = service.set_year_arrangement(session, year=year, rules=rules, note=note.strip() or None,
                                          actor=actor_of(user), settings=settings)
    return redirect(request, f"/admin/calendar?year={year}", ok="calendar_saved", year=year,
                    n=change.due_dates_changed)
