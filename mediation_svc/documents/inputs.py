"""What each document template needs, as pydantic schemas (one per template family).

Rendering validates the caller's ``dict`` against the template's schema before anything is laid out;
every problem is reported at once as ``errors.InvalidInput`` (422) with ``errors=[{"loc", "msg"}]``.
All models forbid unknown fields, so a misspelt key is an error and not a silently missing clause.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ..amounts import lenient_amount
from ..security.pipl import mask_id_number

from .numerals import MAX_AMOUNT, rmb_capitals, rmb_figures

Text = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(min_length=1, max_length=20000)]
OptText = Annotated[str | None, Field(default=None, max_length=500)]
# An ID number is printed only as pipl.mask_id_number shows it (the first six): what a signer types to prove who
# they are never reaches the PDF, its embedded data or the stored inputs, whatever the caller passed.
MaskedId = Annotated[str | None, Field(default=None, max_length=500), AfterValidator(mask_id_number)]


def _two_places(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("at most two decimal places (fen)")
    return value.quantize(Decimal("0.01"))


# Typed as people type them (86,500 / 8.65万 / 86500元): amounts.parse_amount, the same everywhere.
Amount = Annotated[Decimal, BeforeValidator(lenient_amount), Field(gt=0, le=MAX_AMOUNT), AfterValidator(_two_places)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Agent(Strict):
    """An agent acting for a party under a power of attorney (授权委托书)."""

    name: Text
    id_number: MaskedId = None
    phone: OptText = None
    authority: OptText = None  # e.g. 特别授权


class Party(Strict):
    role: Literal["applicant", "respondent"]
    kind: Literal["person", "institution"]
    name: Text
    id_type: OptText = None
    id_number: MaskedId = None
    credit_code: OptText = None  # 统一社会信用代码
    address: OptText = None  # 住所
    phone: OptText = None
    representative_name: OptText = None  # 法定代表人 / 负责人 / 授权代表
    representative_title: OptText = None
    agent: Agent | None = None

    @model_validator(mode="after")
    def _identity(self) -> "Party":
        if self.kind == "person" and not self.id_number:
            raise ValueError("a person needs an ID number")
        if self.kind == "institution" and not self.credit_code:
            raise ValueError("an institution needs its unified social credit code")
        return self


class Person(Strict):
    name: Text
    title: OptText = None  # e.g. 调解员, 专家 (教授)


class Payment(Strict):
    payer: Text
    payee: Text
    amount: Amount
    due_date: date
    method: Text  # e.g. 银行转账
    account_name: OptText = None
    account_bank: OptText = None
    account_number: OptText = None

    @property
    def capitals(self) -> str:
        return rmb_capitals(self.amount)

    @property
    def figures(self) -> str:
        return rmb_figures(self.amount)


def _one_of_each_side(parties: list[Party]) -> list[Party]:
    roles = {p.role for p in parties}
    if roles != {"applicant", "respondent"}:
        raise ValueError("needs at least one applicant and one respondent")
    return parties


Parties = Annotated[list[Party], Field(min_length=2, max_length=10), AfterValidator(_one_of_each_side)]


class _AgreementTerms(Strict):
    case_number: Text
    center_name: Text
    parties: Parties
    mediators: list[Person] = Field(min_length=1, max_length=5)
    experts: list[Person] = Field(default_factory=list, max_length=5)
    dispute_summary: LongText
    payments: list[Payment] = Field(default_factory=list, max_length=50)
    obligations: list[LongText] = Field(default_factory=list, max_length=50)
    clauses: list[LongText] = Field(default_factory=list, max_length=50)  # free-text terms
    confidentiality: bool = True
    waiver: bool = True
    copies: int = Field(default=3, ge=1, le=10)
    place: OptText = None


OrganisationKind = Literal["people_mediation_committee", "mediation_organisation"]


class AgreementInputs(_AgreementTerms):
    """调解协议书 / mediation agreement, template v1 (People's Mediation Law art. 29): the date is typed in."""

    agreement_date: date


class AgreementInputsV2(_AgreementTerms):
    """调解协议书, template v2: no date to type; it takes effect, and is dated, when the center's seal is applied
    (the seal's mark prints that date). Which law it rests on follows the kind of organisation."""

    organisation_kind: OrganisationKind = "mediation_organisation"


class SessionNoticeInputs(Strict):
    """调解通知书: tells a party when and how a mediation session takes place."""

    case_number: Text
    center_name: Text
    recipient: Text
    parties: Parties
    starts_at: datetime  # local time in Asia/Shanghai (naive) or aware
    ends_at: datetime | None = None
    mode: Literal["onsite", "online", "phone"]
    venue: OptText = None  # address and room, for onsite
    meeting_link: OptText = None  # for online
    mediators: list[Person] = Field(min_length=1, max_length=5)
    bring: list[Text] = Field(default_factory=list, max_length=20)  # materials to bring
    contact_phone: OptText = None
    issued_on: date

    @model_validator(mode="after")
    def _where(self) -> "SessionNoticeInputs":
        if self.mode == "onsite" and not self.venue:
            raise ValueError("an on-site session needs a venue")
        if self.mode == "online" and not self.meeting_link:
            raise ValueError("an online session needs a meeting link")
        return self


class Attendee(Strict):
    """One person at a session, as the record lists them: who, in what capacity, and how they attended."""

    name: Text
    capacity: Text  # 申请人 / 被申请人委托代理人 / 调解员 / 专家 / 翻译 ...
    attendance: Literal["present", "remote", "absent"]


class SessionRecordInputs(Strict):
    """调解笔录: what happened at one session (who attended, the minutes, the outcome), as the mediator confirmed it;
    read and signed by the parties and the mediator, sealed by the center (one signing flow)."""

    case_number: Text
    center_name: Text
    organisation_kind: OrganisationKind = "mediation_organisation"
    parties: Parties
    session_number: int = Field(ge=1, le=999)  # the case's first, second ... session
    starts_at: datetime
    ends_at: datetime
    mode: Literal["onsite", "online", "hybrid"]
    venue: OptText = None
    mediators: list[Person] = Field(min_length=1, max_length=5)
    recorder: Text  # 记录人: who wrote the record
    attendees: list[Attendee] = Field(min_length=1, max_length=30)
    minutes: Annotated[str, Field(min_length=1, max_length=50000)]
    outcome: Literal["settled", "partially_settled", "not_settled", "adjourned", "no_show"]
    confirmed_at: datetime  # when the mediator fixed the record


class NeutralEvaluationInputs(Strict):
    """中立评估意见书: a non-binding view of the likely outcome, by a mediator or expert."""

    case_number: Text
    center_name: Text
    parties: Parties
    evaluators: list[Person] = Field(min_length=1, max_length=5)
    facts: LongText
    issues: list[LongText] = Field(min_length=1, max_length=20)
    analysis: LongText
    opinion: LongText
    suggested_amount: Amount | None = None
    issued_on: date

    @property
    def suggested_capitals(self) -> str | None:
        return rmb_capitals(self.suggested_amount) if self.suggested_amount is not None else None


class Material(Strict):
    name: Text
    copies: int = Field(default=1, ge=1, le=20)


class JudicialApplicationInputs(Strict):
    """司法确认申请书: the parties' joint application to a court (People's Mediation Law art. 33)."""

    court_name: Text
    case_number: Text  # the mediation case number
    center_name: Text
    applicants: Parties
    agreement_date: date
    agreement_document_id: OptText = None
    agreement_summary: LongText
    request: LongText | None = None
    materials: list[Material] = Field(min_length=1, max_length=30)
    applied_on: date


class JudicialApplicationInputsV2(JudicialApplicationInputs):
    """司法确认申请书, template v2: the mediator and the organisation confirm it under the applicants' blocks;
    the legal basis follows the kind of organisation."""

    mediators: list[Person] = Field(default_factory=list, max_length=5)
    organisation_kind: OrganisationKind = "mediation_organisation"


class ServiceAddress(Strict):
    """Where and how a party accepts service of the court's documents."""

    address: Text  # 送达地址
    postcode: Annotated[str | None, Field(default=None, pattern=r"^\d{6}$")] = None
    phone: Text  # mobile, for calls and for service by SMS
    email: Annotated[str | None, Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] = None
    recipient: OptText = None  # 指定代收人
    electronic_consent: bool  # 同意电子送达
    electronic_channels: list[Literal["sms", "email"]] = Field(default_factory=list, max_length=2)

    @model_validator(mode="after")
    def _channels(self) -> "ServiceAddress":
        if self.electronic_consent and not self.electronic_channels:
            raise ValueError("consent to electronic service names at least one channel (sms, email)")
        if not self.electronic_consent and self.electronic_channels:
            raise ValueError("electronic channels are given only with consent to electronic service")
        if "email" in self.electronic_channels and not self.email:
            raise ValueError("service by e-mail needs an e-mail address")
        return self


class ServiceAddressInputs(Strict):
    """送达地址确认书: one party's address for service in the judicial confirmation (People's Mediation Law
    art. 33; Civil Procedure Law arts. 205-206), signed by that party."""

    case_number: Text
    center_name: Text
    court_name: OptText = None
    parties: list[Party] = Field(min_length=1, max_length=1)  # the one party who confirms (field party-1)
    service: ServiceAddress


class JudicialApplicationInputsV3(JudicialApplicationInputsV2):
    """司法确认申请书, template v3: each applicant's 送达地址确认书 as an annex (附件), in the order of the
    applicants, signed with the application: one signing flow, one signature per applicant over it all."""

    # aligned with the applicants; None: that applicant brings its own (no address or phone on file)
    service_addresses: list[ServiceAddress | None] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _one_per_applicant(self) -> "JudicialApplicationInputsV3":
        if self.service_addresses and len(self.service_addresses) != len(self.applicants):
            raise ValueError("one service address per applicant, in the applicants' order")
        return self


class SignatureEvent(Strict):
    role: Text  # party / mediator / center seal
    signer: Text
    method: Text  # e.g. 远程签署（短信验证码）
    signed_at: datetime
    certificate_subject: OptText = None
    certificate_serial: OptText = None
    certificate_issuer: OptText = None
    timestamp_at: datetime | None = None
    ip_address: OptText = None
    otp_channel: OptText = None


class EvidenceReportInputs(Strict):
    """签署证据报告: who signed which document, when and how, for a court or the parties."""

    case_number: Text
    center_name: Text
    document_title: Text
    document_id: Text
    document_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    signed_sha256: Annotated[str | None, Field(default=None, pattern=r"^[0-9a-f]{64}$")] = None
    signatures: list[SignatureEvent] = Field(min_length=1, max_length=20)
    audit_head_hash: OptText = None
    generated_at: datetime
