"""Signing requests as stored: loading them (locked, visible to a user), their signers and revisions, the signed
PDF of a document, the audit helpers, and storing a new signed revision. Every other signing module builds on it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..accounts.models import User
from ..audit.chain import actor_of, record
from ..cases.models import Case
from ..cases.service import get_visible_case_or_404
from ..db import get_or_404, id_of, is_postgresql, one_or_404, utcnow
from ..documents.models import Document
from ..errors import NotFound
from . import pades
from .models import RequestStatus, SignedRevision, SigningMode, SigningParticipant, SigningRequest


@dataclass(frozen=True)
class RepresentativeSpec:
    """Who signs for an institution party: their details, and whether they use their own certificate."""

    party_id: int
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    mode: SigningMode = SigningMode.REMOTE
    certificate_der: bytes | None = None
    # An institution on the platform signs through one of its accounts, or a person one of them named
    # (complaints.institutions.institution_signer); the name and phone then come from there.
    account_user_id: int | None = None
    nomination_id: int | None = None
    user_id: int | None = None  # set when resolved: the account that signs

    @property
    def chosen_on_platform(self) -> bool:
        """An account or a nomination: its phone is the one given there, not one typed for this request."""
        return self.account_user_id is not None or self.nomination_id is not None


@dataclass(frozen=True)
class Client:
    address: str
    user_agent: str


user_actor = actor_of  # the audit log's name for a person (audit.chain.actor_of)


def signer_actor(p: SigningParticipant) -> str:
    """The audit log's name for a signer: ``signer:<participant id>:<name>``."""
    return f"signer:{p.id}:{p.name}"


def audit_request(session: Session, request: SigningRequest, *, actor: str, action: str,
                  payload: dict[str, Any] | None = None) -> None:
    """Audit ``action`` on the signing request (its subject; its id and document in the payload)."""
    record(session, actor=actor, action=action, subject=f"signing_request:{request.id}", case_id=request.case_id,
           payload={"request_id": request.id, "document_id": request.document_id, **(payload or {})})


def lock_request(session: Session, request_id: int) -> SigningRequest:
    """The request row, locked until commit (PostgreSQL FOR UPDATE; SQLite holds the write lock already)."""
    query = select(SigningRequest).where(col(SigningRequest.id) == request_id)
    return one_or_404(session, query.execution_options(populate_existing=True),
                      missing=f"signing request {request_id} not found", for_update=is_postgresql(session))


def lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked until commit, before its request's (the lock order; PostgreSQL FOR UPDATE)."""
    return one_or_404(session, select(Case).where(col(Case.id) == case_id).execution_options(populate_existing=True),
                      missing=f"case {case_id} not found", for_update=is_postgresql(session))


def selected_ids(values: Iterable[int | None]) -> list[int]:
    """Primary keys as ``select(col(Model.id))`` types them; a stored row's key is never None."""
    return [ident for ident in values if ident is not None]


def request_of(session: Session, request_id: int) -> SigningRequest:
    """The request a signer or a revision belongs to (a foreign key: missing only in a corrupt database)."""
    request = session.get(SigningRequest, request_id)
    if request is None:
        raise RuntimeError(f"signing request {request_id} is missing although rows refer to it")
    return request


def document_of(session: Session, request: SigningRequest) -> Document:
    """The document a request signs (a foreign key: missing only in a corrupt database)."""
    document = session.get(Document, request.document_id)
    if document is None:
        raise RuntimeError(f"document {request.document_id} of signing request {request.id} is missing")
    return document


def case_of(session: Session, request: SigningRequest) -> Case:
    """The case a request belongs to (a foreign key: missing only in a corrupt database)."""
    case = session.get(Case, request.case_id)
    if case is None:
        raise RuntimeError(f"case {request.case_id} of signing request {request.id} is missing")
    return case


def get_visible_request_or_404(session: Session, *, user: User, request_id: int,
                               for_update: bool = False) -> tuple[SigningRequest, Case]:
    """The signing request and its case, if ``user`` sees the case (NotFound otherwise, as for a
    missing request); ``for_update`` re-reads it locked (``lock_request``)."""
    missing = f"signing request {request_id} not found"
    request = get_or_404(session, SigningRequest, request_id, missing=missing)
    case = get_visible_case_or_404(session, user=user, case_id=request.case_id, missing=missing)
    if for_update:
        request = lock_request(session, request_id)
    return request, case


def participants_of(session: Session, request_id: int) -> list[SigningParticipant]:
    """The request's signers, freshly read, by stage and then in the order they were added."""
    return list(session.exec(select(SigningParticipant).where(SigningParticipant.request_id == request_id)
                             .order_by(col(SigningParticipant.stage), col(SigningParticipant.id))
                             .execution_options(populate_existing=True)).all())


