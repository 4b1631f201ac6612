"""Drafts, their versions, and finalised documents.

A ``Draft`` is one document being written for a case (normally the mediation agreement, 调解协议书);
every save adds a ``DraftVersion`` with the full inputs, never an edit in place. Finalising a version
renders it once and freezes the result as a ``Document``: PDF bytes, SHA-256, template id and version,
and the hash of the canonical inputs. A ``Document`` is never changed afterwards except for its
``status`` (moved on by signing and judicial confirmation) and, when superseded, being voided.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


class DocumentStatus(StrEnum):
    FINAL = "final"  # frozen, not yet sent for signing
    SIGNING = "signing"  # signatures being collected (set by the signing domain)
    SIGNED = "signed"  # every signature applied (set by the signing domain)
    CONFIRMED = "confirmed"  # judicially confirmed (set by the judicial domain)
    VOIDED = "voided"  # superseded by a newer version; kept, never deleted


class Draft(SQLModel, table=True):
    __tablename__ = "document_drafts"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(max_length=40)
    template_id: str = Field(max_length=80)
    language: str = Field(max_length=10)
    latest_version: int = 0
    # The document made from this draft that is currently in force (None while drafting).
    document_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class DraftVersion(SQLModel, table=True):
    __tablename__ = "document_draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="document_drafts.id", index=True)
    version: int
    template_version: int
    inputs_json: str = Field(sa_type=sa.Text)  # RFC 8785 canonical JSON of the validated inputs
    inputs_hash: str = Field(max_length=64)
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")


class Document(SQLModel, table=True):
    """A finalised document: the exact bytes the parties sign (signed revisions live with signing)."""

    __tablename__ = "documents"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    template_id: str = Field(max_length=80)
    template_version: int
    language: str = Field(max_length=10)
    inputs_json: str = Field(sa_type=sa.Text)
    inputs_hash: str = Field(max_length=64)
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=64, index=True)
    size: int
    page_count: int
    verification_code: str = Field(max_length=32, unique=True)
    status: DocumentStatus = Field(default=DocumentStatus.FINAL, sa_type=sa.String(20), index=True)
    supersedes_id: str | None = Field(default=None, foreign_key="documents.id", max_length=36)
    draft_id: int | None = Field(default=None, foreign_key="document_drafts.id", index=True)
    draft_version: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    finalised_by: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=1000)


# Columns that make up what was signed: once a Document row exists they can never change. Enforced here
# (any ORM flush that tries raises) and by the database (triggers of migration 0054_baseline_documents_signing,
# which lists the same columns), in addition to the service never doing it.
FROZEN_COLUMNS = ("case_id", "kind", "title", "template_id", "template_version", "language", "inputs_json",
                  "inputs_hash", "pdf", "sha256", "size", "page_count", "verification_code", "supersedes_id",
                  "created_at", "finalised_by")


@sa.event.listens_for(Document, "before_update")
def _refuse_changes_to_frozen_columns(_mapper, _connection, target: Document) -> None:
    state = sa.inspect(target)
    changed = [name for name in FROZEN_COLUMNS if state.attrs[name].history.has_changes()]
    if changed:
        raise ValueError(f"document {target.id} is final; refused to change {', '.join(changed)}")


@sa.event.listens_for(Document, "before_delete")
def _refuse_deleting_documents(_mapper, _connection, target: Document) -> None:
    # A superseded document is voided and kept; migration 0009 makes the database refuse DELETE too.
    raise ValueError(f"document {target.id} is final and is never deleted (supersede it instead)")
