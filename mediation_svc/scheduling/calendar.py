"""iCalendar (RFC 5545) invitations and feeds for mediation sessions, through the icalendar library.

Times are written in Asia/Shanghai with its VTIMEZONE, so calendar clients show the local time whatever
their own zone. Invitations carry an iTIP method (RFC 5546): REQUEST for a new or moved session, CANCEL for a
cancelled one; the UID stays the same across reschedules and SEQUENCE rises with each change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from ..db import utcnow
from ..timeutil import SHANGHAI

PRODID = "-//mediation-svc//调解中心//ZH"


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str | None = None
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True)
class EventData:
    uid: str
    sequence: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    description: str | None = None
    url: str | None = None
    cancelled: bool = False
    organizer_name: str | None = None
    organizer_email: str | None = None
    attendees: Sequence[Attendee] = field(default_factory=tuple)


def make_event(data: EventData) -> Event:
    event = Event()
    event.add("uid", data.uid)
    event.add("sequence", data.sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", data.starts_at.astimezone(SHANGHAI))
    event.add("dtend", data.ends_at.astimezone(SHANGHAI))
    event.add("summary", data.summary)
    event.add("status", "CANCELLED" if data.cancelled else "CONFIRMED")
    if data.location:
        event.add("location", data.location)
    if data.description:
        event.add("description", data.description)
    if data.url:
        event.add("url", data.url)
    if data.organizer_email:
        organizer = vCalAddress(f"mailto:{data.organizer_email}")
        if data.organizer_name:
            organizer.params["cn"] = vText(data.organizer_name)
        event["organizer"] = organizer
    for attendee in data.attendees:
        if not attendee.email:
            continue
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.name)
        address.params["role"] = vText(attendee.role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        event.add("attendee", address, encode=False)
    return event


def make_calendar(events: Sequence[EventData], *, method: str | None = None, name: str | None = None) -> bytes:
    """A VCALENDAR with the events and the VTIMEZONE they use."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Asia/Shanghai")
    for data in events:
        calendar.add_component(make_event(data))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def invitation(data: EventData) -> bytes:
    """One session as an iTIP message: REQUEST, or CANCEL when it was cancelled."""
    return make_calendar([data], method="CANCEL" if data.cancelled else "REQUEST")
