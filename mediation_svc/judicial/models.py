"""Applications for judicial confirmation (司法确认申请), evidence packages and the court's rulings.

People's Mediation Law art. 33: within 30 days of the agreement taking effect, the parties may jointly
apply to a court for confirmation; once confirmed the agreement is enforceable.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime, utcnow


class ApplicationStatus(StrEnum):
    SIGNING = "signing"  # the application (申请书) is being signed by the parties
    SIGNED = "signed"  # every signature applied; a package can be built
    FILED = "filed"  # the evidence package was built and the case handed to the court
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"


class JudicialApplication(SQLModel, table=True):
    __tablename__ = "judicial_applications"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    agreement_document_id: str = Field(foreign_key="documents.id", max_length=36)
    application_document_id: str = Field(foreign_key="documents.id", max_length=36, unique=True)
    signing_request_id: int | None = Field(default=None, foreign_key="signing_requests.id")
    court_name: str = Field(max_length=200)
    status: str = Field(default=ApplicationStatus.SIGNING.value, max_length=20, index=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class EvidencePackage(SQLModel, table=True):
    """The ZIP handed to the court, kept byte for byte so that what was audited is what is downloaded."""

    __tablename__ = "judicial_packages"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="judicial_applications.id", index=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    zip_bytes: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=64)
    manifest_sha256: str = Field(max_length=64)
    size: int
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Ruling(SQLModel, table=True):
    """The court's decision on an application (裁定书): confirmed or not, with its number and date."""

    __tablename__ = "judicial_rulings"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="judicial_applications.id", unique=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    confirmed: bool
    ruling_number: str = Field(max_length=100)  # e.g. (2026)粤0106民特123号
    ruling_date: date
    court_name: str = Field(max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    recorded_by_user_id: int = Field(foreign_key="users.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ServiceAddressConfirmation(SQLModel, table=True):
    """A party's own 送达地址确认书, confirmed online (/my, the phone proved): where and how the court serves them,
    and their consent to electronic service, which only the party can give. The newest one counts."""

    __tablename__ = "service_address_confirmations"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    party_id: int = Field(foreign_key="case_parties.id", index=True)
    details: str = Field(max_length=2000)  # canonical JSON of documents.inputs.ServiceAddress
    actor: str = Field(max_length=120)
    confirmed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
