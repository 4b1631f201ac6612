"""Slot finding as interval arithmetic on plain values (no database).

Intervals are half-open ``(start, end)`` pairs of aware datetimes. Working hours are local wall-clock
ranges per weekday (0 = Monday) in Asia/Shanghai, which has no daylight saving time, so a local day maps to
one fixed UTC span. Which days are working days (statutory holidays, adjusted working days) is decided by
the caller, who passes the list of days.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from ..timeutil import SHANGHAI

Interval = tuple[datetime, datetime]
WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals; empty ones are dropped."""
    result: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def subtract(free: Sequence[Interval], busy: Sequence[Interval]) -> list[Interval]:
    """``free`` minus ``busy``; both sorted and merged."""
    result: list[Interval] = []
    j = 0
    for start, end in free:
        while j < len(busy) and busy[j][1] <= start:
            j += 1
        cursor = start
        k = j
        while k < len(busy) and busy[k][0] < end:
            if busy[k][0] > cursor:
                result.append((cursor, busy[k][0]))
            cursor = max(cursor, busy[k][1])
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two sorted, merged interval lists."""
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            result.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def day_windows(days: Iterable[date], hours: WeeklyHours, tz: tzinfo = SHANGHAI) -> list[Interval]:
    """The working windows on the given days, as aware intervals in UTC.

    UTC because bookings come back in UTC: comparing datetimes that share one tzinfo object skips the
    utcoffset() calls, which otherwise dominate the arithmetic on a calendar with thousands of bookings."""
    windows: list[Interval] = []
    for day in sorted(set(days)):
        for starts, ends in hours.get(day.weekday(), ()):
            windows.append((datetime.combine(day, starts, tz).astimezone(timezone.utc),
                            datetime.combine(day, ends, tz).astimezone(timezone.utc)))
    return merge(windows)


def within_hours(start: datetime, end: datetime, hours: WeeklyHours, tz: tzinfo = SHANGHAI) -> bool:
    """Whether [start, end) lies inside one working window of its local day."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.date() != local_end.date():
        return False
    return any(window_start <= local_start.time() and local_end.time() <= window_end
               for window_start, window_end in hours.get(local_start.weekday(), ()))


def parse_hours(text: str) -> list[tuple[time, time]]:
    """``"09:00-12:00,13:30-17:30"`` -> [(09:00, 12:00), (13:30, 17:30)]."""
    ranges = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        starts, ends = (time.fromisoformat(p.strip()) for p in part.split("-"))
        if ends <= starts:
            raise ValueError(f"working hours '{part}' end before they start")
        ranges.append((starts, ends))
    return ranges


def every_weekday(ranges: Sequence[tuple[time, time]]) -> dict[int, list[tuple[time, time]]]:
    """The same hours on each day of the week (which days are worked is decided by the day list)."""
    return {weekday: list(ranges) for weekday in range(7)}


@dataclass(frozen=True)
class Resource:
    """A person or room that must be free. ``busy`` is sorted and merged. ``buffer`` keeps that much free
    time before each busy interval (bookings already carry the buffer after a session)."""

    key: str
    hours: WeeklyHours
    busy: Sequence[Interval] = ()
    buffer: timedelta = timedelta(0)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    room: str | None = None


@dataclass(frozen=True)
class SlotQuery:
    days: Sequence[date]
    duration: timedelta
    people: Sequence[Resource]
    # None: no room needed (remote). A list: on-site, one of these rooms (in order of preference) must be free.
    rooms: Sequence[Resource] | None = None
    step: timedelta = timedelta(minutes=30)
    not_before: datetime | None = None
    limit: int = 10
    tz: tzinfo = field(default=SHANGHAI)


def free_time(resource: Resource, days: Sequence[date], tz: tzinfo) -> list[Interval]:
    windows = day_windows(days, resource.hours, tz)
    busy = resource.busy
    if resource.buffer:
        busy = merge((start - resource.buffer, end) for start, end in busy)
    return subtract(windows, busy)


def start_ranges(free: Sequence[Interval], duration: timedelta) -> list[Interval]:
    """The closed ranges of start times whose [start, start + duration) fits in a free interval."""
    return [(start, end - duration) for start, end in free if end - start >= duration]


def _contains(ranges: Sequence[Interval], starts: Sequence[datetime], moment: datetime) -> bool:
    i = bisect_right(starts, moment) - 1
    return i >= 0 and ranges[i][0] <= moment <= ranges[i][1]


def _aligned(moment: datetime, step: timedelta, tz: tzinfo) -> datetime:
    """The first grid point (multiples of ``step`` from local midnight) at or after ``moment``."""
    local = moment.astimezone(tz)
    midnight = datetime.combine(local.date(), time(0), tz)
    steps = -((midnight - local) // step)  # ceiling division
    return midnight + steps * step


def common_time(query: SlotQuery) -> list[Interval]:
    """When every person is free on the working days (and not before ``not_before``); rooms aside."""
    days = sorted(set(query.days))
    if not days:
        return []
    common: list[Interval] | None = None
    for person in query.people:
        free = free_time(person, days, query.tz)
        common = free if common is None else intersect(common, free)
        if not common:
            return []
    if common is None:  # nobody required: any time on the working days
        common = day_windows(days, every_weekday([(time(0), time(23, 59, 59))]), query.tz)
    if query.not_before is not None:
        common = intersect(common, [(query.not_before.astimezone(timezone.utc),
                                     datetime.max.replace(tzinfo=timezone.utc))])
    return common


def usable_windows(query: SlotQuery) -> list[Interval]:
    """The stretches of common time long enough for the session: only there can a room matter."""
    return [(start, end + query.duration) for start, end in start_ranges(common_time(query), query.duration)]


def find_slots(query: SlotQuery) -> list[Slot]:
    """The earliest start times on the step grid where every person is free for the whole duration and, for
    on-site sessions, a room is free too (the first room in the given order that is)."""
    if query.duration <= timedelta(0) or query.limit <= 0:
        return []
    days = sorted(set(query.days))
    common = common_time(query)
    if not common:
        return []
    people_starts = start_ranges(common, query.duration)
    usable = [(start, end + query.duration) for start, end in people_starts]

    room_ranges: list[tuple[str, list[Interval], list[datetime]]] = []
    if query.rooms is not None:
        # (opening hours ∩ people's usable time) − bookings: the first part is the same for every room with the
        # same opening hours (a venue's rooms), so it is computed once per set of hours, not once per room.
        open_and_common: dict[tuple, list[Interval]] = {}
        for room in query.rooms:
            hours_key = tuple(sorted((day, tuple(ranges)) for day, ranges in room.hours.items()))
            if hours_key not in open_and_common:
                open_and_common[hours_key] = intersect(usable, day_windows(days, room.hours, query.tz))
            busy = room.busy
            if room.buffer:
                busy = merge((start - room.buffer, end) for start, end in busy)
            ranges = start_ranges(subtract(open_and_common[hours_key], busy), query.duration)
            if ranges:
                room_ranges.append((room.key, ranges, [r[0] for r in ranges]))
        if not room_ranges:
            return []

    slots: list[Slot] = []
    for low, high in people_starts:
        moment = _aligned(low, query.step, query.tz).astimezone(timezone.utc)
        while moment <= high:
            room = None
            if query.rooms is not None:
                room = next((key for key, ranges, starts in room_ranges if _contains(ranges, starts, moment)), None)
            if query.rooms is None or room is not None:
                slots.append(Slot(moment, moment + query.duration, room))
                if len(slots) >= query.limit:
                    return slots
            moment += query.step
    return slots
