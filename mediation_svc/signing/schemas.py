"""Request and response bodies of the signing API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, JsonValue

from ..phones import OptionalMobilePhone
from ..security.pipl import mask_id_number


class RepresentativeIn(BaseModel):
    """Who signs for an institution party (授权代表), and how."""

    party_id: int
    # An institution on the platform: one of its accounts signs (account_user_id), or a person an account
    # named for this case on its inbox page (nomination_id); name and phone are then taken from there.
    account_user_id: int | None = None
    nomination_id: int | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: OptionalMobilePhone = None
    id_number: str | None = Field(default=None, max_length=40)
    mode: Literal["remote", "external"] = "remote"
    certificate_pem: str | None = Field(default=None, max_length=20000,
                                        description="the institution's own signing certificate (mode external)")


class RequestOpen(BaseModel):
    document_id: str = Field(max_length=36)
    deadline_at: AwareDatetime
    representatives: list[RepresentativeIn] = Field(default_factory=list)


class ParticipantRead(BaseModel):
    id: int
    stage: int
    kind: str
    role_label: str
    name: str
    on_behalf_of: str | None
    mode: str
    status: str
    id_masked: Annotated[str | None, AfterValidator(mask_id_number)]  # rows made before the one mask, too
    authorisation_sha256: str | None
    authorisation_checked_at: datetime | None
    institution_seal_sha256: str | None = None
    signed_at: datetime | None
    declined_reason: str | None


class RequestRead(BaseModel):
    id: int
    case_id: int
    document_id: str
    status: str
    deadline_at: datetime
    current_sha256: str
    revision: int
    created_at: datetime
    completed_at: datetime | None
    closed_reason: str | None
    participants: list[ParticipantRead]


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class DeclineIn(BaseModel):
    reason: str | None = Field(default=None, max_length=1000, description="the signer's reason, if they give one")


class LinkIn(BaseModel):
    link: str = Field(min_length=10, max_length=40, description="the code of the short link (/s/<code>)")


class CodeIn(BaseModel):
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


class VerifyIn(LinkIn, CodeIn):
    id_last4: str | None = Field(default=None, min_length=4, max_length=4)


class ConsentIn(BaseModel):
    consent_text: str = Field(min_length=10, max_length=5000)
    key_origin: Literal["signer_device", "center_server", "institution"] | None = None


class KeyPrepareIn(BaseModel):
    public_key_b64: str = Field(min_length=40, max_length=400, description="SPKI DER of the browser's P-256 key")
    possession_signature_b64: str = Field(min_length=40, max_length=200,
                                          description="ECDSA r||s over the session's possession challenge")


class KeyFinishIn(BaseModel):
    signature_b64: str = Field(min_length=40, max_length=200, description="ECDSA r||s over the signed attributes")


class ExternalFinishIn(BaseModel):
    cms_b64: str = Field(min_length=10, max_length=200000, description="DER CMS SignedData, base64")


class RevisionRead(BaseModel):
    sequence: int
    kind: str
    sha256_before: str
    sha256_after: str
    cert_serial: str | None
    evidence_sha256: str | None
    request_status: str


# --- what the signing endpoints answer besides requests and revisions -----------------------------------

class OnsiteLink(BaseModel):
    link: str  # for the center's tablet: the signer still proves who they are with their own phone


class Reminded(BaseModel):
    reminded: list[int]  # the signers (participant ids) sent a reminder now


class RevisionEvent(BaseModel):
    """A signed revision of the document with its evidence record (as stored, and its hash)."""

    sequence: int
    kind: str  # signature | seal | lta | archive_timestamp
    request_id: int
    request_status: str
    participant_id: int | None
    signer: str | None
    role: str | None
    at: datetime
    sha256_before: str
    sha256_after: str
    cert_serial: str | None
    evidence: dict[str, JsonValue] | None
    evidence_sha256: str | None
    timestamp_expires_at: datetime | None


class CodeSent(BaseModel):
    """A one-time code sent to the phone on record (masked here)."""

    phone: str | None
    expires_at: datetime
    resend_after_seconds: int


class SignerSession(BaseModel):
    """The signer-session token (Authorization: Bearer) for /api/v1/sign/session/..."""

    session_token: str
    expires_at: datetime


class _SignerFacts(BaseModel):
    state: str  # one of signing.policy.SIGNER_STATES
    request_id: int
    participant_id: int
    name: str
    role: str
    on_behalf_of: str | None
    mode: str
    kind: str
    case_number: str
    document_id: str
    document_title: str
    document_kind: str
    document_sha256: str
    deadline_at: datetime
    deadline_cn: str
    phone: str | None  # masked
    signed_at: datetime | None
    completed_at: datetime | None
    declined_reason: str | None
    closed_at: datetime | None


class SignerHome(_SignerFacts):
    """Where the signer stands when they cannot sign now (signed, sealed, declined, voided ...)."""


class SignerOpenView(_SignerFacts):
    """While the signer may sign: what they sign, the consent words for their key, and their progress."""

    key_origin: str
    consent_text: str
    consent_texts: dict[str, str]  # key origin -> the consent words
    document_viewed: bool
    consent_given: bool
    drawing_saved: bool
    possession_challenge: str


class ConsentRead(BaseModel):
    consent_sha256: str


class DrawingRead(BaseModel):
    sha256: str


class KeyPrepared(BaseModel):
    """The CMS signed attributes for the browser's key to sign, and the one-time certificate issued for it."""

    signed_attributes_b64: str
    certificate_serial: str
    sha256_before: str


class Declined(BaseModel):
    request_status: str


class ExternalPrepared(BaseModel):
    """The ByteRange digest for an institution's own certificate to sign (a CMS comes back to .../finish)."""

    digest_algorithm: str
    document_digest_hex: str
    document_digest_b64: str
    certificate_serial: str
