"""Free time in the next working days, behind one small function: (user ids, period) -> busy minutes.

When the scheduling domain is installed, busy time is what its sessions occupy (scheduled, rescheduled or
held). Without it, nobody is busy and free time is the working days in the window alone; the ranking
says so in its explanation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session, select

from ..timeutil import SHANGHAI
from ..workdays import WorkdayCalendar

WINDOW_WORKING_DAYS = 5
WORKING_PERIODS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))  # the centre's default hours
DEFAULT_DAY_MINUTES = 7 * 60


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


def working_intervals(days: Iterable[date]) -> list[tuple[datetime, datetime]]:
    """The default working hours of each day, as UTC intervals."""
    return [(datetime.combine(day, a, SHANGHAI).astimezone(timezone.utc),
             datetime.combine(day, b, SHANGHAI).astimezone(timezone.utc))
            for day in days for a, b in WORKING_PERIODS]


def _overlap_minutes(intervals, hours) -> int:
    return int(sum(max((min(b, hb) - max(a, ha)).total_seconds(), 0) for a, b in intervals for ha, hb in hours) // 60)


def leave_in_window(session: Session, *, user_ids: Iterable[int] | None,
                    window: Window) -> tuple[dict[int, int], dict]:
    """Working minutes of the window each user is on leave, and the leave of those it covers entirely
    (as ``policy.Leave``); of ``user_ids``, or of everyone when None. Without the scheduling domain nobody
    has leave."""
    from .policy import Leave

    scheduling = _scheduling()
    if scheduling is None:
        return {}, {}
    _availability, models, slots = scheduling
    time_off = models.TimeOff
    ids = None if user_ids is None else set(user_ids)
    # Few people are on leave on any day: read the window's leave and keep the candidates' (see busy_minutes).
    rows = session.exec(select(time_off.user_id, time_off.starts_at, time_off.ends_at, time_off.reason)
                        .where(time_off.user_id.is_not(None), time_off.starts_at < window.end,
                               time_off.ends_at > window.start)).all()
    by_user: dict[int, list] = {}
    for user_id, starts, ends, reason in rows:
        if ids is None or user_id in ids:
            by_user.setdefault(user_id, []).append((starts, ends, reason))
    hours = working_intervals(window.days)
    capacity = _overlap_minutes(hours, hours)
    minutes, whole = {}, {}
    for user_id, spans in by_user.items():
        spans.sort()
        minutes[user_id] = _overlap_minutes(slots.merge((starts, ends) for starts, ends, _r in spans), hours)
        if minutes[user_id] >= capacity:
            whole[user_id] = Leave(starts_on=spans[0][0].astimezone(SHANGHAI).date(),
                                   ends_on=max(e for _s, e, _r in spans).astimezone(SHANGHAI).date(),
                                   reason=next((r for _s, _e, r in spans if r), None))
    return minutes, whole


def _scheduling():
    try:
        from ..scheduling import availability, models, slots  # noqa: PLC0415
    except ImportError:
        return None
    return availability, models, slots


def busy_minutes(session: Session, *, user_ids: Iterable[int] | None, start: datetime,
                 end: datetime) -> tuple[dict[int, int], str]:
    """Busy minutes per user in [start, end), and where the figure comes from (scheduling | workdays_only).
    With ``user_ids`` None: of everyone taking part in a session in the period (nobody else is busy)."""
    ids = None if user_ids is None else set(user_ids)
    scheduling = _scheduling()
    if scheduling is None:
        return dict.fromkeys(ids or (), 0), "workdays_only"
    availability, models, _slots = scheduling
    # Ranking asks about thousands of mediators, of whom few have sessions in the next days: binding
    # thousands of ids costs more than the answer. Find who takes part in any session overlapping the
    # window first (a superset), and let scheduling count the minutes for those alone.
    session_table, participant = models.MediationSession, models.SessionParticipant
    present = session.exec(select(participant.user_id).distinct()
                           .join(session_table, session_table.id == participant.session_id)
                           .where(session_table.starts_at < end, session_table.ends_at > start,
                                  participant.user_id.is_not(None))).all()
    wanted = set(present) if ids is None else ids.intersection(present)
    busy = availability.busy_minutes(session, user_ids=wanted, start=start, end=end) if wanted else {}
    return {uid: busy.get(uid, 0) for uid in (wanted if ids is None else ids)}, "scheduling"
