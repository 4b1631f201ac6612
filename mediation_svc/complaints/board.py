"""The complaint board (投诉工作台): the open complaints an officer or an institution's account sees, those
needing attention first, and its counters; each part one indexed, limited query."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..timeutil import today_in_shanghai
from . import policy
from .models import Contact
from .policy import OPEN, Status
from .service import visibility_clause


def board(session: Session, *, user: User, status: str | None = None, institution_id: int | None = None,
          attention: str | None = None, limit: int = 100, offset: int = 0) -> list[Contact]:
    """Open complaints, those needing attention first: urgent and not yet responded to (soonest first), then
    those waiting to be forwarded (oldest first), then the rest by deadline. Each part is one indexed,
    limited query (``ix_contacts_open_deadline``), so the board never sorts every open complaint."""
    base = select(Contact).where(visibility_clause(session, user), col(Contact.kind) == "complaint")
    if institution_id:
        base = base.where(col(Contact.institution_id) == institution_id)
    today = today_in_shanghai()
    if attention == "overdue":
        base = base.where(col(Contact.status) == Status.FORWARDED.value, col(Contact.deadline_on) < today)
    elif attention == "urgent":
        base = base.where(col(Contact.urgent).is_(True), col(Contact.first_response_at).is_(None),
                          col(Contact.status).in_([s.value for s in OPEN]))
    if status or attention:
        if status:
            base = base.where(col(Contact.status) == status)
        ordered = base.order_by(col(Contact.deadline_on).is_(None), col(Contact.deadline_on), col(Contact.id))
        return list(session.exec(ordered.limit(limit).offset(offset)).all())
    wanted = limit + offset
    urgent = list(session.exec(base.where(col(Contact.urgent).is_(True), col(Contact.first_response_at).is_(None),
                                          col(Contact.status).in_([s.value for s in OPEN]))
                               .order_by(col(Contact.urgent_due_at), col(Contact.id)).limit(wanted)).all())
    rows = list(urgent)
    skip = [c.id for c in urgent]
    parts: list[tuple[sa.ColumnElement[bool], tuple[Mapped[object], ...]]] = [
        (col(Contact.status) == Status.RECEIVED.value, (col(Contact.received_at), col(Contact.id))),
        (col(Contact.status).in_(OPEN_WITH_DEADLINE), (col(Contact.deadline_on), col(Contact.id))),
        # a consumer's application sent back for more: last, longest waiting first
        (col(Contact.status) == Status.NEEDS_INFO.value, (col(Contact.updated_at), col(Contact.id)))]
    for part, order in parts:
        if len(rows) >= wanted:
            break
        query = base.where(part, col(Contact.id).not_in(skip)) if skip else base.where(part)
        rows += session.exec(query.order_by(*order).limit(wanted - len(rows))).all()
    return rows[offset:offset + limit]


OPEN_WITH_DEADLINE = [s.value for s in policy.OPEN_WITH_DEADLINE]


def board_counts(session: Session, *, user: User) -> dict[str, int]:
    """The board's counters: two passes over indexes (open statuses and deadlines; urgent ones unanswered)."""
    today = today_in_shanghai()
    count = sa.func.count
    # Consultations are never in an open status: the status list alone selects complaints.
    open_ = sa.and_(visibility_clause(session, user), col(Contact.status).in_([s.value for s in OPEN]))
    total, waiting, overdue = session.execute(select(
        count(), count().filter(col(Contact.status) == Status.RECEIVED.value),
        count().filter(col(Contact.status) == Status.FORWARDED.value, col(Contact.deadline_on) < today))
        .where(open_)).one()
    urgent = session.execute(select(count()).where(open_, col(Contact.urgent).is_(True),
                                                   col(Contact.first_response_at).is_(None))).scalar_one()
    return {"open": total, "waiting": waiting, "overdue": overdue, "urgent": urgent}
