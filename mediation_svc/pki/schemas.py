"""Request and response bodies for certificate status and revocation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

# RFC 5280 §5.3.1 reason codes (x509.ReasonFlags names); removeFromCRL is for delta CRLs, not offered.
RevocationReason = Literal["unspecified", "key_compromise", "ca_compromise", "affiliation_changed",
                           "superseded", "cessation_of_operation", "certificate_hold", "privilege_withdrawn",
                           "aa_compromise"]


class RevokeIn(BaseModel):
    reason: RevocationReason


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
