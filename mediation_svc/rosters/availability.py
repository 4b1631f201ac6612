"""Free time in the next working days, behind one small function: (user ids, period) -> busy minutes.

When the scheduling domain is installed, busy time is what its sessions occupy (scheduled, rescheduled or
held). Without it, nobody is busy and free time is the working days in the window alone; the ranking
says so in its explanation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session

from ..timeutil import SHANGHAI
from ..workdays import WorkdayCalendar

WINDOW_WORKING_DAYS = 5
DEFAULT_DAY_MINUTES = 7 * 60  # 09:00-12:00 and 13:30-17:30, the centre's default hours


@dataclass(frozen=True)
class Window:
    start: datetime  # UTC
    end: datetime
    days: list[date]

    @property
    def label(self) -> str:
        return f"未来{len(self.days)}个工作日（{self.days[0]}至{self.days[-1]}）"

    @property
    def label_en(self) -> str:
        return f"the next {len(self.days)} working days ({self.days[0]} to {self.days[-1]})"


def next_working_days(calendar: WorkdayCalendar, today: date, count: int = WINDOW_WORKING_DAYS) -> Window:
    """The ``count`` working days after today, as a UTC window from the first's midnight to after the last."""
    days: list[date] = []
    day = today
    while len(days) < count:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            days.append(day)
    start = datetime.combine(days[0], time(0), SHANGHAI)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), SHANGHAI)
    return Window(start.astimezone(timezone.utc), end.astimezone(timezone.utc), days)


def _scheduling_busy_minutes():
    try:
        from ..scheduling.availability import busy_minutes  # noqa: PLC0415
    except ImportError:
        return None
    return busy_minutes


def busy_minutes(session: Session, *, user_ids: Iterable[int], start: datetime,
                 end: datetime) -> tuple[dict[int, int], str]:
    """Busy minutes per user in [start, end), and where the figure comes from (scheduling | workdays_only)."""
    ids = list(user_ids)
    source = _scheduling_busy_minutes()
    if source is None:
        return {uid: 0 for uid in ids}, "workdays_only"
    return source(session, user_ids=ids, start=start, end=end), "scheduling"
