"""Certificates issued by the center's CAs and their revocation (what the CRL and OCSP responder publish)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


class IssuedCertificate(SQLModel, table=True):
    __tablename__ = "pki_certificates"

    id: int | None = Field(default=None, primary_key=True)
    serial_hex: str = Field(max_length=64, unique=True, index=True)
    issuer: str = Field(max_length=40, index=True)  # key-store name of the issuing CA: ca-issuing, ca-root
    subject: str = Field(max_length=500)
    purpose: str = Field(max_length=20)  # signer | seal | ocsp | tsa | ca
    not_before: datetime = Field(sa_type=UTCDateTime, nullable=False)
    not_after: datetime = Field(sa_type=UTCDateTime, nullable=False)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revocation_reason: str | None = Field(default=None, max_length=40)
    case_id: int | None = Field(default=None, index=True)
