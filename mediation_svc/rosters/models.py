"""Rosters: mediators (调解员), pools, experts (专家) for neutral evaluation (中立评估), their assignment
history, recusal requests (回避申请) and expert invitations.

``Mediator`` carries two aggregates that ranking reads instead of the assignment history:
``active_cases`` (open cases on the mediator, recomputed from ``cases`` whenever the mediator is locked for
an assignment) and ``last_assigned_at`` (rotation fairness). The history in ``mediator_assignments`` is only
read by the fairness report, through its (assigned_at) index.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


# A list of strings: jsonb on PostgreSQL (0052_baseline_rosters_sessions; ranking tests membership with @>), JSON text on SQLite.
JSONList = sa.JSON().with_variant(JSONB(), "postgresql")


class MediatorStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class Background(StrEnum):
    LAW = "law"
    FINANCE = "finance"
    INSURANCE = "insurance"
    MEDICINE = "medicine"
    OTHER = "other"


class ExpertField(StrEnum):
    ACTUARIAL = "actuarial"
    MEDICAL = "medical"
    LEGAL = "legal"
    ACCOUNTING = "accounting"
    FINANCIAL_PRODUCTS = "financial_products"


class ExpertAvailability(StrEnum):
    AVAILABLE = "available"
    LIMITED = "limited"
    UNAVAILABLE = "unavailable"


class Mediator(SQLModel, table=True):
    """A roster entry for a mediator; ``user_id`` is their login account (role mediator)."""

    __tablename__ = "mediators"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    name: str = Field(max_length=80)
    background: str = Field(max_length=20)
    years_of_practice: int = 0
    specialties: list[str] = Field(default_factory=list, sa_type=JSONList)  # case category codes
    languages: list[str] = Field(default_factory=list, sa_type=JSONList)  # 普通话, 粤语, 客家话, English...
    cities: list[str] = Field(default_factory=list, sa_type=JSONList)
    remote_capable: bool = False
    max_active_cases: int = 10
    status: str = Field(default=MediatorStatus.ACTIVE, max_length=20, index=True)
    status_reason: str | None = Field(default=None, max_length=500)
    # Aggregates kept by the assignment service (see the module docstring).
    active_cases: int = 0
    last_assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    assignments_total: int = 0
    # The earliest date on which one of the mediator's certificates (latest of each kind) lapses;
    # recomputed whenever certifications change. None: no certificate expires.
    certification_valid_until: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class MediatorCertification(SQLModel, table=True):
    __tablename__ = "mediator_certifications"

    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="mediators.id", index=True)
    name: str = Field(max_length=120)  # e.g. 人民调解员资格证书, 法律职业资格证书
    number: str | None = Field(default=None, max_length=80)
    issuer: str | None = Field(default=None, max_length=120)
    issued_on: date | None = None
    expires_on: date | None = None  # None: does not expire


class MediatorAffiliation(SQLModel, table=True):
    """A declared tie with an institution (employment, shareholding, advisory, family...), for conflicts."""

    __tablename__ = "mediator_affiliations"

    id: int | None = Field(default=None, primary_key=True)
    mediator_id: int = Field(foreign_key="mediators.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="institutions.id", index=True)
    credit_code: str | None = Field(default=None, max_length=18, index=True)
    institution_name: str = Field(max_length=200)
    relation: str = Field(max_length=40)
    started_on: date | None = None
    ended_on: date | None = None  # None: ongoing


class Pool(SQLModel, table=True):
    __tablename__ = "mediator_pools"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    description: str | None = Field(default=None, max_length=1000)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PoolCategory(SQLModel, table=True):
    __tablename__ = "mediator_pool_categories"
    __table_args__ = (Index("ix_mediator_pool_categories_category", "category_code", "pool_id"),)

    pool_id: int = Field(foreign_key="mediator_pools.id", primary_key=True)
    category_code: str = Field(foreign_key="case_categories.code", primary_key=True, max_length=40)


class PoolMember(SQLModel, table=True):
    __tablename__ = "mediator_pool_members"
    __table_args__ = (Index("ix_mediator_pool_members_mediator", "mediator_id", "pool_id"),)

    pool_id: int = Field(foreign_key="mediator_pools.id", primary_key=True)
    mediator_id: int = Field(foreign_key="mediators.id", primary_key=True)


class MediatorAssignment(SQLModel, table=True):
    """One mediator on one case, from assignment until reassignment or recusal."""

    __tablename__ = "mediator_assignments"
    __table_args__ = (Index("ix_mediator_assignments_mediator_at", "mediator_id", "assigned_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    mediator_id: int = Field(foreign_key="mediators.id")
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    mode: str = Field(max_length=20)  # manual | auto
    reason: str | None = Field(default=None, max_length=1000)
    assigned_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    score: float | None = None
    explanation: list | None = Field(default=None, sa_type=sa.JSON)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: str | None = Field(default=None, max_length=20)  # reassigned | recused


class RecusalStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REJECTED = "rejected"


class RecusalRequest(SQLModel, table=True):
    """回避申请: a request that the case's mediator step aside, and the decision on it."""

    __tablename__ = "recusal_requests"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    mediator_id: int = Field(foreign_key="mediators.id", index=True)
    requested_by_user_id: int = Field(foreign_key="users.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    reason: str = Field(max_length=2000)
    status: str = Field(default=RecusalStatus.PENDING, max_length=20)
    decided_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, max_length=2000)
    replacement_mediator_id: int | None = Field(default=None, foreign_key="mediators.id")


class Expert(SQLModel, table=True):
    """An expert for neutral evaluation (中立评估) or consultation; ``user_id`` is their login (role expert)."""

    __tablename__ = "experts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    name: str = Field(max_length=80)
    field: str = Field(max_length=30, index=True)
    title: str | None = Field(default=None, max_length=120)  # 教授, 主任医师, 精算师...
    organisation: str | None = Field(default=None, max_length=200)
    qualifications: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    cities: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    availability: str = Field(default=ExpertAvailability.AVAILABLE, max_length=20)
    availability_note: str | None = Field(default=None, max_length=500)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ExpertAffiliation(SQLModel, table=True):
    __tablename__ = "expert_affiliations"

    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="experts.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="institutions.id", index=True)
    credit_code: str | None = Field(default=None, max_length=18, index=True)
    institution_name: str = Field(max_length=200)
    relation: str = Field(max_length=40)
    started_on: date | None = None
    ended_on: date | None = None


class InvitationStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    OPINION_SUBMITTED = "opinion_submitted"


class ExpertInvitation(SQLModel, table=True):
    """An expert invited to a case; their acceptance and written opinion (专家意见) are kept here.
    ``cases.service.expert_visibility_clause`` reads ``case_id`` and ``expert_user_id``."""

    __tablename__ = "expert_invitations"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    expert_id: int = Field(foreign_key="experts.id", index=True)
    expert_user_id: int = Field(foreign_key="users.id", index=True)
    purpose: str = Field(max_length=30)  # neutral_evaluation | consultation
    question: str = Field(max_length=4000)
    status: str = Field(default=InvitationStatus.INVITED, max_length=20)
    invited_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_note: str | None = Field(default=None, max_length=1000)
    opinion: str | None = Field(default=None, max_length=50000)
    opinion_submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
