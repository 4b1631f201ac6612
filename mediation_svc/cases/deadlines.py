"""When a case is due: its time limit in working days from the day it was received, shorter for a small claim
(the fast track). Pure: the working-day calendar and the settings are passed in, so intake and a changed
calendar (``workcalendar.service``) compute the same date, and the rule is tested on plain values. Also how long
a court account may see a case shared with it (``COURT_SHARE_DAYS``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..config import Settings
from ..workdays import WorkdayCalendar

# A court sees a shared case for a while, never for good (least privilege): by default the parties' 30 days to
# apply for judicial confirmation (人民调解法 art. 33), at most 90: the application, then the court's 3 days to
# accept it and 15 (+10) to decide, with room to spare. The API, the judicial API and the case page alike.
COURT_SHARE_DAYS = 30
COURT_SHARE_MAX_DAYS = 90


def is_fast_track(claim_amount: Decimal | None, settings: Settings) -> bool:
    """A claim up to the fast-track threshold is handled on the shorter time limit."""
    return claim_amount is not None and claim_amount <= settings.fast_track_threshold


def due_on(calendar: WorkdayCalendar, settings: Settings, *, received_on: date, fast_track: bool) -> date:
    """The due date: the time limit (working days, per the settings) counted from the day the case was received."""
    limit = settings.due_working_days_fast_track if fast_track else settings.due_working_days
    return calendar.add_workdays(received_on, limit)
