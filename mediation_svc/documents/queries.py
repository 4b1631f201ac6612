"""Read-only look-ups of documents for the pages: one document by id, a case's finalised documents of some kinds."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from .models import Document, DocumentStatus


def document_of(session: Session, *, document_id: str) -> Document | None:
    """The document with this id, or None."""
    return session.get(Document, document_id)


def final_documents(session: Session, *, case_id: int, kinds: Iterable[str]) -> list[Document]:
    """The case's finalised documents of these kinds (not yet out for signing), by kind, oldest first."""
    return list(session.exec(select(Document).where(Document.case_id == case_id, col(Document.kind).in_(tuple(kinds)),
                                                    Document.status == DocumentStatus.FINAL)
                             .order_by(col(Document.kind), col(Document.created_at))).all())
