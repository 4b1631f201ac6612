from __future__ import annotations

from fastapi import APIRouter

from ..deps import AdminUser, CurrentUser, SessionDep, SettingsDep, actor_of
from ..workdays import DayRule, YearArrangement
from . import service
from .schemas import DayRead, YearArrangementIn, YearChangeRead, YearRead, YearSummary

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


def year_read(arrangement: YearArrangement) -> YearRead:
    return YearRead(year=arrangement.year, status=arrangement.status, source=arrangement.source,
                    note=arrangement.note, provisional=not arrangement.official,
                    days=[DayRead(day=r.day, is_workday=r.is_workday, name=r.name)
                          for r in sorted(arrangement.days.values(), key=lambda r: r.day)])


@router.get("/years", response_model=list[YearSummary])
def list_years(session: SessionDep, user: CurrentUser) -> list[YearSummary]:
    return [YearSummary.model_validate(row) for row in service.year_summary(session)]


@router.get("/years/{year}", response_model=YearRead)
def get_year(year: int, session: SessionDep, user: CurrentUser) -> YearRead:
    return year_read(service.year_detail(session, year=year))


@router.put("/years/{year}", response_model=YearChangeRead)
def set_year(year: int, data: YearArrangementIn, session: SessionDep, settings: SettingsDep,
             user: AdminUser) -> YearChangeRead:
    rules = [DayRule(d.day, False, d.name) for d in data.holidays] + [DayRule(d.day, True, d.name or "调休上班")
                                                                       for d in data.workdays]
    change = service.set_year_arrangement(session, year=year, rules=rules, note=data.note, actor=actor_of(user),
                                          settings=settings)
    detail = year_read(service.year_detail(session, year=year))
    return YearChangeRead(**detail.model_dump(), due_dates_changed=change.due_dates_changed)
