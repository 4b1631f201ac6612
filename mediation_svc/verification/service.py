"""Verification for people who hold a file or a printed code: the report with its registry section,
and look-ups by the verification code printed on every page (rate-limited per address).

For other domains and the web pages:
- ``verify_upload(session, keystore, data=, file_name=)``: the full report, registry included.
- ``lookup_code(session, keystore, code=, address=)``: what the verification page at /verify/code/{code}
  shows (status, hashes, the verdict on the registered file); raises TooManyRequests when over the limit.
- ``original_by_code(session, code=, address=)``: the registered original for the holder of the code.
- ``registry_for(session, sha256)``: does this hash belong to a document this service issued?
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cryptography import x509
from sqlmodel import Session, col, select

from ..cases.models import Case
from ..documents.models import Document
from ..documents.service import find_by_code, group_code, normalise_code
from ..errors import DomainError, EmptyUpload, NotFound, PayloadTooLarge
from ..pki import hierarchy
from ..pki.keystore import KeyStore
from ..security import throttle
from ..signing import store
from ..signing.models import SignedRevision, SigningParticipant
from .report import NotAPdf, UnreadablePdf, verify_pdf
from .schemas import RegistryMatch, SigningEvent, VerificationReport

MAX_BYTES = 20 * 1024 * 1024
CODE_BUCKET = "verify-code"
CODE_LOOKUPS_PER_WINDOW = 30
CODE_WINDOW = timedelta(minutes=15)
# Verification is CPU work for anyone without a login: bound it per address (a court verifies a handful).
VERIFY_BUCKET = "verify-upload"
VERIFICATIONS_PER_WINDOW = 120
VERIFY_WINDOW = timedelta(minutes=10)


class NotAPdfUpload(DomainError):
    status, slug, title = 415, "not-a-pdf", "The upload is not a PDF"


class UnreadablePdfUpload(DomainError):
    status, slug, title = 422, "unreadable-pdf", "The upload cannot be read as a PDF"


def trust_roots(keystore: KeyStore) -> list[x509.Certificate]:
    """The center's root: the one trust anchor for everything this service signs."""
    return [keystore.certificate(hierarchy.ROOT)]


def check_upload(data: bytes) -> None:
    """EmptyUpload (422) for no bytes, PayloadTooLarge (413) over ``MAX_BYTES`` (20 MiB)."""
    if not data:
        raise EmptyUpload("send the PDF to verify in the multipart field 'file'")
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"files up to {MAX_BYTES} bytes can be verified")


def validation_time(app_state) -> datetime:
    """The moment verification judges at: the real time, unless the app was given a clock (tests that move
    it, as a court reading the file years later would)."""
    clock = getattr(app_state, "validation_clock", None)
    return clock() if clock is not None else datetime.now(timezone.utc)


def verify_bytes(keystore: KeyStore, *, data: bytes, file_name: str | None,
                 now: datetime | None = None) -> VerificationReport:
    """The report on a PDF against the center's root alone, without the registry section; EmptyUpload,
    PayloadTooLarge, NotAPdfUpload (415) or UnreadablePdfUpload (422) for a file it cannot judge."""
    check_upload(data)
    try:
        return verify_pdf(data, trust_roots=trust_roots(keystore), file_name=file_name, now=now)
    except UnreadablePdf as exc:
        raise UnreadablePdfUpload(str(exc)) from None
    except NotAPdf as exc:
        if not data:
            raise EmptyUpload(str(exc)) from None
        raise NotAPdfUpload(str(exc)) from None


def verify_upload(session: Session, keystore: KeyStore, *, data: bytes, file_name: str | None,
                  address: str | None = None, now: datetime | None = None) -> VerificationReport:
    """The full report with its registry section; with ``address``, rate-limited per client address."""
    if address is not None:
        throttle.ensure_allowed(session, bucket=VERIFY_BUCKET, key=address, limit=VERIFICATIONS_PER_WINDOW,
                                window=VERIFY_WINDOW, message="Too many verifications from this address; "
                                                              "try again later.")
        throttle.count_attempt(session, bucket=VERIFY_BUCKET, key=address)
    report = verify_bytes(keystore, data=data, file_name=file_name, now=now)
    report.registry = registry_for(session, report.file_sha256)
    return report


# ---- the registry ----------------------------------------------------------------------------------------

def _history(session: Session, document_id: str) -> list[SigningEvent]:
    rows = session.exec(select(SignedRevision).where(SignedRevision.document_id == document_id)
                        .order_by(col(SignedRevision.sequence))).all()
    events = []
    for row in rows:
        participant = session.get(SigningParticipant, row.participant_id) if row.participant_id else None
        events.append(SigningEvent(sequence=row.sequence, kind=row.kind, sha256_after=row.sha256_after,
                                   at=row.created_at, signer=participant.name if participant else None,
                                   role=participant.role_label if participant else None))
    return events


