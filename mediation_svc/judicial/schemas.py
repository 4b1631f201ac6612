"""Request and response bodies of the judicial confirmation API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, Field

from ..cases.schemas import ShareIn, ShareRead
from ..documents.inputs import ServiceAddress
from ..signing.schemas import RepresentativeIn


class ServiceAddressIn(ServiceAddress):
    """What one party gave for its 送达地址确认书 (the others get the address and phone on file)."""

    party_id: int


class ApplicationStart(BaseModel):
    court_name: str = Field(min_length=2, max_length=200, examples=["广州市天河区人民法院"])
    deadline_at: AwareDatetime
    representatives: list[RepresentativeIn] = Field(default_factory=list)
    acknowledge_late: bool = Field(default=False, description="apply although the 30 days have passed")
    service_addresses: list[ServiceAddressIn] = Field(
        default_factory=list, max_length=10,
        description="each party's 送达地址确认书 (address, phone, e-mail, consent to electronic service); an annex of "
                    "the application, signed with it")


class ApplicationRead(BaseModel):
    id: int
    case_id: int
    court_name: str
    status: str
    agreement_document_id: str
    application_document_id: str
    signing_request_id: int | None
    created_at: datetime
    updated_at: datetime


class PackageRead(BaseModel):
    id: int
    case_id: int
    application_id: int
    sha256: str
    manifest_sha256: str
    size: int
    created_at: datetime


CourtShare = ShareIn  # the same share as the case's own (cases.schemas.ShareIn)


CourtShareRead = ShareRead  # the same share as the case's own (cases.schemas.ShareRead)


class RulingIn(BaseModel):
    confirmed: bool
    ruling_number: str = Field(min_length=3, max_length=100, examples=["（2026）粤0106民特123号"])
    ruling_date: date
    court_name: str = Field(min_length=2, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


class RulingRead(BaseModel):
    id: int
    case_id: int
    application_id: int
    confirmed: bool
    ruling_number: str
    ruling_date: date
    court_name: str
    reason: str | None
    recorded_at: datetime


class PackageVerification(BaseModel):
    ok: bool
    problems: list[str]
    manifest: dict | None
    documents: dict[str, dict]  # file name -> {indication, sub_indication, summary}
