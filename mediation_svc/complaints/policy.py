"""Complaint rules on plain values: states, the institution's time limits, urgency (no database).

Time limits follow 《银行业保险业消费投诉处理管理办法》(2020) art. 21: the institution decides and tells the
consumer within 15 days of receiving the complaint; 30 days when it is complex; particularly complex ones
another 30 days at most with senior approval (60 in all). The day counts are settings. A period counts calendar
days and, when its last day is not a working day, ends on the next working day (民法典 art. 203).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from ..timeutil import SHANGHAI
from ..workdays import WorkdayCalendar


class Status(StrEnum):
    CONSULTED = "consulted"  # a consultation, answered on the spot
    RECEIVED = "received"
    NEEDS_INFO = "needs_info"  # the center asked the consumer for more before it goes on (a consumer's own filing)
    FORWARDED = "forwarded"  # 转办: with the institution, its clock running
    ANSWERED = "answered"  # the institution replied; the consumer is asked
    ACCEPTED = "accepted"  # the consumer accepted: closed as settled by the institution
    NOT_ACCEPTED = "not_accepted"
    MEDIATION_OFFERED = "mediation_offered"
    MEDIATION = "mediation"  # became a mediation case
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    SETTLED = "settled"
    REJECTED = "rejected"
    MEDIATION_REQUESTED = "mediation_requested"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    # A consumer's own application may also be sent back for more (needs_info) or, when they asked for
    # mediation, be offered mediation at once (complaints.review).
    Status.RECEIVED: frozenset({Status.FORWARDED, Status.WITHDRAWN, Status.CLOSED, Status.NEEDS_INFO,
                                Status.MEDIATION_OFFERED}),
    Status.NEEDS_INFO: frozenset({Status.RECEIVED, Status.WITHDRAWN, Status.CLOSED}),
    Status.FORWARDED: frozenset({Status.ANSWERED, Status.WITHDRAWN, Status.MEDIATION_OFFERED}),
    Status.ANSWERED: frozenset({Status.ACCEPTED, Status.NOT_ACCEPTED, Status.WITHDRAWN, Status.MEDIATION_OFFERED}),
    Status.NOT_ACCEPTED: frozenset({Status.MEDIATION_OFFERED, Status.CLOSED, Status.WITHDRAWN}),
    Status.MEDIATION_OFFERED: frozenset({Status.MEDIATION, Status.CLOSED, Status.WITHDRAWN}),
}
# How a contact reached the center, in the words of the register and of the texts the service writes.
CHANNEL_ZH = {"hotline": "热线", "web": "网站", "wechat": "微信小程序", "letter": "信件", "visit": "来访"}

OPEN = frozenset({Status.RECEIVED, Status.NEEDS_INFO, Status.FORWARDED, Status.ANSWERED, Status.NOT_ACCEPTED, Status.MEDIATION_OFFERED})
OPEN_WITH_DEADLINE = OPEN - {Status.RECEIVED, Status.NEEDS_INFO}
WITH_INSTITUTION = frozenset({Status.FORWARDED})
# What an institution account may see: from forwarding on (a complaint not yet forwarded is the center's).
INSTITUTION_VISIBLE = frozenset(Status) - {Status.CONSULTED, Status.RECEIVED, Status.NEEDS_INFO}


def can_move(current: Status, target: Status) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def allowed(current: Status) -> list[str]:
    return sorted(s.value for s in TRANSITIONS.get(current, frozenset()))


@dataclass(frozen=True)
class Limits:
    answer_days: int = 15
    complex_days: int = 30
    approved_extra_days: int = 30


def limit_after(limits: Limits, *, current_days: int, kind: str, days: int | None) -> int:
    """The new time limit (days from receipt) after an extension; ValueError with the reason if not allowed."""
    if kind == "complex":
        if current_days >= limits.complex_days:
            raise ValueError(f"期限已是 {current_days} 日 (the limit is already {current_days} days)")
        return limits.complex_days
    if kind == "approved":
        extra = days or limits.approved_extra_days
        if not 1 <= extra <= limits.approved_extra_days:
            raise ValueError(f"经批准的延期为 1 至 {limits.approved_extra_days} 日 (an approved extension is 1 to {limits.approved_extra_days} days)")
        base = max(current_days, limits.complex_days)
        if current_days > limits.complex_days:
            raise ValueError("已经批准过延期 (the approved extension has already been given)")
        return base + extra
    raise ValueError("延期类型为 complex 或 approved (kind is complex or approved)")


def deadline(calendar: WorkdayCalendar, forwarded_on: date, limit_days: int) -> date:
    return calendar.add_days(forwarded_on, limit_days)


def deadline_state(calendar: WorkdayCalendar, *, today: date, deadline_on: date | None, soon_days: int = 3) -> str:
    """overdue | soon (within ``soon_days`` working days) | ok | none."""
    if deadline_on is None:
        return "none"
    if deadline_on < today:
        return "overdue"
    if calendar.workdays_between(today, deadline_on) <= soon_days:
        return "soon"
    return "ok"


def urgent_due(calendar: WorkdayCalendar, received_at: datetime, close_of_day: time = time(17, 30)) -> datetime:
    """An urgent complaint is answered the same working day: by close of day, or the next working day's when it
    came in after hours or on a day off. Returned in UTC."""
    local = received_at.astimezone(SHANGHAI)
    day = local.date()
    if not calendar.is_workday(day) or local.time() >= close_of_day:
        day = calendar.next_workday_on_or_after(day + timedelta(days=1))
    return datetime.combine(day, close_of_day, SHANGHAI).astimezone(received_at.tzinfo)


def minutes_left(due_at: datetime | None, now: datetime) -> int | None:
    if due_at is None:
        return None
    return int((due_at - now).total_seconds() // 60)
