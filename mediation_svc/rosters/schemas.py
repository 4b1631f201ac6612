"""Request and response bodies for rosters, assignment, recusal and expert invitations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..cases.identity import normalise_credit_code
from .models import Background, ExpertAvailability, ExpertField, MediatorStatus

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]+$"


def clean_list(values: list[str]) -> list[str]:
    """Strip entries, drop blanks and duplicates, keep the given order."""
    seen: dict[str, None] = {}
    for v in values:
        v = v.strip()
        if v:
            seen.setdefault(v, None)
    return list(seen)


class CertificationIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    number: str | None = Field(default=None, max_length=80)
    issuer: str | None = Field(default=None, max_length=120)
    issued_on: date | None = None
    expires_on: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> "CertificationIn":
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            raise ValueError("expires_on is before issued_on")
        return self


class AffiliationIn(BaseModel):
    """A declared tie: the institution by id (an existing respondent) or by credit code and name."""

    institution_id: int | None = None
    credit_code: str | None = None
    institution_name: str | None = Field(default=None, max_length=200)
    relation: str = Field(min_length=1, max_length=40)  # 任职, 持股, 顾问, 近亲属任职...
    started_on: date | None = None
    ended_on: date | None = None

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str | None) -> str | None:
        return normalise_credit_code(value) if value else None

    @model_validator(mode="after")
    def _identified(self) -> "AffiliationIn":
        if self.institution_id is None and not (self.credit_code and self.institution_name):
            raise ValueError("give institution_id, or credit_code and institution_name")
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class AffiliationRead(BaseModel):
    id: int
    institution_id: int | None
    credit_code: str | None
    institution_name: str
    relation: str
    started_on: date | None
    ended_on: date | None


class CertificationRead(CertificationIn):
    id: int


class AccountRef(BaseModel):
    """The roster entry's login: an existing account by id, or a username (created without a password if new)."""

    user_id: int | None = None
    username: str | None = Field(default=None, min_length=3, max_length=80, pattern=USERNAME_PATTERN)

    @model_validator(mode="after")
    def _account(self) -> "AccountRef":
        if self.user_id is None and self.username is None:
            raise ValueError("give user_id or username")
        return self


class MediatorIn(AccountRef):
    name: str = Field(min_length=1, max_length=80)
    background: Background
    years_of_practice: int = Field(default=0, ge=0, le=70)
    specialties: list[str] = Field(default_factory=list, max_length=50)
    languages: list[str] = Field(min_length=1, max_length=20)
    cities: list[str] = Field(default_factory=list, max_length=50)
    remote_capable: bool = False
    max_active_cases: int = Field(default=10, ge=1, le=200)
    status: MediatorStatus = MediatorStatus.ACTIVE
    status_reason: str | None = Field(default=None, max_length=500)
    certifications: list[CertificationIn] = Field(default_factory=list, max_length=30)
    affiliations: list[AffiliationIn] = Field(default_factory=list, max_length=50)
    pool_ids: list[int] | None = None  # None: leave memberships as they are

    @field_validator("specialties", "languages", "cities")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return clean_list(value)

    @model_validator(mode="after")
    def _has_language(self) -> "MediatorIn":
        if not self.languages:
            raise ValueError("at least one language is required")
        return self


class MediatorRead(BaseModel):
    id: int
    user_id: int
    username: str
    name: str
    background: str
    years_of_practice: int
    specialties: list[str]
    languages: list[str]
    cities: list[str]
    remote_capable: bool
    max_active_cases: int
    status: str
    status_reason: str | None
    active_cases: int
    last_assigned_at: datetime | None
    assignments_total: int
    certification_valid_until: date | None
    certifications: list[CertificationRead]
    affiliations: list[AffiliationRead]
    pool_ids: list[int]


class PoolIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=1000)
    active: bool = True
    categories: list[str] = Field(default_factory=list, max_length=50)
    mediator_ids: list[int] = Field(default_factory=list, max_length=20000)


class PoolRead(BaseModel):
    id: int
    name: str
    description: str | None
    active: bool
    categories: list[str]
    mediator_ids: list[int]


class ExpertIn(AccountRef):
    name: str = Field(min_length=1, max_length=80)
    field: ExpertField
    title: str | None = Field(default=None, max_length=120)
    organisation: str | None = Field(default=None, max_length=200)
    qualifications: list[str] = Field(default_factory=list, max_length=30)
    cities: list[str] = Field(default_factory=list, max_length=50)
    availability: ExpertAvailability = ExpertAvailability.AVAILABLE
    availability_note: str | None = Field(default=None, max_length=500)
    active: bool = True
    affiliations: list[AffiliationIn] = Field(default_factory=list, max_length=50)

    @field_validator("qualifications", "cities")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        return clean_list(value)


class ExpertRead(BaseModel):
    id: int
    user_id: int
    username: str
    name: str
    field: str
    title: str | None
    organisation: str | None
    qualifications: list[str]
    cities: list[str]
    availability: str
    availability_note: str | None
    active: bool
    affiliations: list[AffiliationRead]


