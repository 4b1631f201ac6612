"""Read-only look-ups the pages show about cases: the intake form's choices, the categories' names, an institution,
and the courts a case can still be shared with. Nothing here changes a row."""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import Session, col, select

from ..accounts.models import User
from ..security.roles import Role
from .models import CaseCategory, CaseShare, Institution


class IntakeOptions(NamedTuple):
    """What an intake form offers: every institution (by id) and the active categories (by code)."""

    institutions: list[Institution]
    categories: list[CaseCategory]


def intake_options(session: Session) -> IntakeOptions:
    """The institutions and active categories a case's or a complaint's intake form offers."""
    institutions = list(session.exec(select(Institution).order_by(col(Institution.id))).all())
    categories = list(session.exec(select(CaseCategory).where(col(CaseCategory.active).is_(True))
                                   .order_by(col(CaseCategory.code))).all())
    return IntakeOptions(institutions=institutions, categories=categories)


def _name(category: CaseCategory, language: str) -> str:
    return category.name_en if language == "en" else category.name_zh


def category_names(session: Session, *, language: str) -> dict[str, str]:
    """Every category's name (active or not) in the reader's language, by code."""
    return {c.code: _name(c, language) for c in session.exec(select(CaseCategory)).all()}


def category_of(session: Session, *, code: str | None) -> CaseCategory | None:
    """The category with this code, or None (no code, or an unknown one)."""
    return session.get(CaseCategory, code) if code else None


def category_name(session: Session, *, code: str | None, language: str) -> str | None:
    """A category's name in the reader's language, or None when there is no such category."""
    category = category_of(session, code=code)
    return _name(category, language) if category is not None else None


def institution_of(session: Session, *, institution_id: int | None) -> Institution | None:
    """The institution with this id, or None (no id, or an unknown one)."""
    return session.get(Institution, institution_id) if institution_id else None


def courts_to_share_with(session: Session, *, case_id: int) -> list[User]:
    """The active court accounts the case is not (or no longer) shared with, by id."""
    shared = set(session.exec(select(CaseShare.court_user_id).where(CaseShare.case_id == case_id,
                                                                    col(CaseShare.revoked).is_(False))).all())
    courts = session.exec(select(User).where(User.role == Role.COURT, col(User.active).is_(True))
                          .order_by(col(User.id))).all()
    return [u for u in courts if u.id not in shared]
