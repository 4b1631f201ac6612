from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..db import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    """One link of the append-only, hash-chained audit log.

    ``hash`` is SHA-256 over the RFC 8785 canonical JSON of every other field, including ``prev_hash``,
    so editing, removing or reordering any entry breaks the chain from that entry on.
    """

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=80, index=True)
    subject: str = Field(max_length=120, index=True)
    case_id: int | None = Field(default=None, index=True)
    payload: str  # canonical JSON text, hashed as stored
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """The single row holding the chain's tip; updating it serialises writers across workers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
