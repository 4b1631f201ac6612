"""Request and response bodies for certificate status and revocation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# RFC 5280 §5.3.1 reason codes (x509.ReasonFlags names); removeFromCRL is for delta CRLs, not offered.
RevocationReason = Literal["unspecified", "key_compromise", "ca_compromise", "affiliation_changed",
                           "superseded", "cessation_of_operation", "certificate_hold", "privilege_withdrawn",
                           "aa_compromise"]


class RevokeIn(BaseModel):
    """Revoking a one-time signer certificate: an admin, the RFC 5280 reason, why, and fresh proof of identity."""

    reason: RevocationReason
    note: str = Field(min_length=5, max_length=1000, description="why, in a sentence; kept in the audit log")
    password: str = Field(min_length=1, max_length=200, description="the admin's password, asked again")
    totp_code: str | None = Field(default=None, max_length=12,
                                  description="the current authenticator code (or a recovery code)")


class CertificateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    serial_hex: str
    issuer: str
    subject: str
    purpose: str
    not_before: datetime
    not_after: datetime
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    case_id: int | None
