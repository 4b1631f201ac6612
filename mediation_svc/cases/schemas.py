from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator

from ..amounts import lenient_amount

from ..phones import MobilePhone
from .deadlines import COURT_SHARE_DAYS, COURT_SHARE_MAX_DAYS
from .models import Case
from .identity import ID_TYPES, normalise_credit_code, normalise_resident_id
from .states import CaseStatus


class Channel(StrEnum):
    HOTLINE = "hotline"
    WEB = "web"
    WECHAT = "wechat"  # WeChat mini-program
    LETTER = "letter"
    VISIT = "visit"


# Typed as people type them (86,500 / 8.65万 / 86500元): amounts.parse_amount, the same everywhere.
AmountCNY = Annotated[Decimal, BeforeValidator(lenient_amount),
                      Field(ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)]


class ConsumerIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    id_type: str = Field(default="resident_id")
    id_number: str = Field(min_length=4, max_length=40)
    phone: MobilePhone
    address: str | None = Field(default=None, max_length=300)

    @field_validator("id_type")
    @classmethod
    def _known_id_type(cls, value: str) -> str:
        if value not in ID_TYPES:
            raise ValueError(f"id_type must be one of {', '.join(ID_TYPES)}")
        return value

    @model_validator(mode="after")
    def _check_id(self) -> "ConsumerIn":
        if self.id_type == "resident_id":
            self.id_number = normalise_resident_id(self.id_number)
        return self


class InstitutionIn(BaseModel):
    """The respondent: an existing institution by id, or a new one by its details."""

    institution_id: int | None = None
    name: str | None = Field(default=None, max_length=200)
    kind: str = Field(default="bank", pattern="^(bank|insurer|other)$")
    credit_code: str | None = None
    address: str | None = Field(default=None, max_length=300)
    legal_representative: str | None = Field(default=None, max_length=80)
    branch: str | None = Field(default=None, max_length=200)

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str | None) -> str | None:
        return None if value is None else normalise_credit_code(value)

    @model_validator(mode="after")
    def _identified(self) -> "InstitutionIn":
        if self.institution_id is None and not (self.name and self.credit_code):
            raise ValueError("give institution_id, or name and credit_code")
        return self


def kept(column: str) -> int:
    """How many characters the cases table keeps in ``column`` (``models.Case``): the one home of the intake's
    length limits, so the API refuses (422) what the database could not store rather than failing on it."""
    length = getattr(Case.__table__.c[column].type, "length", None)  # type: ignore[attr-defined]
    if not isinstance(length, int):
        raise RuntimeError(f"cases.{column} has no length")
    return length


class CaseIntake(BaseModel):
    channel: Channel
    category_code: str = Field(min_length=1, max_length=kept("category_code"))
    applicant: ConsumerIn
    respondent: InstitutionIn
    claim_amount: AmountCNY | None = None
    facts: str = Field(min_length=1, max_length=kept("facts"))
    requests: str | None = Field(default=None, max_length=kept("requests"))
    preferred_language: str = Field(default="普通话", max_length=kept("preferred_language"))
    city: str | None = Field(default=None, max_length=kept("city"))
    needs_elderly_support: bool = False
    needs_interpreter: bool = False
    needs_note: str | None = Field(default=None, max_length=kept("needs_note"))
    received_on: date | None = None


class TransitionIn(BaseModel):
    status: CaseStatus
    reason: str | None = Field(default=None, max_length=1000)


class PartyRead(BaseModel):
    id: int
    role: str
    kind: str
    name: str
    id_type: str | None = None
    id_number_masked: str | None = None
    credit_code: str | None = None
    phone: str | None = None
    address: str | None = None
    representative_name: str | None = None


class CaseRead(BaseModel):
    id: int
    number: str
    channel: str
    category_code: str
    status: CaseStatus
    status_reason: str | None
    institution_id: int
    institution_branch: str | None
    claim_amount: Decimal | None
    settled_amount: Decimal | None
    facts: str
    requests: str | None
    preferred_language: str
    city: str | None
    needs_elderly_support: bool
    needs_interpreter: bool
    fast_track: bool
    received_on: date
    due_on: date
    overdue: bool
    working_days_left: int
    # The due date falls in a year whose holiday arrangement is not yet published (computed by rule).
    due_on_provisional: bool = False
    due_warning: str | None = None
    mediator_user_id: int | None
    officer_user_id: int | None
    created_at: datetime
    parties: list[PartyRead] = []


class ShareIn(BaseModel):
    """Share a case with a court account for ``days`` days (``deadlines.COURT_SHARE_DAYS``)."""

    court_user_id: int
    days: int = Field(default=COURT_SHARE_DAYS, ge=1, le=COURT_SHARE_MAX_DAYS)


class ShareRead(BaseModel):
    """A case shared with a court account until ``expires_at`` (UTC)."""

    id: int
    case_id: int
    court_user_id: int
    expires_at: datetime


class AuditSummaryRead(BaseModel):
    """An entry of the case's audit trail as a party sees it: that the case moved, not the detail."""

    seq: int
    at: datetime
    action: str


class AuditEntryRead(BaseModel):
    """An entry of the case's audit trail as staff see it: who, on what, the payload and the entry's hash."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    payload: str
    hash: str


class CategoryIn(BaseModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=80)
    active: bool = True
