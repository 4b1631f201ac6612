"""Read-only look-ups of accounts for the pages: one account by id, an institution's active accounts."""

from __future__ import annotations

from sqlmodel import Session, col, select

from .models import User


def user_of(session: Session, *, user_id: int | None) -> User | None:
    """The account with this id, or None (no id, or an unknown one)."""
    return session.get(User, user_id) if user_id is not None else None


def institution_accounts(session: Session, *, institution_id: int) -> list[User]:
    """An institution's active accounts, oldest first."""
    return list(session.exec(select(User).where(User.institution_id == institution_id, col(User.active).is_(True))
                             .order_by(col(User.id))).all())
