"""Slot finding as interval arithmetic on plain values (no database).

Intervals are half-open ``(start, end)`` pairs of aware datetimes. Working hours are local wall-clock
ranges per weekday (0 = Monday) in Asia/Shanghai, which has no daylight saving time, so a local day maps to
one fixed UTC span. Which days are working days (statutory holidays, adjusted working days) is decided by
the caller, who passes the list of days.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


def _hours_key(hours: WeeklyHours) -> tuple:
    return tuple(sorted((day, tuple(ranges)) for day, ranges in hours.items()))


@dataclass
class _RoomFinder:
    """The rooms' free start ranges, computed a batch of rooms at a time and only when a moment needs them:
    ``first_free`` reads further batches only while no room read so far is free at that moment, so a search
    where the first rooms (in order of preference) are free never looks at the others."""

    usable: Sequence[Interval]
    days: Sequence[date]
    query: SlotQuery
    batches: Iterator[Sequence[Resource]]
    ranges: list[tuple[str, list[Interval], list[datetime]]] = field(default_factory=list)
    open_and_common: dict[tuple, list[Interval]] = field(default_factory=dict)
    exhausted: bool = False

    def _read_next_batch(self) -> None:
        batch = next(self.batches, None)
        if batch is None:
            self.exhausted = True
            return
        for room in batch:
            self._add(room)

    def _add(self, room: Resource) -> None:
        # (opening hours ∩ people's usable time) − bookings: the first part is the same for every room with
        # the same opening hours (a venue's rooms), so it is computed once per set of hours, not once per room.
        key = _hours_key(room.hours)
        if key not in self.open_and_common:
            self.open_and_common[key] = intersect(self.usable, day_windows(self.days, room.hours, self.query.tz))
        busy = room.busy
        if room.buffer:
            busy = merge((start - room.buffer, end) for start, end in busy)
        ranges = start_ranges(subtract(self.open_and_common[key], busy), self.query.duration)
        if ranges:
            self.ranges.append((room.key, ranges, [r[0] for r in ranges]))

    def first_free(self, moment: datetime) -> str | None:
        """The first room (in order) free for the whole session from ``moment``; None when none is."""
        checked = 0
        while True:
            for key, ranges, starts in self.ranges[checked:]:
                if _contains(ranges, starts, moment):
                    return key
            checked = len(self.ranges)
            if self.exhausted:
                return None
            self._read_next_batch()

    def none_at_all(self) -> bool:
        """Whether no room is free at any usable moment (every batch read)."""
        while not self.ranges and not self.exhausted:
            self._read_next_batch()
        return not self.ranges


def grid_moments(people_starts: Sequence[Interval], step: timedelta, tz: tzinfo) -> Iterator[datetime]:
    """The step grid's start times (UTC) inside the people's start ranges, earliest first."""
    for low, high in people_starts:
        moment = _aligned(low, step, tz).astimezone(timezone.utc)
        while moment <= high:
            yield moment
            moment += step


def find_slots(query: SlotQuery, more_rooms: Iterable[Sequence[Resource]] = ()) -> list[Slot]:
    """The earliest start times on the step grid where every person is free for the whole duration and, for
    on-site sessions, a room is free too: the first room in order that is, of ``query.rooms`` followed by
    the batches of ``more_rooms`` (read lazily, only when no room before them is free at a moment)."""
    if query.duration <= timedelta(0) or query.limit <= 0:
        return []
    people_starts = start_ranges(common_time(query), query.duration)
    if not people_starts:
        return []
    rooms = None
    if query.rooms is not None:
        usable = [(start, end + query.duration) for start, end in people_starts]
        batches = itertools.chain([query.rooms], more_rooms)
        rooms = _RoomFinder(usable, sorted(set(query.days)), query, iter(batches))
        if rooms.none_at_all():
            return []
    slots: list[Slot] = []
    for moment in grid_moments(people_starts, query.step, query.tz):
        room = rooms.first_free(moment) if rooms is not None else None
        if rooms is None or room is not None:
            slots.append(Slot(moment, moment + query.duration, room))
            if len(slots) >= query.limit:
                break
    return slots
