"""The case's due date on plain values: working days from receipt, the fast track for small claims."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from mediation_svc.cases.deadlines import due_on, is_fast_track
from mediation_svc.config import Settings
from mediation_svc.workdays import WorkdayCalendar

SETTINGS = Settings(_env_file=None)


def test_small_claims_take_the_fast_track():
    threshold = SETTINGS.fast_track_threshold
    assert is_fast_track(threshold, SETTINGS) and is_fast_track(Decimal("1.00"), SETTINGS)
    assert not is_fast_track(threshold + Decimal("0.01"), SETTINGS)
    assert not is_fast_track(None, SETTINGS)


def test_the_due_date_counts_working_days_from_receipt():
    calendar = WorkdayCalendar()  # the built-in arrangements (2026: National Day 1-8 October)
    received = date(2026, 9, 25)  # a Friday before the National Day holiday
    normal = due_on(calendar, SETTINGS, received_on=received, fast_track=False)
    fast = due_on(calendar, SETTINGS, received_on=received, fast_track=True)
    assert normal == calendar.add_workdays(received, SETTINGS.due_working_days)
    assert fast == calendar.add_workdays(received, SETTINGS.due_working_days_fast_track)
    assert fast < normal and calendar.is_workday(normal) and calendar.is_workday(fast)
