"""Evidence as the API shows it: the consumer's view (what, how big, its SHA-256, when) and the staff's."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class MyEvidence(BaseModel):
    """One item the consumer side gave: the SHA-256 is of the bytes stored (a photo's clean re-encode)."""

    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    description: str
    created_at: datetime


class EvidenceRead(MyEvidence):
    side: str
    uploaded_by: str
    shared_with_court: bool


class ShareIn(BaseModel):
    shared_with_court: bool
