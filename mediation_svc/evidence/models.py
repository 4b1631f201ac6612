"""One piece of evidence on a case, stored as checked (an image as its clean re-encode, a PDF as uploaded)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow

SIDES = ("consumer", "staff")


class EvidenceItem(SQLModel, table=True):
    __tablename__ = "case_evidence"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    uploaded_by: str = Field(max_length=120)  # the audit log's actor: user:<id>:<username> or consumer:<masked>
    side: str = Field(max_length=20)  # consumer | staff
    filename: str = Field(max_length=200)  # sanitised (policy.safe_filename)
    media_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)  # of the stored bytes
    data: bytes = Field(sa_type=sa.LargeBinary)
    description: str = Field(default="", max_length=500)
    shared_with_court: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
