"""The working-day calendar as the database holds it: the stored years' arrangements and the centre's own
closures, read by every domain with a deadline (cases, complaints, scheduling, self-service). Reads only."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from ..cases.models import CalendarOverride
from ..workdays import DayRule, WorkdayCalendar, YearArrangement
from .models import CalendarDay, CalendarYear


def load_arrangements(session: Session) -> dict[int, YearArrangement]:
    """Every stored year's arrangement (``calendar_years`` with their ``calendar_days``), read afresh: no
    cache, no centre overrides; years not stored are absent."""
    rules: dict[int, dict[date, DayRule]] = defaultdict(dict)
    for row in session.exec(select(CalendarDay)).all():
        rules[row.year][row.day] = DayRule(row.day, row.is_workday, row.name)
    return {y.year: YearArrangement(y.year, y.status, y.source, rules.get(y.year, {}), y.note)
            for y in session.exec(select(CalendarYear)).all()}


_cache: dict[tuple, dict[int, YearArrangement]] = {}


def load_calendar(session: Session) -> WorkdayCalendar:
    """The calendar as the database holds it, with the centre's own closures (``calendar_overrides``) on top.

    Every page with a deadline asks for it: the years are kept in memory and read again only when the
    database says a year changed (its ``updated_at``), which every worker sees on its next request."""
    version = (str(session.get_bind().engine.url), *session.exec(select(func.count(), func.max(CalendarYear.updated_at))).one())
    arrangements = _cache.get(version)
    if arrangements is None:
        arrangements = load_arrangements(session)
        _cache.clear()
        _cache[version] = arrangements
    overrides = {o.day: o.is_workday for o in session.exec(select(CalendarOverride)).all()}
    return WorkdayCalendar(overrides, arrangements)
