"""What the consumer's API takes and answers: typed, with the status in words as well as the code."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from ..phones import MobilePhone


class CodeRequest(BaseModel):
    phone: MobilePhone


class CodeSent(BaseModel):
    phone_masked: str
    expires_at: datetime
    resend_after_seconds: int


class ProofRequest(BaseModel):
    phone: MobilePhone
    code: str = Field(min_length=1, max_length=12)


class ProofIssued(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class SessionFacts(BaseModel):
    starts_at: datetime
    ends_at: datetime
    mode: str
    mode_text: str
    status: str
    status_text: str
    meeting_url: str | None = None


class DocumentFacts(BaseModel):
    id: str
    kind: str
    title: str
    status: str
    status_text: str


class CaseSummary(BaseModel):
    number: str
    status: str
    status_text: str
    received_on: date
    due_on: date
    open: bool
    working_days_left: int | None = None
    next_step: str


class CaseDetail(CaseSummary):
    mediator_name: str | None = None
    sessions: list[SessionFacts]
    documents: list[DocumentFacts]


class ComplaintSummary(BaseModel):
    number: str
    status: str
    status_text: str
    received_at: datetime
    institution_id: int | None = None
    deadline_on: date | None = None
    reason: str | None = None  # the question to answer (needs_info) or why it was declined (closed)


class MyMatters(BaseModel):
    phone_masked: str
    cases: list[CaseSummary]
    complaints: list[ComplaintSummary]


class Choice(BaseModel):
    id: str
    name: str


class ApplicationForm(BaseModel):
    """What the application form offers: the institutions, the categories and the notice to accept."""

    institutions: list[Choice]
    categories: list[Choice]
    consent_version: str
    consent_text: str


class ApplicationFiled(BaseModel):
    number: str
    status: str
    status_text: str
    wants_mediation: bool


class SupplementIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class IdCheck(BaseModel):
    id_last4: str = Field(min_length=4, max_length=4)
