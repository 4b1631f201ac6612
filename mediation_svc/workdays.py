"""Working days in mainland China: weekends, statutory holidays and adjusted working days (调休).

Each year's calendar is a ``YearArrangement``: the days that differ from Monday-to-Friday (days off on a
weekday, holidays falling on a weekend, weekend days worked), and whether it is **official** (the State
Council's published arrangement, 国务院办公厅关于某年部分节假日安排的通知) or **provisional**.

The database keeps the arrangements (``workcalendar`` domain); this module is the pure policy over them.
Where neither the database nor a caller gives a year, it is built here:

- from the ``chinese_calendar`` package for the years it carries (official);
- otherwise by rule (provisional): the statutory holidays of 《全国年节及纪念日放假办法》 (2025 revision:
  元旦 1 day, 春节 4 days from 除夕, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3), with a holiday that falls on a
  weekend given back on the next working day (art. 6, 补假). The lunar dates and the solar term come from the
  maintained ``holidays`` package. Which weekends the State Council will move (调休) cannot be known in
  advance, so a provisional year has none, and every deadline in it carries a warning.

Centre-specific exceptions (a closure) are passed in as overrides and always win.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
import holidays as holidays_lib
from chinese_calendar.constants import Holiday

OFFICIAL = "official"
PROVISIONAL = "provisional"
SOURCE_LIBRARY = "chinesecalendar"
SOURCE_RULE = "rule"
SOURCE_STATE_COUNCIL = "state_council"
WORKED_WEEKEND = "调休上班"

_CHINESE_NAMES = {
    Holiday.new_years_day.value: "元旦", Holiday.spring_festival.value: "春节",
    Holiday.tomb_sweeping_day.value: "清明节", Holiday.labour_day.value: "劳动节",
    Holiday.dragon_boat_festival.value: "端午节", Holiday.national_day.value: "国庆节",
    Holiday.mid_autumn_festival.value: "中秋节", Holiday.anti_fascist_70th_day.value: "抗战胜利70周年纪念日",
}

PROVISIONAL_WARNING_ZH = ("{year}年的节假日安排国务院尚未公布，本期限按法定节假日规则推算（暂定），"
                          "公布后可能调整。")
PROVISIONAL_WARNING_EN = ("The State Council has not yet published {year}'s holiday arrangement: this deadline "
                          "is computed from the statutory holidays (provisional) and may change.")


@dataclass(frozen=True)
class DayRule:
    """One day that differs from Monday-to-Friday, or a holiday (also on a weekend, to name it)."""

    day: date
    is_workday: bool
    name: str | None = None


@dataclass(frozen=True)
class YearArrangement:
    year: int
    status: str  # official | provisional
    source: str  # chinesecalendar | rule | state_council
    days: Mapping[date, DayRule] = field(default_factory=dict)
    note: str | None = None

    @property
    def official(self) -> bool:
        return self.status == OFFICIAL


def library_years() -> range:
    """The years whose official arrangement the ``chinese_calendar`` package carries."""
    first, last = min(chinese_calendar.holidays), max(max(chinese_calendar.holidays), max(chinese_calendar.workdays))
    return range(first.year, last.year + 1)


def library_arrangement(year: int) -> YearArrangement:
    days: dict[date, DayRule] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.year == year:
            days[day] = DayRule(day, False, _CHINESE_NAMES.get(name, name))
    for day in chinese_calendar.workdays:
        if day.year == year:
            days[day] = DayRule(day, True, WORKED_WEEKEND)
    return YearArrangement(year, OFFICIAL, SOURCE_LIBRARY, days)


@lru_cache(maxsize=64)
def rule_arrangement(year: int) -> YearArrangement:
    """The statutory holidays of a year by rule, with weekend holidays given back (provisional, no 调休)."""
    computed = holidays_lib.China(years=year, language="zh_CN")
    days = {day: DayRule(day, False, str(name)) for day, name in computed.items() if day.year == year}
    return YearArrangement(year, PROVISIONAL, SOURCE_RULE, days)


def builtin_arrangement(year: int) -> YearArrangement:
    return library_arrangement(year) if year in library_years() else rule_arrangement(year)


def arrangement_from_rules(*, year: int, status: str, source: str, rules: Iterable[DayRule],
                           note: str | None = None) -> YearArrangement:
    return YearArrangement(year, status, source, {r.day: r for r in rules if r.day.year == year}, note)


class WorkdayCalendar:
    """Answers "is this a working day" from per-year arrangements, computing missing years on first use."""

    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 years: Mapping[int, YearArrangement] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self._years: dict[int, YearArrangement] = dict(years or {})

    def arrangement(self, year: int) -> YearArrangement:
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = builtin_arrangement(year)
        return found

    def _rule(self, day: date) -> DayRule | None:
        return self.arrangement(day.year).days.get(day)

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        rule = self._rule(day)
        return rule.is_workday if rule is not None else day.weekday() < 5

    def is_known(self, day: date) -> bool:
        """Whether the official arrangement for this day's year is known (not a rule-based estimate)."""
        return day in self.overrides or self.arrangement(day.year).official

    def is_provisional(self, day: date) -> bool:
        return not self.is_known(day)

    def provisional_warning(self, day: date | None, language: str = "zh-CN") -> str | None:
        """The warning to show beside a deadline that falls in a year whose arrangement is not published."""
        if day is None or self.is_known(day):
            return None
        return (PROVISIONAL_WARNING_EN if language == "en" else PROVISIONAL_WARNING_ZH).format(year=day.year)

    def add_workdays(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (start itself does not count)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def next_workday_on_or_after(self, day: date) -> date:
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_days(self, start: date, days: int) -> date:
        """A period of ``days`` calendar days from ``start``; when its last day is not a working day, the period
        ends on the next working day (民法典 art. 203)."""
        return self.next_workday_on_or_after(start + timedelta(days=days))

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_workday(current):
                count += 1
        return count

    def holiday_name(self, day: date) -> str | None:
        if self.is_workday(day):
            return None
        rule = self._rule(day)
        return rule.name if rule is not None and not rule.is_workday else None
