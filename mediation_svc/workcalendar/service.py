"""The working-day calendar kept in the database: loading it, entering a year's arrangement, syncing.

Services are keyword-only, flush and never commit; each change is audited in the caller's transaction.
When a year's arrangement changes, the due dates of the open cases that it moves are recomputed in the same
transaction (a due date is a rule applied to the calendar, not a fact of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ..audit.chain import record
from ..db import utcnow
from ..errors import InvalidInput
from ..timeutil import today_in_shanghai
from ..workdays import (OFFICIAL, PROVISIONAL, SOURCE_LIBRARY, SOURCE_RULE, SOURCE_STATE_COUNCIL, DayRule,
                        WorkdayCalendar, YearArrangement, library_arrangement, library_years, rule_arrangement)
from .due_dates import refresh_due_dates
from .models import CalendarDay, CalendarYear
from .store import load_arrangements, load_calendar


MIN_YEAR, MAX_YEAR = 2004, 2100


def check_year(year: int) -> None:
    """InvalidInput (422) unless MIN_YEAR <= year <= MAX_YEAR (2004–2100)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year must be between {MIN_YEAR} and {MAX_YEAR}",
                           errors=[{"loc": ["year"], "msg": f"{MIN_YEAR}..{MAX_YEAR}"}])


def _store(session: Session, arrangement: YearArrangement) -> CalendarYear:
    session.execute(delete(CalendarDay).where(col(CalendarDay.year) == arrangement.year))
    row = session.get(CalendarYear, arrangement.year) or CalendarYear(year=arrangement.year, status="", source="")
    row.status, row.source, row.note, row.updated_at = (arrangement.status, arrangement.source,
                                                        arrangement.note, utcnow())
    session.add(row)
    session.flush()
    session.add_all([CalendarDay(day=r.day, year=arrangement.year, is_workday=r.is_workday, name=r.name)
                     for r in sorted(arrangement.days.values(), key=lambda r: r.day)])
    session.flush()
    return row


@dataclass(frozen=True)
class YearChange:
    year: CalendarYear
    holidays: int
    workdays: int
    due_dates_changed: int


def set_year_arrangement(session: Session, *, year: int, rules: list[DayRule], note: str | None,
                         actor: str, settings) -> YearChange:
    """Enter the State Council's arrangement for a year (its days off and adjusted working days): official."""
    check_year(year)
    stray = [r.day for r in rules if r.day.year != year]
    if stray:
        raise InvalidInput(f"{stray[0].isoformat()} is not in {year}", errors=[{"loc": ["days"], "msg": "wrong year"}])
    seen: set[date] = set()
    for rule in rules:
        if rule.day in seen:
            raise InvalidInput(f"{rule.day.isoformat()} is listed twice", errors=[{"loc": ["days"], "msg": "duplicate"}])
        seen.add(rule.day)
    if not any(not r.is_workday for r in rules):
        raise InvalidInput("an arrangement lists its days off", errors=[{"loc": ["holidays"], "msg": "empty"}])
    session.get(CalendarYear, year, with_for_update=True)  # one writer per year at a time
    before = load_arrangements(session).get(year)
    arrangement = YearArrangement(year, OFFICIAL, SOURCE_STATE_COUNCIL, {r.day: r for r in rules}, note)
    row = _store(session, arrangement)
    changed = refresh_due_dates(session, settings=settings, years={year}, actor=actor)
    off = sum(1 for r in rules if not r.is_workday)
    record(session, actor=actor, action="calendar.year_set", subject=f"calendar:{year}",
           payload={"year": year, "status": OFFICIAL, "note": note, "previous_status": before.status if before else None,
                    "holidays": sorted(r.day for r in rules if not r.is_workday),
                    "workdays": sorted(r.day for r in rules if r.is_workday), "due_dates_changed": changed})
    return YearChange(row, off, len(rules) - off, changed)


def sync_from_library(session: Session, *, actor: str, settings, years_ahead: int = 10,
                      today: date | None = None) -> list[int]:
    """Bring in what the installed library now knows and add provisional years ahead; never overwrite an
    arrangement entered by hand. Returns the years written."""
    today = today or today_in_shanghai()  # the year in Beijing (a UTC server is a day behind until 08:00)
    existing = {y.year: y for y in session.exec(select(CalendarYear)).all()}
    written: list[int] = []
    for year in library_years():
        row = existing.get(year)
        if row is None or row.source == SOURCE_RULE:
            _store(session, library_arrangement(year))
            written.append(year)
    last = max(today.year, library_years().stop - 1) + years_ahead
    for year in range(library_years().stop, last + 1):
        if year not in existing:
            _store(session, rule_arrangement(year))
            written.append(year)
    if written:
        changed = refresh_due_dates(session, settings=settings, years=set(written), actor=actor)
        record(session, actor=actor, action="calendar.synced", subject="calendar",
               payload={"years": written, "due_dates_changed": changed})
    return written


def year_summary(session: Session) -> list[dict]:
    """Each stored year in order: status, source, note, last change and how many days it lists."""
    counts = dict(session.exec(select(CalendarDay.year, func.count()).group_by(col(CalendarDay.year))).all())
    return [{"year": y.year, "status": y.status, "source": y.source, "note": y.note, "updated_at": y.updated_at,
             "days": counts.get(y.year, 0)}
            for y in session.exec(select(CalendarYear).order_by(col(CalendarYear.year))).all()]


def year_detail(session: Session, *, year: int) -> YearArrangement:
    """The year's stored arrangement, else the built-in one (the library's, or provisional by rule); 422 out
    of range. The centre's overrides are not in it."""
    check_year(year)
    return load_arrangements(session).get(year) or WorkdayCalendar().arrangement(year)


__all__ = ["load_calendar", "set_year_arrangement", "sync_from_library", "year_summary", "year_detail",
           "PROVISIONAL", "SOURCE_LIBRARY"]
