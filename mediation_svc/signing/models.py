"""Signing requests, their signers, and the signed revisions of an agreement (电子签署)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


class RequestStatus(StrEnum):
    AWAITING_AUTHORISATION = "awaiting_authorisation"  # a representative's 授权委托书 is not checked yet
    OPEN = "open"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"
    VOIDED = "voided"


class SignerStatus(StrEnum):
    WAITING = "waiting"  # an earlier stage has not finished
    PENDING = "pending"
    SIGNED = "signed"
    DECLINED = "declined"


class SigningMode(StrEnum):
    REMOTE = "remote"  # a single-use link, OTP to the phone on record, on the signer's own device
    ONSITE = "onsite"  # at the center, on a tablet hosted by the mediator (OTP still to the signer's phone)
    EXTERNAL = "external"  # an institution's own certificate: the API hands out a digest, takes back a CMS


class SignerKind(StrEnum):
    PERSON = "person"
    REPRESENTATIVE = "representative"  # signs for a bank or insurer, with an authorisation letter
    MEDIATOR = "mediator"
    SEAL = "seal"  # the center's organisation seal


# Signing order (People's Mediation Law art. 29): parties in parallel, then the mediator, then the seal.
STAGE_PARTIES, STAGE_MEDIATOR, STAGE_SEAL = 1, 2, 3


class SigningRequest(SQLModel, table=True):
    __tablename__ = "signing_requests"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    document_id: str = Field(foreign_key="documents.id", max_length=36, index=True)
    status: str = Field(default=RequestStatus.OPEN.value, max_length=30, index=True)
    deadline_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    current_sha256: str = Field(max_length=64)
    revision: int = 0  # number of signed revisions so far
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_reason: str | None = Field(default=None, max_length=1000)


class SigningParticipant(SQLModel, table=True):
    __tablename__ = "signing_participants"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="signing_requests.id", index=True)
    stage: int
    kind: str = Field(max_length=20)
    role_label: str = Field(max_length=40)  # 申请人 / 被申请人代理人 / 调解员 / 调解组织
    name: str = Field(max_length=200)
    on_behalf_of: str | None = Field(default=None, max_length=200)  # the institution a representative signs for
    party_id: int | None = Field(default=None, foreign_key="case_parties.id")
    user_id: int | None = Field(default=None, foreign_key="users.id")
    phone: str | None = Field(default=None, max_length=32)
    id_masked: str | None = Field(default=None, max_length=40)
    id_last4_hash: str | None = Field(default=None, max_length=128)
    status: str = Field(default=SignerStatus.WAITING.value, max_length=20)
    field_name: str = Field(max_length=60)
    # identity proof
    otp_hash: str | None = Field(default=None, max_length=200)
    otp_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    otp_failures: int = 0
    otp_locked: bool = False
    otp_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    id_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    document_viewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consent_sha256: str | None = Field(default=None, max_length=64)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    drawing_png: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    link_jti: str | None = Field(default=None, max_length=64)
    # a representative's authorisation letter (授权委托书)
    authorisation_doc: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    authorisation_content_type: str | None = Field(default=None, max_length=60)
    authorisation_sha256: str | None = Field(default=None, max_length=64)
    authorisation_checked_by: int | None = Field(default=None, foreign_key="users.id")
    authorisation_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the institution's own seal image, filed with the letter and checked with it (0020); re-encoded PNG
    institution_seal_png: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    institution_seal_sha256: str | None = Field(default=None, max_length=64)
    # an institution's own certificate (interrupted signing)
    external_cert_der: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    prepared_pdf: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    prepared_digest: str | None = Field(default=None, max_length=128)
    prepared_region: str | None = Field(default=None, max_length=40)
    prepared_base_sha256: str | None = Field(default=None, max_length=64)
    last_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # how this signer signs (0008): remote | onsite | external, and the state of the link and session
    mode: str = Field(default="remote", max_length=20)
    otp_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    otp_sends: int = 0
    link_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    session_jti: str | None = Field(default=None, max_length=64)
    onsite_host_user_id: int | None = Field(default=None, foreign_key="users.id")
    declined_reason: str | None = Field(default=None, max_length=1000)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # when the signer first opened a short link (0025; the links themselves are in signing_links)
    link_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the key in the signer's hands (0025): signer_device (WebCrypto), center_server (on-site fallback),
    # institution (its own certificate); the browser's public key and the signed attributes it signs
    key_origin: str | None = Field(default=None, max_length=30)
    public_key_der: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    prepared_attrs: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    prepared_cert_der: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    prepared_evidence: str | None = None


class SignedRevision(SQLModel, table=True):
    """One incremental update of the agreement: a signature, the B-LTA close, or an archive timestamp."""

    __tablename__ = "signed_revisions"
    __table_args__ = (sa.UniqueConstraint("document_id", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documents.id", max_length=36, index=True)
    request_id: int = Field(foreign_key="signing_requests.id", index=True)
    sequence: int
    kind: str = Field(max_length=30)  # signature | seal | lta | archive_timestamp
    participant_id: int | None = Field(default=None, foreign_key="signing_participants.id")
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    sha256_before: str = Field(max_length=64)
    sha256_after: str = Field(max_length=64)
    cert_serial: str | None = Field(default=None, max_length=64)
    evidence: str | None = None  # canonical JSON (RFC 8785) of the signing event's evidence
    evidence_sha256: str | None = Field(default=None, max_length=64)
    timestamp_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SigningLink(SQLModel, table=True):
    """A short link sent by SMS (``/s/K7P3QX9MAB2C``): only the HMAC of its code is kept (0025).

    A signer's links all lead to their own page, whatever the request's state; a link that was replaced by a
    newer one only says so. ``purpose``: sign | download (the SMS after the seal)."""

    __tablename__ = "signing_links"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    participant_id: int = Field(foreign_key="signing_participants.id", index=True)
    purpose: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    replaced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
