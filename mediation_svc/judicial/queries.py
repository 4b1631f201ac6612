"""Read-only look-ups for the court's and the officer's part of the case page: the case's application, its latest
evidence package and the ruling. The rules (who may apply, build, share or rule) are ``service``'s."""

from __future__ import annotations

from sqlmodel import Session, col, select

from .models import EvidencePackage, JudicialApplication, Ruling


def application_of(session: Session, *, case_id: int) -> JudicialApplication | None:
    """The case's application for judicial confirmation, or None before there is one."""
    return session.exec(select(JudicialApplication).where(JudicialApplication.case_id == case_id)).first()


def newest_package(session: Session, *, case_id: int) -> EvidencePackage | None:
    """The case's latest evidence package, or None before one was built."""
    return session.exec(select(EvidencePackage).where(EvidencePackage.case_id == case_id)
                        .order_by(col(EvidencePackage.id).desc())).first()


def ruling_of(session: Session, *, application_id: int) -> Ruling | None:
    """The court's ruling on an application, or None before it ruled."""
    return session.exec(select(Ruling).where(Ruling.application_id == application_id)).first()
