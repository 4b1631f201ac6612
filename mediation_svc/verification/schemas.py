"""The verification report: ETSI EN 319 102-1 indications, laid out the way EU DSS reports them.

``indication`` is TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE; ``sub_indication`` names the reason
(ETSI EN 319 102-1 §5.1.3, plus NO_SIGNATURE_FOUND as DSS uses it). One entry per signature and per
document timestamp, and a ``registry`` section when the file is known to this service.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Indication(StrEnum):
    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class CertificateInfo(BaseModel):
    subject: str
    issuer: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    sha256: str
    trust_anchor: bool = False
    organisation: str | None = None  # the subject's O, for a report in the reader's language
    is_ca: bool | None = None  # basicConstraints cA


class SignerInfo(BaseModel):
    name: str | None = None
    role: str | None = None
    masked_id: str | None = None
    organisation: str | None = None
    case_number: str | None = None  # the OU our signer certificates carry
    evidence_sha256: str | None = None  # the private extension binding the certificate to its signing event


class Revocation(BaseModel):
    status: str  # good | revoked | unknown | not_checked
    source: str | None = None  # e.g. "DSS: CRL from 正和调解中心 Issuing CA, this update ..."
    kind: str | None = None  # crl | ocsp
    issued_at: datetime | None = None  # CRL thisUpdate / OCSP producedAt
    revoked_at: datetime | None = None
    reason: str | None = None


class ValidationBasis(BaseModel):
    """At what time, on which proof of existence, a signature or timestamp was validated."""

    validated_at: datetime  # the control time: the POE, or the validation time
    poe: str  # signature_timestamp | document_timestamp | validation_time | none
    poe_time: datetime | None = None
    certificate_valid_then: bool | None = None
    revocation_kind: str | None = None
    revocation_issued_at: datetime | None = None
    text_zh: str
    text_en: str


class Modification(BaseModel):
    level: str  # NONE | LTA_UPDATES | FORM_FILLING | ANNOTATIONS | OTHER | UNKNOWN
    permitted: bool
    description: str
    changed_fields: list[str] = Field(default_factory=list)


class SignatureResult(BaseModel):
    kind: str  # signature | document_timestamp
    field_name: str | None
    indication: Indication
    sub_indication: str | None = None
    signer: SignerInfo | None = None
    chain: list[CertificateInfo] = Field(default_factory=list)
    chain_trusted: bool = False
    claimed_signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    best_signature_time: datetime | None = None
    integrity: bool
    coverage: str  # ENTIRE_FILE | ENTIRE_REVISION | CONTIGUOUS_BLOCK_FROM_START | UNCLEAR
    coverage_description: str
    signed_revision: int | None = None
    total_revisions: int | None = None
    modifications: Modification | None = None
    pades_level: str | None = None  # B-B | B-T | B-LT | B-LTA
    revocation: Revocation | None = None
    basis: ValidationBasis | None = None
    reason: str | None = None
    location: str | None = None
    warnings: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)


class SigningEvent(BaseModel):
    sequence: int
    kind: str
    sha256_after: str
    at: datetime
    signer: str | None = None
    role: str | None = None


class RegistryMatch(BaseModel):
    matched: bool
    match: str | None = None  # document | signed_revision
    document_id: str | None = None
    title: str | None = None
    case_number: str | None = None
    version: int | None = None
    status: str | None = None  # final | signing | signed | confirmed | voided
    latest_revision: bool | None = None  # is this the registered file (the signed agreement, else the final PDF)?
    latest_sha256: str | None = None
    verification_code_hint: str | None = None
    signing_history: list[SigningEvent] = Field(default_factory=list)


class VerificationReport(BaseModel):
    indication: Indication
    sub_indication: str | None = None
    summary: str
    file_name: str | None = None
    file_sha256: str
    file_size: int
    validation_time: datetime
    policy: str = "mediation-svc PAdES long-term policy (docs/validity.md): the center's root as the only trust " \
                  "anchor; revocation data from the file (no fetching), issued after the signature's proof of " \
                  "existence; each signature validated as of the archive timestamp after it and the archive " \
                  "chain up to the validation time; pyHanko AdES validation (ETSI EN 319 102-1) and difference " \
                  "analysis, plus the checks of verification/structure.py"
    trust_anchor: str | None = None
    signatures: list[SignatureResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    registry: RegistryMatch | None = None
    validator: str = "mediation-svc"


class SignatureSummary(BaseModel):
    """One signature or document timestamp of the registered file, as the code look-up shows it."""

    field_name: str | None
    kind: str  # signature | document_timestamp
    indication: Indication
    signer: str | None
    role: str | None
    timestamp_time: datetime | None


class VerificationSummary(BaseModel):
    indication: Indication
    sub_indication: str | None
    summary: str
    signatures: list[SignatureSummary]


class _CodeLookup(BaseModel):
    code: str  # the printed verification code, grouped
    document_id: str
    title: str
    case_number: str | None
    status: str  # final | signing | signed | confirmed | voided
    version: int | None
    finalised_sha256: str
    registered_sha256: str  # the file the registry holds now (the newest signed revision)
    registered_size: int
    created_at: datetime
    voided_at: datetime | None
    signing_history: list[SigningEvent]
    verification: VerificationSummary
    original_url: str


class CodeLookupRead(_CodeLookup):
    """The registered document behind a printed code, for a reader who may see the agreement."""


class MaskedCodeLookupRead(_CodeLookup):
    """The same for anyone else: every signer's name masked (PIPL)."""

    names_masked: bool
