"""What a changed calendar moves: the due dates of the open cases and the answer deadlines of the complaints on
the years it changed, recomputed in the caller's transaction (a due date is a rule applied to the calendar,
``cases.deadlines``, not a fact of its own)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from ..audit.chain import record
from ..cases.deadlines import due_on
from ..cases.models import Case
from ..cases.states import OPEN_STATES
from ..complaints.service import refresh_deadlines
from ..db import locked
from .store import load_calendar


def refresh_due_dates(session: Session, *, settings, years: set[int], actor: str) -> int:
    """Recompute the due dates of open cases received in or due in the given years; return how many moved."""
    if settings is None:
        return 0
    calendar = load_calendar(session)
    moved = 0
    # A period is moved by a year's arrangement only if it overlaps that year. The rows are locked (in id
    # order, docs/operations.md "Lock order") and read as they are once locked: a case that ends meanwhile is
    # left alone rather than given a due date computed from what it was.
    query = (select(Case).where(col(Case.status).in_([s.value for s in OPEN_STATES]),
                                col(Case.due_on) >= date(min(years), 1, 1),
                                col(Case.received_on) <= date(max(years), 12, 31))
             .order_by(col(Case.id)))
    for case in session.exec(locked(query)).all():
        due = due_on(calendar, settings, received_on=case.received_on, fast_track=case.fast_track)
        if due != case.due_on:
            record(session, actor=actor, action="case.due_date_recomputed", subject=f"case:{case.id}",
                   case_id=case.id, payload={"from": case.due_on, "to": due, "reason": "calendar changed"})
            case.due_on = due
            session.add(case)
            moved += 1
    moved += refresh_deadlines(session, calendar=calendar, years=years, actor=actor, settings=settings)
    session.flush()
    return moved