class AssignmentIn(BaseModel):
    mode: Literal["manual", "auto"]
    mediator_id: int | None = None
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _manual_needs_choice(self) -> "AssignmentIn":
        if self.mode == "manual":
            if self.mediator_id is None:
                raise ValueError("a manual assignment names the mediator (mediator_id)")
            if not (self.reason and self.reason.strip()):
                raise ValueError("a manual assignment needs a reason")
        return self


class AssignmentRead(BaseModel):
    id: int
    case_id: int
    mediator_id: int
    mediator_name: str
    mediator_user_id: int
    assigned_at: datetime
    mode: str
    reason: str | None
    score: float | None
    explanation: list | None
    ended_at: datetime | None
    end_reason: str | None


class RecusalIn(BaseModel):
    reason: str = Field(min_length=2, max_length=2000)


class RecusalDecisionIn(BaseModel):
    decision: Literal["granted", "rejected"]
    reason: str = Field(min_length=2, max_length=2000)
    # After a granted recusal: the top candidate (auto), a named mediator (manual), or nobody yet (none).
    reassign: Literal["auto", "manual", "none"] = "auto"
    mediator_id: int | None = None

    @model_validator(mode="after")
    def _manual(self) -> "RecusalDecisionIn":
        if self.decision == "granted" and self.reassign == "manual" and self.mediator_id is None:
            raise ValueError("reassign=manual needs mediator_id")
        return self


class RecusalRead(BaseModel):
    id: int
    case_id: int
    mediator_id: int
    requested_by_user_id: int
    requested_at: datetime
    reason: str
    status: str
    decided_by_user_id: int | None
    decided_at: datetime | None
    decision_reason: str | None
    replacement_mediator_id: int | None


class InvitationIn(BaseModel):
    expert_id: int
    purpose: Literal["neutral_evaluation", "consultation"]
    question: str = Field(min_length=2, max_length=4000)


class InvitationResponseIn(BaseModel):
    accept: bool
    note: str | None = Field(default=None, max_length=1000)


class OpinionIn(BaseModel):
    opinion: str = Field(min_length=10, max_length=50000)


class InvitationRead(BaseModel):
    id: int
    case_id: int
    expert_id: int
    expert_user_id: int
    purpose: str
    question: str
    status: str
    invited_at: datetime
    responded_at: datetime | None
    response_note: str | None
    opinion: str | None
    opinion_submitted_at: datetime | None


# --- CSV import, the explained shortlist, fairness ------------------------------------------------------

class ImportRead(BaseModel):
    """A roster CSV imported: entries created and updated (an invalid row imports nothing, a 422)."""

    created: int
    updated: int


class AvailabilityWindow(BaseModel):
    source: str  # scheduling | workdays_only
    window_start: datetime
    window_end: datetime
    working_days: list[date]


class RankingPolicyRead(BaseModel):
    weights: dict[str, float]  # criterion -> weight (the weights sum to 100)
    tie_break: str


class CriterionRead(BaseModel):
    criterion: str
    weight: float
    score: float  # 0..1
    points: float  # score x weight
    explanation: str
    explanation_en: str


class CandidateRead(BaseModel):
    rank: int
    mediator_id: int
    user_id: int
    name: str
    score: float  # points out of 100
    last_assigned_at: datetime | None
    active_cases: int
    max_active_cases: int
    criteria: list[CriterionRead]


class ExclusionRead(BaseModel):
    code: str
    message: str
    message_en: str


class ExcludedRead(BaseModel):
    mediator_id: int
    name: str
    reasons: list[ExclusionRead]


class CandidatesRead(BaseModel):
    """The case's mediators ranked, each criterion explained; the excluded ones with their reasons."""

    case_id: int
    category_code: str
    language: str
    city: str | None
    respondent: str | None
    availability: AvailabilityWindow
    policy: RankingPolicyRead
    total_candidates: int
    excluded_count: int
    candidates: list[CandidateRead]
    excluded: list[ExcludedRead]


class FairnessPeriod(BaseModel):
    start: date
    end: date
    timezone: str


class MediatorCount(BaseModel):
    mediator_id: int
    name: str
    assignments: int


class FairnessGroup(BaseModel):
    group: str  # a pool's id, or "all"
    pool_id: int | None
    name: str
    members: int
    assignments: int
    mean: float
    most_assigned: MediatorCount | None
    least_assigned: MediatorCount | None
    spread: int


class MediatorFairness(BaseModel):
    mediator_id: int
    name: str
    status: str
    assignments: int
    recusals_granted: int
    active_cases: int
    max_active_cases: int


class FairnessRead(BaseModel):
    """Assignments in the period per mediator, and per pool the most and least assigned and the spread."""

    period: FairnessPeriod
    total_assignments: int
    groups: list[FairnessGroup]
    mediators: list[MediatorFairness]
