"""The long-term validation policy: how a signature made today is judged in ten or twenty-five years
(ETSI EN 319 102-1 §5.5 validation with time, §5.6.3 long-term validation; PAdES B-LTA, ETSI EN 319 142-1).

One policy for the endpoint, the CLI and the pages (``report.verify_pdf`` is the only caller). The moment
it validates at is always passed in (``now``): tests and courts move it, nothing here reads the clock.

The rules, and why:

- **Trust** comes only from the given anchors (the center's root): certificates in the file are path
  material, never trust.
- **Proof of existence (POE).** A signature's POE is its RFC 3161 signature timestamp; each document
  timestamp's POE is the next document timestamp in the file (the archive chain), and the newest one is
  judged at the validation time. A signer certificate that expired an hour after signing is judged at
  its POE (past signature validation with pyHanko's AdES engine).
- **Revocation data** comes from the file only (its DSS, filled at each signature and at the close):
  no fetching, so a court without network access gets the same answer as the service. For signer
  certificates it counts as fresh only within minutes of the control time, which makes past validation
  slide back to when it was issued (see SIGNER_REVINFO_FRESHNESS); for time-stamping units any age is
  accepted, since offline there can be no newer data than the file holds. On top of that,
  ``revinfo_speaks_for_use`` keeps the rule that matters:
  the data that clears a signer certificate must have been issued *at or after* the signature's POE
  (ETSI EN 319 102-1 §5.2.5.4), so an old "good" answer cannot hide a revocation that came before the
  signature. A verifier with network access also fetches the current CRLs from ``/pki`` (see
  docs/validity.md): that is how a compromise of the center's TSA or CA after the last archive
  timestamp becomes visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    FreshnessReqType,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from .caches import SIGNATURE_VALIDATOR
from .moment import current_moment, validating_at

__all__ = ["current_moment", "validating_at"]  # with the policy they belong to; the clock lives in moment.py

# Revocation data is "fresh" for a certificate at a control time only if issued within this much of it.
# Short on purpose: past validation (the time slide, ETSI EN 319 102-1 §5.6.2.1) then moves the control
# time back to when the CRL or OCSP answer in the file was issued, shortly after the signature, and
# judges the certificate there, inside its validity, instead of today, after its one hour has run out.
SIGNER_REVINFO_FRESHNESS = dt.timedelta(minutes=5)
# The newest archive timestamp is judged at the validation time, and offline the newest data about the
# center's TSA is the file's own, from when that timestamp was made: accept it at any age for timestamps
# (docs/validity.md says what a verifier with network access fetches on top of this).
TIMESTAMP_REVINFO_FRESHNESS = dt.timedelta(days=365 * 100)
# DER times on CRLs are whole seconds; RFC 3161 genTime has milliseconds: allow the rounding.
TIME_TOLERANCE = dt.timedelta(seconds=1)


def revinfo_policy(freshness: dt.timedelta = SIGNER_REVINFO_FRESHNESS) -> CertRevTrustPolicy:
    """CRL or OCSP required for end-entity and CA certificates alike, fresh only if issued within
    ``freshness`` of the control time (by default the signers' five minutes)."""
    required = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    return CertRevTrustPolicy(RevocationCheckingPolicy(ee_certificate_rule=required,
                                                       intermediate_ca_cert_rule=required),
                              freshness=freshness,
                              freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION)


def _policy(trust_roots: Sequence[asn1_x509.Certificate], freshness: dt.timedelta) -> CertValidationPolicySpec:
    return CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=list(trust_roots)),
                                    revinfo_policy=revinfo_policy(freshness), time_tolerance=TIME_TOLERANCE,
                                    signature_validator=SIGNATURE_VALIDATOR)


def signature_spec(trust_roots: Sequence[asn1_x509.Certificate]) -> PdfSignatureValidationSpec:
    """The validation spec of this policy: trust in ``trust_roots`` only, revocation data from the file
    only, fresh within five minutes for signers and at any age for time-stamping units."""
    # diff_policy=None: the difference analysis runs once per signature before this spec is used (pyHanko
    # would otherwise redo it for every embedded signature inside every signature's LTA run).
    return PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=_policy(trust_roots, SIGNER_REVINFO_FRESHNESS),
        ts_cert_validation_policy=_policy(trust_roots, TIMESTAMP_REVINFO_FRESHNESS),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)), diff_policy=None)


def timing(now: dt.datetime) -> ValidationTimingInfo:
    """The timing of an AdES run as of ``now``: validation time and best signature time alike."""
    return ValidationTimingInfo(validation_time=now, best_signature_time=now, point_in_time_validation=False)


def timestamp_context(trust_roots: Sequence[asn1_x509.Certificate], *, certs, crls, ocsps,
                      moment: dt.datetime) -> ValidationContext:
    """A document timestamp is judged at its POE: the next document timestamp, or the validation time."""
    return ValidationContext(trust_roots=list(trust_roots), other_certs=list(certs), crls=list(crls),
                             ocsps=list(ocsps), allow_fetching=False, revocation_mode="hard-fail",
                             revinfo_policy=revinfo_policy(TIMESTAMP_REVINFO_FRESHNESS), moment=moment,
                             time_tolerance=TIME_TOLERANCE, signature_validator=SIGNATURE_VALIDATOR)


def archive_moments(doc_timestamp_times: Sequence[dt.datetime | None], now: dt.datetime) -> list[dt.datetime]:
    """For each document timestamp in file order, the moment it is validated at: the time of the next
    (later) document timestamp, which proves it existed then; the newest is validated at ``now``."""
    moments: list[dt.datetime] = []
    for index in range(len(doc_timestamp_times)):
        later = next((t for t in doc_timestamp_times[index + 1:] if t is not None), None)
        moments.append(min(later, now) if later is not None else now)
    return moments


def archive_poe(signed_revision: int, doc_stamps: Sequence[tuple[int, dt.datetime | None]],
                now: dt.datetime) -> dt.datetime:
    """The moment a signature is validated at: the first document timestamp after it (the archive chain
    proves the signature and all its validation data existed then), or ``now`` without one.

    Why not always ``now``: pyHanko's past validation cannot slide the revocation data of an intermediate
    CA back in time when it is validated years after its CRL was issued, so it would call an agreement
    whose data is complete INDETERMINATE. The archive chain itself (each document timestamp at the time of
    the next, the newest at ``now``) is validated separately by the report; a signature is only as good as
    that chain."""
    later = [when for revision, when in doc_stamps if revision > signed_revision and when is not None]
    return min(min(later), now) if later else now


def revinfo_speaks_for_use(issued_at: dt.datetime | None, poe: dt.datetime | None) -> bool:
    """Revocation data clears a certificate for a signature only if issued at or after the signature's POE."""
    if issued_at is None or poe is None:
        return False
    return issued_at >= poe - TIME_TOLERANCE
