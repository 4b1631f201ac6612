"""Read-only look-ups of signing requests for the case page (re-exported by ``service``): a case's requests, the
documents out for signing, whether a document has a completed signature, and a request's audit trail."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..audit.models import AuditEntry
from .models import SignedRevision, SigningRequest
from .policy import ACTIVE


def find_request(session: Session, *, request_id: int) -> SigningRequest | None:
    """The signing request with this id, or None."""
    return session.get(SigningRequest, request_id)


def requests_of_case(session: Session, *, case_id: int) -> list[SigningRequest]:
    """Every signing request on the case, newest first."""
    return list(session.exec(select(SigningRequest).where(SigningRequest.case_id == case_id)
                             .order_by(col(SigningRequest.id).desc())).all())


def documents_in_signing(session: Session, *, case_id: int) -> set[str]:
    """The ids of the case's documents that an active request is for."""
    return set(session.exec(select(SigningRequest.document_id).where(
        SigningRequest.case_id == case_id, col(SigningRequest.status).in_(ACTIVE))).all())


def has_completed_signature(session: Session, *, document_id: str) -> bool:
    """Whether a completed request produced a signed revision of the document (``signed_pdf`` has it)."""
    return session.exec(select(SignedRevision.id).join(SigningRequest,
                                                       col(SigningRequest.id) == col(SignedRevision.request_id))
                        .where(SignedRevision.document_id == document_id,
                               SigningRequest.status == "completed")).first() is not None


def request_trail(session: Session, *, request_id: int) -> list[AuditEntry]:
    """The request's audit entries, in the order they were recorded."""
    return list(session.exec(select(AuditEntry).where(AuditEntry.subject == f"signing_request:{request_id}")
                             .order_by(col(AuditEntry.seq))).all())
