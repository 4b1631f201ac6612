from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ..db import Money, UTCDateTime, utcnow
from .states import CaseStatus


class Institution(SQLModel, table=True):
    """A bank or insurer that complaints are made against."""

    __tablename__ = "institutions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    kind: str = Field(max_length=20)  # bank | insurer | other
    credit_code: str = Field(max_length=18, unique=True)  # 统一社会信用代码
    address: str | None = Field(default=None, max_length=300)
    legal_representative: str | None = Field(default=None, max_length=80)
    legal_representative_title: str | None = Field(default=None, max_length=80)
    phone: str | None = Field(default=None, max_length=32)


class CaseCategory(SQLModel, table=True):
    __tablename__ = "case_categories"

    code: str = Field(primary_key=True, max_length=40)
    name_zh: str = Field(max_length=80)
    name_en: str = Field(max_length=80)
    active: bool = True


class CaseNumberCounter(SQLModel, table=True):
    """The last number handed out per prefix and year; incremented inside the creating transaction,
    so a rolled-back intake gives its number back and the sequence has no gaps."""

    __tablename__ = "case_number_counters"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=40)
    year: int
    last_value: int = 0


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=60, unique=True, index=True)
    channel: str = Field(max_length=20)  # hotline | web | wechat | letter | visit
    category_code: str = Field(foreign_key="case_categories.code", max_length=40, index=True)
    status: CaseStatus = Field(default=CaseStatus.RECEIVED, sa_type=sa.String(30), index=True)
    status_reason: str | None = Field(default=None, max_length=1000)
    institution_id: int = Field(foreign_key="institutions.id", index=True)
    institution_branch: str | None = Field(default=None, max_length=200)
    claim_amount: Decimal | None = Field(default=None, sa_type=Money)
    settled_amount: Decimal | None = Field(default=None, sa_type=Money)
    facts: str = Field(max_length=20000)
    requests: str | None = Field(default=None, max_length=5000)
    preferred_language: str = Field(default="普通话", max_length=40)
    city: str | None = Field(default=None, max_length=80)
    needs_elderly_support: bool = False
    needs_interpreter: bool = False
    needs_note: str | None = Field(default=None, max_length=1000)
    fast_track: bool = False
    received_on: date
    due_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    officer_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    mediator_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)


class CaseParty(SQLModel, table=True):
    """A party to a case: the consumer, or the institution (through its representative)."""

    __tablename__ = "case_parties"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    role: str = Field(max_length=20)  # applicant | respondent
    kind: str = Field(max_length=20)  # person | institution
    name: str = Field(max_length=200)
    id_type: str | None = Field(default=None, max_length=30)  # resident_id | passport | hk_macau_permit | ...
    id_number: str | None = Field(default=None, max_length=40)
    credit_code: str | None = Field(default=None, max_length=18)
    phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=300)
    representative_name: str | None = Field(default=None, max_length=80)
    representative_title: str | None = Field(default=None, max_length=80)
    institution_id: int | None = Field(default=None, foreign_key="institutions.id")
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)


class CaseShare(SQLModel, table=True):
    """A court's scoped, expiring access to one case."""

    __tablename__ = "case_shares"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    court_user_id: int = Field(foreign_key="users.id", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CalendarOverride(SQLModel, table=True):
    """A centre-wide exception to the official calendar (a closure, a newly published arrangement)."""

    __tablename__ = "calendar_overrides"

    day: date = Field(primary_key=True)
    is_workday: bool
    note: str | None = Field(default=None, max_length=200)


class CaseMessage(SQLModel, table=True):
    """The thread between a consumer (a proved phone) and the center (officers, the case's mediator) on one case.
    Part of the case's record: never edited or deleted; each message's SHA-256 is in the case's audit chain."""

    __tablename__ = "case_messages"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    side: str = Field(max_length=10)  # consumer | center
    author: str = Field(max_length=120)  # the audit log's name of who wrote it
    user_id: int | None = Field(default=None, foreign_key="users.id")
    phone: str | None = Field(default=None, max_length=32)  # the consumer's proved phone, for the reply's SMS
    body: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
