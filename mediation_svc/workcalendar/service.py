"""The working-day calendar kept in the database: loading it, entering a year's arrangement, syncing.

Services are keyword-only, flush and never commit; each change is audited in the caller's transaction.
When a year's arrangement changes, the due dates of the open cases that it moves are recomputed in the same
transaction (a due date is a rule applied to the calendar, not a fact of its own).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ..audit.chain import record
from ..cases.deadlines import due_on
from ..db import utcnow
from ..errors import InvalidInput
from ..timeutil import today_in_shanghai
from ..workdays import (OFFICIAL, PROVISIONAL, SOURCE_LIBRARY, SOURCE_RULE, SOURCE_STATE_COUNCIL, DayRule,
                        WorkdayCalendar, YearArrangement, library_arrangement, library_years, rule_arrangement)
from .models import CalendarDay, CalendarYear

MIN_YEAR, MAX_YEAR = 2004, 2100


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
    from ..cases.models import CalendarOverride  # noqa: PLC0415 (cases imports this module)

    version = (str(session.get_bind().engine.url), *session.exec(select(func.count(), func.max(CalendarYear.updated_at))).one())
    arrangements = _cache.get(version)
    if arrangements is None:
        arrangements = load_arrangements(session)
        _cache.clear()
        _cache[version] = arrangements
    overrides = {o.day: o.is_workday for o in session.exec(select(CalendarOverride)).all()}
    return WorkdayCalendar(overrides, arrangements)


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


def refresh_due_dates(session: Session, *, settings, years: set[int], actor: str) -> int:
    """Recompute the due dates of open cases received in or due in the given years; return how many moved."""
    from ..cases.models import Case  # noqa: PLC0415
    from ..cases.states import OPEN_STATES  # noqa: PLC0415

    if settings is None:
        return 0
    calendar = load_calendar(session)
    moved = 0
    # A period is moved by a year's arrangement only if it overlaps that year.
    query = select(Case).where(col(Case.status).in_([s.value for s in OPEN_STATES]),
                               col(Case.due_on) >= date(min(years), 1, 1),
                               col(Case.received_on) <= date(max(years), 12, 31))
    for case in session.exec(query).all():
        due = due_on(calendar, settings, received_on=case.received_on, fast_track=case.fast_track)
        if due != case.due_on:
            record(session, actor=actor, action="case.due_date_recomputed", subject=f"case:{case.id}",
                   case_id=case.id, payload={"from": case.due_on, "to": due, "reason": "calendar changed"})
            case.due_on = due
            session.add(case)
            moved += 1
    from ..complaints.service import refresh_deadlines  # noqa: PLC0415 (complaints' deadlines are on it too)

    moved += refresh_deadlines(session, calendar=calendar, years=years, actor=actor, settings=settings)
    session.flush()
    return moved


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
