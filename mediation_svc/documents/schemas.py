"""Request and response bodies of the documents API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class DraftCreate(BaseModel):
    template_id: str = Field(default="mediation_agreement", max_length=80)
    language: str = Field(default="zh-CN", max_length=10)
    # The template's inputs; what the case already knows (number, centre, parties, mediator, date) is
    # filled in when not given.
    inputs: dict[str, Any] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=500)


class DraftSave(BaseModel):
    inputs: dict[str, Any]
    note: str | None = Field(default=None, max_length=500)
    base_version: int | None = Field(default=None, ge=1, description="the version this edit started from")


class FinaliseIn(BaseModel):
    version: int = Field(ge=1)


class SupersedeIn(BaseModel):
    reason: str = Field(min_length=2, max_length=1000)
    inputs: dict[str, Any] | None = None  # changed inputs (top-level keys replace the finalised ones)
    note: str | None = Field(default=None, max_length=500)


class DraftVersionRead(BaseModel):
    version: int
    template_version: int
    inputs_hash: str
    note: str | None
    created_at: datetime
    created_by_user_id: int | None
    inputs: dict[str, Any] | None = None


class DraftRead(BaseModel):
    id: int
    case_id: int
    kind: str
    template_id: str
    language: str
    latest_version: int
    document_id: str | None
    created_at: datetime
    updated_at: datetime
    versions: list[DraftVersionRead] = []


class Change(BaseModel):
    path: str
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


class DiffRead(BaseModel):
    from_version: int
    to_version: int
    changes: list[Change]
    unified: str


class DocumentRead(BaseModel):
    id: str
    case_id: int
    kind: str
    title: str
    template_id: str
    template_version: int
    language: str
    inputs_hash: str
    sha256: str
    size: int
    page_count: int
    verification_code: str
    status: str
    supersedes_id: str | None
    draft_id: int | None
    draft_version: int | None
    created_at: datetime
    finalised_by: int | None
    voided_at: datetime | None
    void_reason: str | None
    pdf_url: str


class SupersedeRead(BaseModel):
    voided: DocumentRead
    draft: DraftRead


class TemplateRead(BaseModel):
    template_id: str
    language: str
    version: int
    kind: str
    title: str
    inputs_schema: dict[str, Any] = Field(description="JSON Schema of the inputs the template needs")
