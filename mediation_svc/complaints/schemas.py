from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..cases.identity import normalise_resident_id
from ..cases.schemas import AmountCNY, Channel
from ..phones import OptionalMobilePhone
from ..security.roles import Role
from .policy import Outcome, Status


class ContactIn(BaseModel):
    """A contact from any channel: ``consultation`` (topic and the answer given) or ``complaint``."""

    kind: str = Field(pattern="^(consultation|complaint)$")
    channel: Channel
    received_at: datetime | None = None
    consumer_name: str = Field(min_length=1, max_length=200)
    consumer_phone: OptionalMobilePhone = None
    consumer_id_number: str | None = Field(default=None, max_length=40)
    representative_name: str | None = Field(default=None, max_length=80)
    contact_phone: OptionalMobilePhone = None
    contact_address: str | None = Field(default=None, max_length=300)
    refund_account: str | None = Field(default=None, max_length=40, pattern=r"^[0-9 ]{8,40}$")
    topic: str | None = Field(default=None, max_length=200)
    answer: str | None = Field(default=None, max_length=5000)
    institution_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    institution_branch: str | None = Field(default=None, max_length=200)
    category_code: str | None = Field(default=None, max_length=40)
    facts: str | None = Field(default=None, max_length=20000)
    request: str | None = Field(default=None, max_length=5000)
    amount: AmountCNY | None = None
    urgent: bool = False
    urgent_reason: str | None = Field(default=None, max_length=500)
    wants_mediation: bool = False
    preferred_language: str | None = Field(default=None, max_length=40)
    needs_elderly_support: bool = False
    needs_interpreter: bool = False

    @field_validator("consumer_id_number")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        return normalise_resident_id(value) if value else None

    @model_validator(mode="after")
    def _complete(self) -> "ContactIn":
        if self.kind == "consultation":
            if not (self.topic and self.answer):
                raise ValueError("咨询须填写咨询事项和答复内容 (a consultation records its topic and the answer given)")
        else:
            missing = [n for n in ("institution_id", "facts", "request", "consumer_phone") if not getattr(self, n)]
            if missing:
                raise ValueError("投诉还需填写：" + "、".join(missing) + " (a complaint needs " + ", ".join(missing) + ")")
            if self.urgent and not self.urgent_reason:
                raise ValueError("请填写紧急原因 (say why the complaint is urgent)")
        return self


class ForwardIn(BaseModel):
    note: str | None = Field(default=None, max_length=1000)


class ExtensionIn(BaseModel):
    kind: str = Field(pattern="^(complex|approved)$")
    days: int | None = Field(default=None, ge=1, le=60)
    reason: str = Field(min_length=2, max_length=1000)
    approved_by: str | None = Field(default=None, max_length=120)


class ReplyIn(BaseModel):
    outcome: Outcome
    settled_amount: AmountCNY | None = None
    text: str = Field(min_length=2, max_length=5000)  # what was agreed, or the reason for rejecting

    @model_validator(mode="after")
    def _amount(self) -> "ReplyIn":
        if self.outcome == Outcome.SETTLED and self.settled_amount is None:
            raise ValueError("和解须填写金额，无金额填 0 (a settlement states its amount)")
        return self


class ReasonIn(BaseModel):
    reason: str = Field(min_length=2, max_length=1000)


class MessageIn(BaseModel):
    body: str = Field(min_length=1, max_length=4000)


class ConvertIn(BaseModel):
    consent: str = Field(min_length=2, max_length=500)  # how the consumer consented (电话确认 ...)
    consumer_id_number: str | None = Field(default=None, max_length=40)
    category_code: str | None = Field(default=None, max_length=40)


class ConsumerAnswerIn(BaseModel):
    accept: bool
    comment: str | None = Field(default=None, max_length=1000)


class InstitutionAccountIn(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=10, max_length=200)
    phone: OptionalMobilePhone = None
    email: str | None = Field(default=None, max_length=200)
    institution_id: int = Field(ge=1, le=2**31 - 1)
    branch: str | None = Field(default=None, max_length=200)


class ContactRead(BaseModel):
    id: int
    number: str
    kind: str
    channel: str
    status: Status
    received_at: datetime
    consumer_name: str
    consumer_phone_masked: str | None
    representative_name: str | None
    topic: str | None
    answer: str | None
    institution_id: int | None
    institution_name: str | None
    institution_branch: str | None
    category_code: str | None
    facts: str | None
    request: str | None
    amount: Decimal | None
    urgent: bool
    urgent_reason: str | None
    urgent_due_at: datetime | None
    urgent_minutes_left: int | None
    forwarded_on: date | None
    limit_days: int | None
    deadline_on: date | None
    deadline_state: str
    deadline_provisional: bool
    deadline_warning: str | None
    answered_at: datetime | None
    outcome: str | None
    settled_amount: Decimal | None
    outcome_text: str | None
    consumer_accepted: bool | None
    consumer_comment: str | None
    closed_at: datetime | None
    status_reason: str | None
    case_id: int | None
    risk_flags: list[str]
    filed_by_consumer: bool
    wants_mediation: bool
    preferred_language: str | None
    needs_elderly_support: bool
    needs_interpreter: bool
    allowed: list[str]


class MessageRead(BaseModel):
    id: int
    side: str
    author: str
    body: str
    created_at: datetime


class AttachmentRead(BaseModel):
    id: int
    side: str
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime


class ExtensionRead(BaseModel):
    id: int
    kind: str
    days: int
    reason: str
    approved_by: str | None
    deadline_before: date
    deadline_after: date
    created_at: datetime


class ConversionRead(BaseModel):
    """A complaint converted into a mediation case."""

    complaint_id: int
    case_id: int
    case_number: str


class ConsumerAnswerRead(BaseModel):
    """The consumer's answer recorded: the complaint's number and where it stands now."""

    number: str
    status: Status


class InstitutionAccountRead(BaseModel):
    user_id: int
    username: str
    role: Role
    institution_id: int
    branch: str | None


class PeriodTotals(BaseModel):
    contacts: int
    consultations: int
    complaints: int
    mediation_applications: int
    forwarded: int
    answered: int
    feedback_rate: float
    average_days: float
    settled_amount: Decimal
    overdue: int
    steered_into_mediation: int


class InstitutionFigures(BaseModel):
    institution_id: int
    name: str
    complaints: int
    forwarded: int
    answered: int
    feedback_rate: float
    average_days: float
    overdue: int
    settled_count: int
    settled_amount: Decimal


class ComplaintStatistics(BaseModel):
    """Complaint figures for a period: totals, per channel (kind -> count), per institution, the distribution,
    what the steered complaints came to and the surrender-risk signals per month."""

    start: date
    end: date
    totals: PeriodTotals
    by_channel: dict[str, dict[str, int]]
    institutions: list[InstitutionFigures]
    distribution: dict[str, int]
    steered_outcomes: dict[str, int]
    risk_by_month: dict[str, dict[str, int]]
