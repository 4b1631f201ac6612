"""Slot finding on plain values: no database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from mediation_svc.scheduling.slots import (Resource, SlotQuery, day_windows, every_weekday, find_slots, intersect,
                                            merge, parse_hours, subtract, within_hours)
from mediation_svc.timeutil import SHANGHAI
from mediation_svc.workdays import WorkdayCalendar

HOURS = every_weekday(parse_hours("09:00-12:00,13:30-17:30"))


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SHANGHAI)


D = date(2026, 12, 1)  # a Tuesday


def test_merge_joins_overlapping_and_touching_and_drops_empty():
    a = [(at(D, 10), at(D, 11)), (at(D, 9), at(D, 10)), (at(D, 10, 30), at(D, 12)), (at(D, 14), at(D, 14))]
    assert merge(a) == [(at(D, 9), at(D, 12))]


def test_subtract_and_intersect():
    free = [(at(D, 9), at(D, 12)), (at(D, 13), at(D, 17))]
    busy = [(at(D, 8), at(D, 9, 30)), (at(D, 10), at(D, 10, 30)), (at(D, 11, 30), at(D, 13, 30))]
    assert subtract(free, busy) == [(at(D, 9, 30), at(D, 10)), (at(D, 10, 30), at(D, 11, 30)), (at(D, 13, 30), at(D, 17))]
    assert intersect(free, [(at(D, 11), at(D, 14))]) == [(at(D, 11), at(D, 12)), (at(D, 13), at(D, 14))]


def test_day_windows_use_shanghai_wall_clock():
    windows = day_windows([D], HOURS)
    assert windows == [(at(D, 9), at(D, 12)), (at(D, 13, 30), at(D, 17, 30))]
    assert windows[0][0].astimezone(timezone.utc) == datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


def test_within_hours():
    assert within_hours(at(D, 9), at(D, 10), HOURS)
    assert within_hours(at(D, 16, 30), at(D, 17, 30), HOURS)
    assert not within_hours(at(D, 11, 30), at(D, 12, 30), HOURS)  # runs into the lunch break
    assert not within_hours(at(D, 17), at(D, 18), HOURS)


def test_earliest_slot_skips_busy_time_and_respects_step():
    person = Resource("user:1", HOURS, busy=[(at(D, 9), at(D, 10, 10))])
    slots = find_slots(SlotQuery(days=[D], duration=timedelta(hours=1), people=[person], limit=3))
    assert [s.start for s in slots] == [at(D, 10, 30), at(D, 11), at(D, 13, 30)]


def test_all_people_must_be_free():
    a = Resource("user:1", HOURS, busy=[(at(D, 9), at(D, 11))])
    b = Resource("party:2", HOURS, busy=[(at(D, 13, 30), at(D, 15))])
    slots = find_slots(SlotQuery(days=[D], duration=timedelta(hours=1), people=[a, b], limit=2))
    assert [s.start for s in slots] == [at(D, 11), at(D, 15)]


def test_mediator_buffer_keeps_gap_before_next_session():
    # A booking 11:00-12:00, stored with its 15-minute buffer after it (until 12:15). A new 60-minute session
    # must also leave 15 minutes before 11:00: 09:45 is the latest start in the morning, 10:00 is refused.
    mediator = Resource("user:1", HOURS, busy=[(at(D, 11), at(D, 12, 15))], buffer=timedelta(minutes=15))
    slots = find_slots(SlotQuery(days=[D], duration=timedelta(hours=1), people=[mediator], limit=5,
                                 step=timedelta(minutes=15)))
    assert [s.start for s in slots] == [at(D, 9), at(D, 9, 15), at(D, 9, 30), at(D, 9, 45), at(D, 13, 30)]


def test_room_needed_on_site_first_free_room_in_preference_order():
    person = Resource("user:1", HOURS)
    small = Resource("room:1", every_weekday([(time(9), time(17, 30))]), busy=[(at(D, 9), at(D, 10))])
    large = Resource("room:2", every_weekday([(time(9), time(17, 30))]))
    slots = find_slots(SlotQuery(days=[D], duration=timedelta(hours=1), people=[person], rooms=[small, large], limit=3))
    assert [(s.start, s.room) for s in slots] == [(at(D, 9), "room:2"), (at(D, 9, 30), "room:2"), (at(D, 10), "room:1")]


def test_no_room_means_no_on_site_slot():
    person = Resource("user:1", HOURS)
    assert find_slots(SlotQuery(days=[D], duration=timedelta(hours=1), people=[person], rooms=[])) == []


def test_not_before_cuts_the_day():
    person = Resource("user:1", HOURS)
    slots = find_slots(SlotQuery(days=[D], duration=timedelta(minutes=30), people=[person],
                                 not_before=at(D, 10, 5), limit=1))
    assert slots[0].start == at(D, 10, 30)


def test_holidays_and_adjusted_working_days_from_the_official_calendar():
    calendar = WorkdayCalendar()
    days = [date(2026, 9, 19) + timedelta(days=i) for i in range(20)]  # 19 Sep .. 8 Oct 2026
    working = [d for d in days if calendar.is_workday(d)]
    assert date(2026, 9, 20) in working  # a Sunday made a working day for the National Day holiday (调休)
    assert date(2026, 10, 1) not in working and date(2026, 10, 7) not in working
    person = Resource("user:1", HOURS)
    slots = find_slots(SlotQuery(days=working, duration=timedelta(hours=1), people=[person], limit=200))
    slot_days = {s.start.astimezone(SHANGHAI).date() for s in slots}
    assert date(2026, 9, 20) in slot_days
    assert not slot_days & {date(2026, 10, d) for d in range(1, 8)}
    assert date(2026, 9, 25) not in slot_days  # Mid-autumn Festival


def test_centre_override_wins_over_the_official_calendar():
    calendar = WorkdayCalendar({date(2026, 12, 5): True, date(2026, 12, 7): False})
    assert calendar.is_workday(date(2026, 12, 5))  # a Saturday opened by the centre
    assert not calendar.is_workday(date(2026, 12, 7))  # a Monday closed by the centre


@pytest.mark.parametrize("text", ["12:00-09:00", "09:00"])
def test_bad_hours_are_refused(text):
    with pytest.raises(ValueError):
        parse_hours(text)


def test_two_thousand_sessions_are_fast_enough_to_scan():
    # Not a timing assertion: a sanity check that the arithmetic handles a dense calendar correctly.
    days = [D + timedelta(days=i) for i in range(14)]
    busy = merge((at(d, 9) + timedelta(minutes=20 * k), at(d, 9) + timedelta(minutes=20 * k + 10))
                 for d in days for k in range(26))
    person = Resource("user:1", HOURS, busy=busy)
    assert find_slots(SlotQuery(days=days, duration=timedelta(minutes=30), people=[person])) == []
    slots = find_slots(SlotQuery(days=days, duration=timedelta(minutes=10), people=[person],
                                 step=timedelta(minutes=10), limit=1))
    assert slots[0].start == at(D, 9, 10)