def get_participant_or_404(session: Session, *, request: SigningRequest, participant_id: int) -> SigningParticipant:
    """The signer, freshly read, if they belong to ``request``; otherwise NotFound."""
    participant = session.get(SigningParticipant, participant_id, populate_existing=True)
    if participant is None or participant.request_id != request.id:
        raise NotFound(f"signer {participant_id} not found on signing request {request.id}")
    return participant


def latest_revision(session: Session, document_id: str) -> SignedRevision | None:
    """The document's newest signed revision, whatever became of its request; None before any."""
    return session.exec(select(SignedRevision).where(SignedRevision.document_id == document_id)
                        .order_by(col(SignedRevision.sequence).desc()).limit(1)).first()


def current_pdf(session: Session, request: SigningRequest) -> bytes:
    """The PDF the request's next signature goes on: the document's newest revision if this request made
    it, else the finalised PDF (a revision of an earlier, closed request is not built on)."""
    revision = latest_revision(session, request.document_id)
    if revision is not None and revision.request_id == request.id:
        return revision.pdf
    return document_of(session, request).pdf


def signed_revision(session: Session, *, document_id: str) -> SignedRevision | None:
    """The newest revision from a completed request (B-LTA, or a later archive timestamp); None until then.

    Revisions of a request that was declined, voided or expired part-way, or of one still open, are kept as
    evidence but are not "the signed agreement": the one rule for the case page, the consumer, the court's
    package and the verification service's registered file."""
    return session.exec(
        select(SignedRevision).join(SigningRequest, col(SigningRequest.id) == col(SignedRevision.request_id))
        .where(SignedRevision.document_id == document_id, SigningRequest.status == RequestStatus.COMPLETED.value)
        .order_by(col(SignedRevision.sequence).desc()).limit(1)).first()


def signed_pdf(session: Session, *, document_id: str) -> bytes | None:
    """The signed agreement's bytes (``signed_revision``); None until a request completes."""
    revision = signed_revision(session, document_id=document_id)
    return revision.pdf if revision is not None else None


def signing_events(session: Session, *, document_id: str) -> list[dict[str, Any]]:
    """Every signed revision of a document, oldest first, with its evidence (as stored, and its hash)."""
    rows = session.exec(select(SignedRevision).where(SignedRevision.document_id == document_id)
                        .order_by(col(SignedRevision.sequence))).all()
    events = []
    for row in rows:
        participant = session.get(SigningParticipant, row.participant_id) if row.participant_id else None
        request = request_of(session, row.request_id)
        events.append({
            "sequence": row.sequence, "kind": row.kind, "request_id": row.request_id,
            "request_status": request.status,
            "participant_id": row.participant_id, "signer": participant.name if participant else None,
            "role": participant.role_label if participant else None, "at": row.created_at,
            "sha256_before": row.sha256_before, "sha256_after": row.sha256_after, "cert_serial": row.cert_serial,
            "evidence": json.loads(row.evidence) if row.evidence else None, "evidence_sha256": row.evidence_sha256,
            "timestamp_expires_at": row.timestamp_expires_at})
    return events


# The revisions that carry long-term validation material, and so an archive timestamp whose expiry is watched.
LTA_KINDS = ("lta", "archive_timestamp")
ARCHIVE_KIND = "archive_timestamp"


def store_revision(session: Session, *, request: SigningRequest, kind: str, pdf: bytes, sha_before: str,
                   participant: SigningParticipant | None = None, cert_serial: str | None = None,
                   evidence: str | None = None) -> SignedRevision:
    """Add the new revision and move the request's pointer to it (the last step before commit)."""
    sequence = (session.execute(select(func.max(SignedRevision.sequence))
                                .where(SignedRevision.document_id == request.document_id)).scalar() or 0) + 1
    revision = SignedRevision(document_id=request.document_id, request_id=id_of(request), sequence=sequence, kind=kind,
                              participant_id=participant.id if participant else None, pdf=pdf,
                              sha256_before=sha_before, sha256_after=hashlib.sha256(pdf).hexdigest(),
                              cert_serial=cert_serial, evidence=evidence,
                              evidence_sha256=hashlib.sha256(evidence.encode()).hexdigest() if evidence else None,
                              timestamp_expires_at=pades.last_timestamp_expiry(pdf) if kind in LTA_KINDS else None)
    session.add(revision)
    request.current_sha256 = revision.sha256_after
    request.revision += 1
    request.updated_at = utcnow()
    session.add(request)
    session.flush()
    return revision
