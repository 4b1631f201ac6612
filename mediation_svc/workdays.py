"""Working days in mainland China: weekends, statutory holidays and adjusted working days (调休).

The ``chinese_calendar`` package carries the State Council's published arrangements. Years it does not
know yet (the next year's arrangement is published each November or December) fall back to Monday to
Friday, and callers are told the answer is provisional. Centre-specific exceptions (a closure, a
newly published arrangement) are passed in as overrides and always win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkdayCalendar:
    overrides: Mapping[date, bool] | None = None

    def is_workday(self, day: date) -> bool:
        if self.overrides and day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def is_known(self, day: date) -> bool:
        """Whether the official arrangement for this day's year is known (not a weekday guess)."""
        if self.overrides and day in self.overrides:
            return True
        try:
            chinese_calendar.is_workday(day)
            return True
        except NotImplementedError:
            return False

    def add_workdays(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (start itself does not count)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

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
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None
        return name if on_holiday and name else None
