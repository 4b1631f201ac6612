"""A phone proved by a one-time SMS code: the row behind a consumer's short-lived self-service token."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


class PhoneProof(SQLModel, table=True):
    """One code sent to one phone. The code is kept only as ``nonce$HMAC-SHA256`` under a key the database does
    not hold; ``proved_at`` is set when the right code came back, and the token names this row (never the
    phone), so a token read off a screen reveals nothing personal and logging out revokes it."""

    __tablename__ = "phone_proofs"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=32, index=True)  # E.164 (phones.normalise_mobile)
    code_mac: str = Field(max_length=100)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    proved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Consent(SQLModel, table=True):
    """A consumer's consent to the processing of their personal information (PIPL arts. 13-14, 29), as given:
    the version and SHA-256 of the exact words they were shown, when, from which phone proof and for what.
    Never updated; a withdrawal would be a new row."""

    __tablename__ = "consents"

    id: int | None = Field(default=None, primary_key=True)
    phone_proof_id: int = Field(foreign_key="phone_proofs.id", index=True)
    purpose: str = Field(max_length=40)  # complaint | mediation
    text_version: str = Field(max_length=20)
    text_sha256: str = Field(max_length=64)
    language: str = Field(max_length=10)
    given_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    client: str = Field(max_length=64)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id", index=True)