def _describe(session: Session, document: Document, *, match: str, sha256: str) -> RegistryMatch:
    case = session.get(Case, document.case_id)
    history = _history(session, document.id)
    _pdf, latest = registered_file(session, document)
    return RegistryMatch(matched=True, match=match, document_id=document.id, title=document.title,
                         case_number=case.number if case else None, version=document.draft_version,
                         status=str(document.status), latest_revision=(sha256 == latest), latest_sha256=latest,
                         signing_history=history)


def registry_for(session: Session, sha256: str) -> RegistryMatch:
    """Match a file's SHA-256 against the documents and signed revisions this service produced."""
    digest = sha256.strip().lower()
    document = session.exec(select(Document).where(Document.sha256 == digest)
                            .order_by(col(Document.created_at))).first()
    if document is not None:
        return _describe(session, document, match="document", sha256=digest)
    revision = session.exec(select(SignedRevision).where(SignedRevision.sha256_after == digest)
                            .order_by(col(SignedRevision.sequence))).first()
    if revision is not None:
        document = session.get(Document, revision.document_id)
        if document is not None:
            return _describe(session, document, match="signed_revision", sha256=digest)
    return RegistryMatch(matched=False)


# ---- look-ups by printed code ----------------------------------------------------------------------------

def _document_by_code(session: Session, *, code: str, address: str) -> Document:
    throttle.ensure_allowed(session, bucket=CODE_BUCKET, key=address, limit=CODE_LOOKUPS_PER_WINDOW,
                            window=CODE_WINDOW, message="Too many verification look-ups from this address; "
                                                        "try again later.")
    # every look-up counts, found or not: guessing codes costs the same as reading them
    throttle.count_attempt(session, bucket=CODE_BUCKET, key=address)
    document = find_by_code(session, code) if len(normalise_code(code)) <= 40 else None
    if document is None:
        raise NotFound("no document has this verification code")
    return document


def registered_file(session: Session, document: Document) -> tuple[bytes, str]:
    """The signed agreement (the newest revision of a completed request, ``signing.store.signed_revision``), or
    the finalised PDF while none has completed: a revision of a request still open, or declined, voided or
    expired part-way, is evidence in the history, not the registered file."""
    revision = store.signed_revision(session, document_id=document.id)
    if revision is not None:
        return revision.pdf, revision.sha256_after
    return document.pdf, document.sha256


def lookup_code(session: Session, keystore: KeyStore, *, code: str, address: str,
                now: datetime | None = None) -> dict:
    """The verification page's answer for a printed code (throttled per address; NotFound for an unknown
    code): the document, the registered file's hashes and verdict, and the signing history, names in full
    (callers mask them, ``pipl.mask_code_lookup``, for whoever may not read the agreement)."""
    document = _document_by_code(session, code=code, address=address)
    pdf, sha256 = registered_file(session, document)
    case = session.get(Case, document.case_id)
    report = verify_pdf(pdf, trust_roots=trust_roots(keystore), now=now)
    return {
        "code": group_code(document.verification_code), "document_id": document.id, "title": document.title,
        "case_number": case.number if case else None, "status": str(document.status),
        "version": document.draft_version, "finalised_sha256": document.sha256, "registered_sha256": sha256,
        "registered_size": len(pdf), "created_at": document.created_at, "voided_at": document.voided_at,
        "signing_history": [e.model_dump() for e in _history(session, document.id)],
        "verification": {"indication": report.indication.value, "sub_indication": report.sub_indication,
                         "summary": report.summary,
                         "signatures": [{"field_name": s.field_name, "kind": s.kind, "indication": s.indication.value,
                                         "signer": s.signer.name if s.signer else None,
                                         "role": s.signer.role if s.signer else None,
                                         "timestamp_time": s.timestamp_time} for s in report.signatures]},
        "original_url": f"/api/v1/verify/code/{normalise_code(code)}/original",
    }


def original_by_code(session: Session, *, code: str, address: str) -> tuple[bytes, str]:
    """The registered file behind a printed code and a file name for it (throttled as ``lookup_code``).
    No access check here: the route requires a login and the right to read the agreement."""
    document = _document_by_code(session, code=code, address=address)
    pdf, sha256 = registered_file(session, document)
    return pdf, f"{document.kind}-{document.id[:8]}-{sha256[:12]}.pdf"
