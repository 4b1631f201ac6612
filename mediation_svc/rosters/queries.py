"""Read-only look-ups of the rosters for the pages: every pool, the mediator an assignment names."""

from __future__ import annotations

from sqlmodel import Session, col, select

from .models import Mediator, MediatorAssignment, Pool


def list_pools(session: Session) -> list[Pool]:
    """Every pool, by id."""
    return list(session.exec(select(Pool).order_by(col(Pool.id))).all())


def assigned_mediator(session: Session, *, assignment: MediatorAssignment) -> Mediator:
    """The mediator an assignment names; the assignment refers to it, so a missing one is corrupt data."""
    mediator = session.get(Mediator, assignment.mediator_id)
    if mediator is None:
        raise RuntimeError(f"assignment {assignment.id} refers to mediator {assignment.mediator_id}, "
                           "which does not exist")
    return mediator
